"""Normalised code tokens and their n-gram hashes, for decontamination.

``normalized_tokens`` is the readable definition: comments, docstrings and long strings dropped,
identifiers replaced by ``ID`` unless they are keywords, builtins or attribute names (after a
``.``), short strings as ``S:body``. ``TokenHasher`` computes the same n-gram hashes without
building the normalised strings: the compiled tokeniser of ``decontam_scan`` walks a whole
batch's UTF-8 bytes once and hashes each kept token in place, and one prefix sum gives every
text's grams (``combine_batch``). Both agree on every text (``tests/dedup/test_decontam_tokens.py``).
"""

from __future__ import annotations

import builtins
import keyword
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

# The grammar, left-most alternative first (``decontam_scan._token_hashes`` follows it).
_TOKEN = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    r"|#[^\n]*|//[^\n]*|[A-Za-z_][A-Za-z_0-9]*|\d[\w.]*|\S"
)
_KEEP = (
    set(keyword.kwlist)
    | set(keyword.softkwlist)
    | {n for n in dir(builtins) if not n.startswith("_")}
    | {"List", "Dict", "Tuple", "Set", "Optional", "Any", "Union", "Callable", "Iterable", "self"}
)
SHORT_STRING = 24
"""Longest string body (in characters) kept as a ``S:body`` token."""
MIX = np.uint64(0x9E3779B97F4A7C15)
"""The gram hash's multiplier (odd: invertible modulo 2**64)."""
_QUOTES = frozenset("\"'")
_TRIPLE = frozenset(('"""', "'''"))
_ID_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")


def normalized_tokens(code: str) -> list[str]:
    """Tokens of ``code`` with comments dropped and identifiers/long strings abstracted."""
    out: list[str] = []
    append = out.append
    keep = _KEEP
    prev = ""
    for tok in _TOKEN.findall(code):
        c = tok[0]
        if c in _QUOTES:
            if tok[:3] in _TRIPLE:
                continue  # docstrings and long texts: matched by the exact-text detector
            body = tok[1:-1]
            if len(body) > SHORT_STRING:
                continue
            norm = "S:" + body
        elif c in _ID_START or (c > "\x7f" and c.isalpha()):
            norm = tok if tok in keep or prev == "." else "ID"
        elif c == "#" or (c == "/" and tok[:2] == "//"):
            continue
        else:
            norm = tok
        append(norm)
        prev = tok
    return out


def token_hash(token: str) -> int:
    return xxhash.xxh3_64_intdigest(token.encode("utf-8", "surrogatepass"))


def combine(th: np.ndarray, n: int) -> np.ndarray:
    """Hash of the ``n``-gram of token hashes ``th`` starting at each position (one gram of all
    tokens when fewer than ``n``): ``sum(th[i + j] * M**j)`` modulo 2**64. The definition
    (``decontam_scan.gram_hashes`` rolls the same sums over a batch)."""
    if not len(th):
        return np.empty(0, np.uint64)
    k = min(n, len(th))
    out = np.zeros(len(th) - k + 1, np.uint64)
    power = np.uint64(1)
    with np.errstate(over="ignore"):
        for j in range(k):
            out += th[j : len(th) - k + 1 + j] * power
            power *= MIX
    return out


def gram_hashes(tokens: list[str], n: int) -> np.ndarray:
    """``combine`` over the hashes of normalised ``tokens``."""
    vocab: dict[str, int] = {}
    ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), np.int64, len(tokens))
    th = np.fromiter((token_hash(t) for t in vocab), np.uint64, len(vocab))[ids]
    return combine(th, n)


_ID_HASH = token_hash("ID")


def encode(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes (``surrogatepass``: any ``str``) of ``texts``, concatenated (read-only),
    and each text's byte offsets: the input of the compiled tokeniser."""
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, encoded), np.int64, len(texts)), out=offsets[1:])
    data = np.frombuffer(b"".join(encoded), np.uint8)  # over bytes: read-only
    return data, offsets


def encoded_column(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``encode`` of an Arrow string column's values (nulls as empty texts) without an encode:
    a view of the column's own UTF-8 buffer (read-only) and its offsets, from 0. Other string
    layouts (string views) go through ``encode``."""
    if pa.types.is_string_view(column.type):
        return encode([text or "" for text in column.to_pylist()])
    if column.null_count:
        column = pc.fill_null(column, "")
    if pa.types.is_large_string(column.type):
        width = np.int64
    elif pa.types.is_string(column.type):
        width = np.int32
    else:
        raise TypeError(f"a string column, not {column.type}")
    _, offset_buffer, data_buffer = column.buffers()
    offsets = np.frombuffer(offset_buffer, width)[column.offset : column.offset + len(column) + 1]
    offsets = offsets.astype(np.int64)
    data = (
        np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.empty(0, np.uint8)
    )
    data = data[offsets[0] : offsets[-1]]
    data.flags.writeable = False  # as ``encode``'s (the kernels take read-only bytes)
    return data, offsets - offsets[0]


class TokenHasher:
    """``gram_hashes(text, n)`` == ``gram_hashes(normalized_tokens(text), n)``, compiled.
    Stateless apart from the kept-name table, so one instance serves every thread."""

    def __init__(self) -> None:
        from curate.dedup import decontam_scan  # numba: imported where an index is built

        self._scan = decontam_scan
        self._keep = decontam_scan.keep_table(frozenset(k.encode() for k in _KEEP))
        self.batch_gram_hashes(["x.y = 'z' # 1"], 2)  # compile, or load numba's disk cache

    def encoded_token_hashes(
        self, data: np.ndarray, offsets: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``batch_token_hashes`` of texts already encoded (``decontam_scan.encode``)."""
        return self._scan.token_hashes(data, offsets, self._keep, _ID_HASH, SHORT_STRING)

    def batch_token_hashes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``token_hashes`` of every text, concatenated, and the offsets of each text's slice
        (``len(texts) + 1``), from one compiled pass over the batch's bytes. Any ``str`` is
        accepted: lone surrogates travel as their ``surrogatepass`` bytes."""
        return self.encoded_token_hashes(*encode(texts))

    def token_hashes(self, text: str) -> np.ndarray:
        """Hashes of the normalised tokens of ``text``."""
        return self.batch_token_hashes([text])[0]

    def gram_hashes(self, text: str, n: int) -> np.ndarray:
        return self.batch_gram_hashes([text], n)[0]

    def batch_gram_hashes(self, texts: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """``gram_hashes`` of every text, concatenated, and the offsets of each text's grams."""
        return self.candidate_grams(*encode(texts), n)

    def candidate_grams(
        self, data: np.ndarray, offsets: np.ndarray, n: int, table: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``n``-gram hashes of encoded texts and each text's offsets in them; with
        ``table`` (bools, a power-of-two size) only the grams whose low bits it holds."""
        grams = self._scan.gram_hashes
        th, token_offsets = self.encoded_token_hashes(data, offsets)
        if table is None:
            return grams(th, token_offsets, n, MIX)
        return grams(th, token_offsets, n, MIX, table)
