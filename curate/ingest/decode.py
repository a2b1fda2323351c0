"""Bytes to text: binary detection, BOM-aware UTF decoding, charset-normalizer fallback.

A decoded file is kept as UTF-8 bytes, not as a Python ``str``: a UTF-8 file (most source
files) is its own decoding, checked without building a ``str`` (``bytes.isascii`` for ASCII,
a discarded ``decode`` otherwise), and the documents writer turns the bytes into an Arrow
string column with one copy (``curate.ingest.stage``). Other encodings are decoded and
re-encoded once.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# Ordered: UTF-32 LE's BOM starts with UTF-16 LE's.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)

# Signatures of common binary formats that may not contain a NUL byte early.
BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\x7fELF", "elf"),
    (b"\xca\xfe\xba\xbe", "java-class/mach-o"),
    (b"\xfe\xed\xfa\xce", "mach-o"),
    (b"\xfe\xed\xfa\xcf", "mach-o"),
    (b"\xce\xfa\xed\xfe", "mach-o"),
    (b"\xcf\xfa\xed\xfe", "mach-o"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
    (b"SQLite format 3\x00", "sqlite"),
    (b"!<arch>\n", "ar"),
    (b"\x00asm", "wasm"),
    (b"OggS", "ogg"),
    (b"fLaC", "flac"),
    (b"ID3", "mp3"),
    (b"wOFF", "woff"),
    (b"wOF2", "woff2"),
    (b"OTTO", "otf"),
)
_MAGIC_FIRST = frozenset(m[0] for m, _ in BINARY_MAGIC)


@dataclass(frozen=True, slots=True)
class Decoded:
    utf8: bytes
    """The text as valid UTF-8 (the input itself for a UTF-8 file without a BOM)."""
    encoding: str

    @classmethod
    def of_text(cls, text: str, encoding: str) -> Decoded | Rejected:
        """``text`` decoded from ``encoding``; a text with lone surrogates (which a codec such
        as ``unicode_escape`` can produce) has no UTF-8 form and is undecodable."""
        try:
            return cls(text.encode("utf-8"), encoding)
        except UnicodeEncodeError as err:
            return Rejected("undecodable", f"{encoding} text not encodable as UTF-8: {err.reason}")

    @property
    def text(self) -> str:
        return self.utf8.decode("utf-8")


def utf8_head(utf8: bytes, chars: int) -> str:
    """The first ``chars`` characters of valid UTF-8 ``utf8``, decoding at most ``4 * chars``
    bytes (a character is at most 4 bytes; only a character cut at that end is dropped)."""
    return utf8[: 4 * chars].decode("utf-8", "ignore")[:chars]


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str  # "binary" or "undecodable"
    detail: str


def binary_signature(data: bytes, sniff_bytes: int = 8192) -> str | None:
    """Why `data` looks binary ("nul byte", "magic:png"), or None. Callers check BOMs first:
    UTF-16/32 text holds NUL bytes."""
    if data and data[0] in _MAGIC_FIRST:
        for magic, name in BINARY_MAGIC:
            if data.startswith(magic):
                return f"magic:{name}"
    if data.find(b"\x00", 0, sniff_bytes) >= 0:
        return "nul byte"
    return None


def decode_bytes(data: bytes, sniff_bytes: int = 8192, fallback: bool = True) -> Decoded | Rejected:
    """Decode file bytes. Encoding labels: ``utf-8``, ``utf-8-sig`` (BOM stripped),
    ``utf-16-le``/``-be`` and ``utf-32-le``/``-be`` (BOM stripped), else charset-normalizer's name."""
    if data[:1] in (b"\xef", b"\xff", b"\xfe", b"\x00"):
        for bom, codec, label in _BOMS:
            if data.startswith(bom):
                body = data[len(bom) :]
                try:
                    text = body.decode(codec)
                except UnicodeDecodeError as err:
                    return Rejected("undecodable", f"{label} BOM but invalid: {err.reason}")
                return Decoded(body, label) if codec == "utf-8" else Decoded.of_text(text, label)
    why = binary_signature(data, sniff_bytes)
    if why is not None:
        return Rejected("binary", why)
    if data.isascii():
        return Decoded(data, "utf-8")
    try:
        data.decode("utf-8")  # validation only: the bytes are the decoded text
        return Decoded(data, "utf-8")
    except UnicodeDecodeError as err:
        utf8_error = err
    if fallback:
        declared = _declared(data)
        if declared is not None:
            return declared
        guessed = _guess(data)
        if guessed is not None:
            return guessed
    why = f"not UTF-8 ({utf8_error.reason} at byte {utf8_error.start})"
    return Rejected("undecodable", f"{why}; no charset matched" if fallback else why)


# PEP 263 / Emacs / Vim style declaration on one of the first two lines.
_CODING = re.compile(rb"^[^\n]*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)
_WESTERN = "cp1252"
_WESTERN_SLACK = 0.1


def _declared(data: bytes) -> Decoded | Rejected | None:
    head = b"\n".join(data.split(b"\n", 2)[:2])
    match = _CODING.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
        return Decoded.of_text(data.decode(name), name)
    except (LookupError, UnicodeDecodeError):
        return None


def _guess(data: bytes) -> Decoded | Rejected | None:
    """charset-normalizer's best match, except that a Western European code page (cp1252
    family) within `_WESTERN_SLACK` chaos of the best wins: short accented Latin text is
    ambiguous between code pages, and cp1252/latin-1 dominate legacy source files."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None or not best.encoding:
        return None
    for match in matches:
        if _WESTERN in match.could_be_from_charset and match.chaos <= best.chaos + _WESTERN_SLACK:
            return Decoded.of_text(str(match), match.encoding)
    return Decoded.of_text(str(best), best.encoding)
