"""FastTarInfo decodes every tar header exactly as the standard TarInfo does (same attributes,
same exceptions), on archives written here in every format tarfile writes and on damaged
header blocks."""

from __future__ import annotations

import io
import tarfile

import pytest

from curate.ingest.tarheaders import FastTarInfo

ATTRIBUTES = (
    "name",
    "mode",
    "uid",
    "gid",
    "size",
    "mtime",
    "chksum",
    "type",
    "linkname",
    "uname",
    "gname",
    "devmajor",
    "devminor",
    "pax_headers",
    "offset",
    "offset_data",
)


def _archive(fmt: int, encoding: str = "utf-8") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt, encoding=encoding) as tf:

        def add(name: str, data: bytes = b"", **attrs: object) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            for key, value in attrs.items():
                setattr(info, key, value)
            tf.addfile(info, io.BytesIO(data) if data else None)

        add("pkg-1.0/", type=tarfile.DIRTYPE, mode=0o755)
        add("pkg-1.0/setup.py", b"print('hi')\n", mode=0o644, uname="me", gname="staff")
        add("pkg-1.0/" + "d" * 90 + "/" + "f" * 60 + ".py", b"x = 1\n")  # needs prefix/long name
        add("pkg-1.0/link", type=tarfile.SYMTYPE, linkname="setup.py")
        add("pkg-1.0/hard", type=tarfile.LNKTYPE, linkname="pkg-1.0/setup.py")
        add("pkg-1.0/empty.txt")
        add("pkg-1.0/data.bin", bytes(range(256)) * 9)
        if fmt != tarfile.USTAR_FORMAT:
            add("pkg-1.0/uid.txt", b"big ids\n", uid=10**9, gid=10**9)  # base-256 / pax numbers
        if fmt == tarfile.PAX_FORMAT:
            add("pkg-1.0/ünïcødé.py", "s = 'é'\n".encode())
    return out.getvalue()


def _members(data: bytes, cls: type[tarfile.TarInfo]) -> list[tuple[object, ...]]:
    rows = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|", tarinfo=cls) as tf:
        for member in tf:
            assert isinstance(member, cls)
            content = tf.extractfile(member).read() if member.isreg() else None
            rows.append((*(getattr(member, a) for a in ATTRIBUTES), content))
    return rows


@pytest.mark.parametrize(
    "fmt",
    [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT],
    ids=["ustar", "gnu", "pax"],
)
def test_same_members_as_the_standard_tarinfo(fmt: int) -> None:
    data = _archive(fmt)
    standard = _members(data, tarfile.TarInfo)
    assert len(standard) >= 7
    assert _members(data, FastTarInfo) == standard


def _headers(data: bytes) -> list[bytes]:
    """Every 512-byte block of the archive that the standard class reads as a header."""
    blocks = [data[i : i + 512] for i in range(0, len(data), 512)]
    out = []
    for block in blocks:
        try:
            tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError:
            continue
        out.append(block)
    return out


def _with_checksum(block: bytes, signed: bool = False) -> bytes:
    """``block`` with its checksum field rewritten (unsigned, or the signed variant)."""
    raw = bytearray(block)
    raw[148:156] = b" " * 8
    total = sum((b - 256 if signed and b > 127 else b) for b in raw)
    raw[148:156] = b"%06o\0 " % total
    return bytes(raw)


def _decode(cls: type[tarfile.TarInfo], block: bytes, errors: str) -> object:
    try:
        info = cls.frombuf(block, "utf-8", errors)
    except Exception as err:  # the exact exception is what must match
        return (type(err), str(err))
    return (*(getattr(info, a) for a in ATTRIBUTES), getattr(info, "_sparse_structs", None))


def _edit(header: bytes, edits: dict[int, bytes], fix: bool = True) -> bytes:
    """``header`` with bytes replaced at offsets (checksum recomputed unless ``fix`` is off)."""
    raw = bytearray(header)
    for offset, value in edits.items():
        raw[offset : offset + len(value)] = value
    return _with_checksum(bytes(raw)) if fix else bytes(raw)


def _mutations(header: bytes) -> list[bytes]:
    base256 = b"\x00" * 10 + b"\x01\x00"
    return [
        header,
        b"",
        header[:300],
        b"\0" * 512,
        _edit(header, {148: b"0000000\0"}, fix=False),  # bad checksum
        _edit(header, {124: b"0000x12\0"}),  # size not octal
        _edit(header, {124: b"\xff" + base256[1:]}),  # base-256 size (negative form)
        _edit(header, {124: b"\x80" + base256[1:]}),  # base-256 size
        _edit(header, {100: b" 644 \0\0\0"}),  # spaces around a number
        _edit(header, {100: b"\x1c644\0\0\0\0"}),  # whitespace only str.strip knows
        _edit(header, {100: b"0_644\0\0\0"}),  # an underscore int() accepts
        _edit(header, {329: b"       \0"}),  # a blank number (0)
        _edit(header, {100: b"064\0" + b"4 \0 "}),  # digits after the first NUL are ignored
        _edit(header, {100: b"\xe9644\0\0\0\0"}),  # non-ASCII in a number
        _edit(header, {0: "nämé.py\0".encode("latin-1")}),  # not UTF-8
        _edit(header, {0: b"dir/" + b"\0" * 96, 156: b"\0"}),  # v7 directory
        _edit(header, {156: b"S"}),  # old GNU sparse member
        _edit(header, {345: b"some/prefix\0"}),  # ustar prefix
        _edit(header, {156: b"L", 345: b"prefix\0"}),  # GNU types ignore the prefix
        _with_checksum(_edit(header, {265: "ñame\0".encode("latin-1")}), signed=True),
    ]


@pytest.mark.parametrize("errors", ["surrogateescape", "strict"])
def test_damaged_and_unusual_headers_decode_or_fail_alike(errors: str) -> None:
    headers = _headers(_archive(tarfile.GNU_FORMAT)) + _headers(_archive(tarfile.PAX_FORMAT))
    assert len(headers) >= 10
    outcomes = set()
    for header in headers:
        for block in _mutations(header):
            expected = _decode(tarfile.TarInfo, block, errors)
            assert _decode(FastTarInfo, block, errors) == expected
            outcomes.add("error" if isinstance(expected[0], type) else "ok")
    assert outcomes == {"ok", "error"}  # both kinds were exercised


def test_common_headers_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain ustar header is decoded without tarfile's field helpers (so the speed-up is
    real); a header the fast path does not handle still goes to them."""
    header = _headers(_archive(tarfile.USTAR_FORMAT))[1]
    expected = _decode(tarfile.TarInfo, header, "surrogateescape")

    def refuse(*_args: object) -> None:
        raise AssertionError("standard field decoding called")

    monkeypatch.setattr(tarfile, "nti", refuse)
    monkeypatch.setattr(tarfile, "nts", refuse)
    assert _decode(FastTarInfo, header, "surrogateescape") == expected
    bad = bytearray(header)
    bad[124] = 0xFF  # base-256 size: the standard decoder's job
    outcome = _decode(FastTarInfo, bytes(bad), "surrogateescape")
    assert outcome[0] is AssertionError


def test_block_sum_is_the_byte_sum() -> None:
    import random

    from curate.ingest.tarheaders import _block_sum

    rng = random.Random(7)
    blocks = [bytes(512), b"\xff" * 512, b"\xff" * 256 + bytes(256)]
    blocks += [bytes(rng.randrange(256) for _ in range(512)) for _ in range(200)]
    assert all(_block_sum(b) == sum(b) for b in blocks)
