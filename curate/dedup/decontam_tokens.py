"""Normalised code tokens and their n-gram hashes, for decontamination.

``normalized_tokens`` is the readable definition: comments, docstrings and long strings dropped,
identifiers replaced by ``ID`` unless they are keywords, builtins or attribute names (after a
``.``), short strings as ``S:body``. ``TokenHasher`` computes the same n-gram hashes without
building the normalised strings: each distinct raw token is classified and hashed once
(``_classify``, on arrays), and the context rule (an identifier after ``.`` keeps its name) is
applied with numpy. ``batch_gram_hashes`` does a whole batch at once: polars' Rust regex
tokenises every text (``rust_token_pattern``: the same pattern with explicit Unicode classes
that equal Python's), Arrow dictionary-encodes the tokens, and one prefix sum gives every
text's grams. ``gram_hashes`` (one text, Python's ``re`` and a per-thread token cache) serves
texts polars cannot hold (lone surrogates). All agree on every text
(``tests/dedup/test_decontam_tokens.py``).
"""

from __future__ import annotations

import builtins
import functools
import keyword
import re
import sys
import threading
import unicodedata

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from curate.engine.diskcache import cached_arrays

# One template for both regex engines: DIGIT / WORD / SPACE are Python's \d / \w / \s here, and
# explicit ranges computed from Python's own classes in the Rust (polars) pattern, whose Unicode
# classes differ (Rust \w lacks "½" and has combining marks, Rust \s lacks "\x1c"-"\x1f").
_TEMPLATE = (
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    r"|#[^\n]*|//[^\n]*|[A-Za-z_][A-Za-z_0-9]*|[DIGIT][WORD.]*|[^SPACE]"
)
_TOKEN = re.compile(
    _TEMPLATE.replace("DIGIT", r"\d").replace("WORD", r"\w").replace("SPACE", r"\s")
)
_KEEP = (
    set(keyword.kwlist)
    | set(keyword.softkwlist)
    | {n for n in dir(builtins) if not n.startswith("_")}
    | {"List", "Dict", "Tuple", "Set", "Optional", "Any", "Union", "Callable", "Iterable", "self"}
)
_SHORT_STRING = 24
_QUOTES = frozenset("\"'")
_TRIPLE = frozenset(('"""', "'''"))
_ID_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _rust_class(python_class: str, segments: list[tuple[int, str]]) -> str:
    """The code points Python's ``re`` puts in ``python_class``, as Rust-regex class ranges."""
    ranges = []
    for lo, segment in segments:
        for m in re.finditer(python_class + "+", segment):
            a, b = lo + m.start(), lo + m.end() - 1
            ranges.append(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}")
    return "".join(ranges)


@functools.cache
def rust_token_pattern() -> str:
    """``_TOKEN`` for polars' Rust regex: the same tokens on every text (tested). Building its
    classes walks every code point (~0.4 CPU-s), so the pattern is kept in the per-machine disk
    cache, keyed by the Python version (its Unicode database) and the template."""
    return cached_arrays(
        "decontam-token-pattern",
        [sys.version, unicodedata.unidata_version, _TEMPLATE],
        lambda: {"pattern": np.frombuffer(_build_rust_token_pattern().encode(), np.uint8)},
        lambda arrays: arrays["pattern"].tobytes().decode(),
    )


def _build_rust_token_pattern() -> str:
    # Every code point but the surrogates (not valid in UTF-8, so never in a polars string).
    segments = [
        (lo, "".join(map(chr, range(lo, hi)))) for lo, hi in ((0, 0xD800), (0xE000, 0x110000))
    ]
    pattern = _TEMPLATE
    for name, cls in (("DIGIT", r"\d"), ("WORD", r"\w"), ("SPACE", r"\s")):
        pattern = pattern.replace(name, _rust_class(cls, segments))
    return pattern


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
            if len(body) > _SHORT_STRING:
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


_digest = xxhash.xxh3_64_intdigest


_POWERS: tuple[np.ndarray, np.ndarray] = (np.ones(1, np.uint64), np.ones(1, np.uint64))


def _powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """``_MIX ** i`` and its inverse modulo 2**64, for ``i < size`` (cached, grown by doubling)."""
    global _POWERS
    if len(_POWERS[0]) < size:
        size = max(size, 2 * len(_POWERS[0]), 4096)
        inverse = pow(int(_MIX), -1, 1 << 64)
        with np.errstate(over="ignore"):
            up = np.cumprod(np.full(size, _MIX, np.uint64))
            down = np.cumprod(np.full(size, np.uint64(inverse), np.uint64))
        up[1:], up[0] = up[:-1], 1
        down[1:], down[0] = down[:-1], 1
        _POWERS = (up, down)
    return _POWERS


def combine(th: np.ndarray, n: int) -> np.ndarray:
    """Hash of the ``n``-gram of token hashes ``th`` starting at each position (one gram of all
    tokens when fewer than ``n``): ``sum(th[i + j] * M**j)`` modulo 2**64, from one prefix sum
    (four array passes instead of three per token of the gram)."""
    if not len(th):
        return np.empty(0, np.uint64)
    k = min(n, len(th))
    up, down = _powers(len(th) + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(th) + 1, np.uint64)
        np.cumsum(th * up[: len(th)], out=prefix[1:])
        return (prefix[k:] - prefix[: len(th) - k + 1]) * down[: len(th) - k + 1]


def combine_batch(th: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``combine(th[offsets[d]:offsets[d + 1]], n)`` of every text ``d``, concatenated, and the
    offsets of each text's grams: one prefix sum over the whole batch (a gram starting at ``i``
    is ``(prefix[i + k] - prefix[i]) * M**-i``, the same value as within its own text)."""
    lengths = np.diff(offsets)
    k = np.minimum(lengths, n)
    counts = np.where(lengths > 0, lengths - k + 1, 0)
    gram_offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=gram_offsets[1:])
    if not len(th):
        return np.empty(0, np.uint64), gram_offsets
    starts = np.arange(gram_offsets[-1], dtype=np.int64) + np.repeat(
        offsets[:-1] - gram_offsets[:-1], counts
    )
    up, down = _powers(len(th) + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(len(th) + 1, np.uint64)
        np.cumsum(th * up[: len(th)], out=prefix[1:])
        grams = (prefix[starts + np.repeat(k, counts)] - prefix[starts]) * down[starts]
    return grams, gram_offsets


def gram_hashes(tokens: list[str], n: int) -> np.ndarray:
    """``combine`` over the hashes of normalised ``tokens``."""
    vocab: dict[str, int] = {}
    ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), np.int64, len(tokens))
    th = np.fromiter((token_hash(t) for t in vocab), np.uint64, len(vocab))[ids]
    return combine(th, n)


_ID_START_BYTE = np.zeros(256, bool)
_ID_START_BYTE[[ord(c) for c in _ID_START]] = True
_KEEP_BYTES = frozenset(k.encode() for k in _KEEP)


def _classify(raw: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """``plain`` / ``as_id`` hashes of raw tokens (UTF-8, ``surrogatepass``), the rules of
    ``normalized_tokens`` applied to arrays: ``plain`` is 0 for a dropped token (comment,
    docstring, string over 24 characters), the hash of ``S:body`` for a short string, else the
    token's hash; ``as_id`` is the hash of ``ID`` for an identifier that is not kept by name.
    Only non-ASCII first characters (``isalpha``) and ``_KEEP`` membership ask Python."""
    count = len(raw)
    if not count:
        return np.empty(0, np.uint64), np.empty(0, np.uint64)
    lengths = np.fromiter(map(len, raw), np.int64, count)
    starts = np.zeros(count, np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    data = np.frombuffer(b"".join(raw) + b"\0\0", np.uint8)
    first, second, third = data[starts], data[starts + 1], data[starts + 2]
    quote = (first == 34) | (first == 39)
    triple = quote & (lengths >= 3) & (second == first) & (third == first)
    continuation = ((data[:-2] & 0xC0) == 0x80).astype(np.int64)
    chars = lengths - np.add.reduceat(continuation, starts)
    short = quote & ~triple & (chars - 2 <= _SHORT_STRING)
    comment = (first == 35) | ((first == 47) & (lengths >= 2) & (second == 47))
    ident = _ID_START_BYTE[first]
    for i in np.flatnonzero(first >= 0x80).tolist():
        ident[i] = raw[i].decode("utf-8", "surrogatepass")[0].isalpha()
    inputs = list(raw)
    for i in np.flatnonzero(short).tolist():
        inputs[i] = b"S:" + raw[i][1:-1]
    plain = np.fromiter(map(_digest, inputs), np.uint64, count)
    plain[(quote & ~short) | comment] = 0  # dropped (a 64-bit hash of 0 is not expected)
    as_id = plain.copy()
    ids = np.flatnonzero(ident)
    named = np.fromiter(map(_KEEP_BYTES.__contains__, [raw[i] for i in ids.tolist()]), bool)
    as_id[ids[~named]] = _ID_HASH
    return plain, as_id


class _Cache(dict):
    """Raw token -> row of ``plain`` / ``as_id`` (see ``_classify``), for the per-text path."""

    def __init__(self) -> None:
        super().__init__()
        self._plain = np.zeros(1024, np.uint64)
        self._as_id = np.zeros(1024, np.uint64)

    def rows(self, toks: list[str]) -> np.ndarray:
        """The row of each token, classifying the ones not seen yet in one ``_classify``."""
        new = [t for t in dict.fromkeys(toks) if t not in self]
        if new:
            plain, as_id = _classify([t.encode("utf-8", "surrogatepass") for t in new])
            size = len(self)
            if size + len(new) > len(self._plain):
                grow = max(size + len(new), 2 * len(self._plain)) - len(self._plain)
                self._plain = np.concatenate([self._plain, np.zeros(grow, np.uint64)])
                self._as_id = np.concatenate([self._as_id, np.zeros(grow, np.uint64)])
            self._plain[size : size + len(new)] = plain
            self._as_id[size : size + len(new)] = as_id
            self.update(zip(new, range(size, size + len(new)), strict=True))
        return np.fromiter(map(self.__getitem__, toks), np.int64, len(toks))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self._plain, self._as_id


_ID_HASH = token_hash("ID")
_DOT_HASH = np.uint64(token_hash("."))


def _normalise(
    plain_of: np.ndarray, as_id_of: np.ndarray, rows: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised token hashes of the token ``rows`` (into ``plain_of`` / ``as_id_of``) of texts
    sliced by ``offsets``: dropped tokens removed, and an identifier right after a kept "." of
    the same text keeps its name (attribute access). Returns the hashes and the offsets of each
    text's slice in them."""
    plain = plain_of[rows]
    kept = plain != 0
    if not kept.all():
        plain = plain[kept]
        rows = rows[kept]
        offsets = np.concatenate([[0], np.cumsum(kept, dtype=np.int64)])[offsets]
    th = as_id_of[rows]
    if len(th) > 1:
        after_dot = np.flatnonzero(plain[:-1] == _DOT_HASH) + 1
        if len(offsets) > 2:  # a "." that ends one text is not followed by the next text's name
            starts = np.zeros(len(th) + 1, bool)
            starts[offsets] = True
            after_dot = after_dot[~starts[after_dot]]
        th[after_dot] = plain[after_dot]
    return th, offsets


class TokenHasher:
    """``gram_hashes(text, n)`` == ``gram_hashes(normalized_tokens(text), n)``, faster."""

    def __init__(self, max_cached: int = 1 << 17):
        self.max_cached = max_cached
        self._local = threading.local()
        self.pattern = rust_token_pattern()  # built once per process, at setup

    def _cache(self) -> _Cache:
        cache = getattr(self._local, "cache", None)
        if cache is None or len(cache) > self.max_cached:
            cache = self._local.cache = _Cache()
        return cache

    def token_hashes(self, text: str) -> np.ndarray:
        """Hashes of the normalised tokens of ``text``."""
        cache = self._cache()
        rows = cache.rows(_TOKEN.findall(text))
        th, _ = _normalise(*cache.arrays(), rows, np.array([0, len(rows)], np.int64))
        return th

    def batch_token_hashes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``token_hashes`` of every text, concatenated, and the offsets of each text's slice
        (``len(texts) + 1``). Tokenised by polars' Rust regex in one call; only the batch's
        distinct tokens are classified and hashed (``_classify``). Texts must be valid UTF-8
        strings (no lone surrogates)."""
        if not texts:
            return np.empty(0, np.uint64), np.zeros(1, np.int64)
        tokens = pl.Series(texts, dtype=pl.String).str.extract_all(self.pattern)
        lists = tokens.to_arrow()
        if isinstance(lists, pa.ChunkedArray):
            lists = pa.concat_arrays(lists.chunks)
        offsets = np.asarray(lists.offsets, np.int64)
        offsets = offsets - offsets[0]
        encoded = pc.dictionary_encode(lists.flatten())
        plain, as_id = _classify(encoded.dictionary.cast(pa.large_binary()).to_pylist())
        indices = np.asarray(encoded.indices, np.int64) if len(encoded) else np.empty(0, np.int64)
        return _normalise(plain, as_id, indices, offsets)

    def gram_hashes(self, text: str, n: int) -> np.ndarray:
        return combine(self.token_hashes(text), n)

    def batch_gram_hashes(self, texts: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """``gram_hashes`` of every text, concatenated, and the offsets of each text's grams."""
        return combine_batch(*self.batch_token_hashes(texts), n)
