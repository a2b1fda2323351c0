"""Vectorised text signals over a whole batch of documents.

Character classes are counted on the raw UTF-8 bytes of the Arrow content buffer with a lookup
table and ``np.add.reduceat`` (no per-character Python); line and n-gram statistics use polars
string kernels. Every function takes the batch's content as an Arrow array and returns one value
per document, nulls where a statistic is undefined (e.g. fractions of an empty file).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

# --- byte classes -----------------------------------------------------------------------------
ALNUM, ALPHA, DIGIT, SPACE, LEAD, CONT, WORD = 1, 2, 4, 8, 16, 32, 64
_LUT = np.zeros(256, dtype=np.uint8)
for _b in range(256):
    _c = chr(_b)
    if _b < 128:
        if _c.isalnum():
            _LUT[_b] |= ALNUM
        if _c.isalpha():
            _LUT[_b] |= ALPHA
        if _c.isdigit():
            _LUT[_b] |= DIGIT
        if _c in " \t\n\r\f\v":
            _LUT[_b] |= SPACE
        if _c.isalnum() or _c == "_":
            _LUT[_b] |= WORD
    elif _b < 0xC0:
        _LUT[_b] |= CONT | WORD
    else:
        _LUT[_b] |= LEAD | WORD


REPEATED_LINE_MIN_CHARS = 10
"""Lines shorter than this (after stripping) never count as repeated: ``}``, ``end``, ``else:``
repeat in every healthy file."""
LONG_LINE_CHARS = 300
NGRAM = 5
ENCODED_MIN_RUN = 64
DATA_MIN_ITEMS = 16

_ENCODED_RE = (
    rf"[A-Za-z0-9+/]{{{ENCODED_MIN_RUN},}}={{0,2}}"  # base64 (and long hex) runs
    r"|(?:\\x[0-9a-fA-F]{2}){16,}"  # \xNN escape runs
)
_NUMBER = r"[-+]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?)[fFlLuU]?"
_DATA_RE = rf"(?:{_NUMBER}\s*[,;]\s*){{{DATA_MIN_ITEMS},}}{_NUMBER}?"


def as_large_string(content: pa.Array | pa.ChunkedArray) -> pa.LargeStringArray:
    if isinstance(content, pa.ChunkedArray):
        content = (
            pa.concat_arrays(content.chunks)
            if content.num_chunks
            else pa.array([], pa.large_string())
        )
    if content.type != pa.large_string():
        content = content.cast(pa.large_string())
    return content


def _buffers(content: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    n = len(content)
    offsets = np.frombuffer(content.buffers()[1], dtype=np.int64)[
        content.offset : content.offset + n + 1
    ]
    data_buf = content.buffers()[2]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    return offsets, data


def _segment_counts(mask: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Number of True values of a boolean ``mask`` inside each [offsets[i], offsets[i+1]).

    A loop of SIMD ``count_nonzero`` calls, one per document: about three times faster than
    ``np.add.reduceat`` on byte masks (measured), at a small per-document cost."""
    starts, ends = offsets[:-1].tolist(), offsets[1:].tolist()
    count = np.count_nonzero
    return np.fromiter(
        (count(mask[a:b]) for a, b in zip(starts, ends, strict=True)), np.int64, len(starts)
    )


def byte_classes(content: pa.LargeStringArray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets relative to the first document and the class bits of every content byte (one
    lookup-table pass, shared by the character and the n-gram statistics)."""
    offsets, data = _buffers(content)
    base = int(offsets[0]) if len(offsets) else 0
    rel = offsets - base
    return rel, _LUT[data[base : base + (int(rel[-1]) if len(rel) else 0)]]


def char_class_counts(
    content: pa.LargeStringArray, classes: tuple[np.ndarray, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Per document: bytes, chars and counts of alnum/alpha/digit/whitespace/non-ASCII chars.

    Alphanumeric and alphabetic follow Python's ``str.isalnum`` / ``isalpha`` (Unicode-aware,
    as in The Stack's filter); digits and whitespace are ASCII.
    """
    rel, cls = classes if classes is not None else byte_classes(content)
    counts = {
        name: _segment_counts((cls & flag).astype(bool), rel)
        for name, flag in (
            ("alpha", ALPHA),
            ("digit", DIGIT),
            ("space", SPACE),
            ("non_ascii", LEAD),
            ("cont", CONT),
        )
    }
    counts["alnum"] = counts["alpha"] + counts["digit"]
    counts["bytes"] = np.diff(rel)
    counts["chars"] = counts["bytes"] - counts["cont"]
    # Unicode letters: exact, but only looked at in documents that have non-ASCII characters.
    # ASCII is stripped in Rust (polars); Python only classifies the non-ASCII remainder.
    index = np.flatnonzero(counts["non_ascii"])
    if index.size:
        rest = (
            pl.Series(content.take(pa.array(index))).str.replace_all(r"[\x00-\x7f]+", "").to_list()
        )
        for i, runs in zip(index, rest, strict=True):
            counts["alnum"][i] += sum(map(str.isalnum, runs))
            counts["alpha"][i] += sum(map(str.isalpha, runs))
    counts["replacement"] = (
        pc.count_substring(content, "\ufffd").to_numpy(zero_copy_only=False).astype(np.int64)
    )
    return counts


def _lines_frame(content: pa.LargeStringArray) -> pl.DataFrame:
    """One row per line: ``doc`` (row index) and ``line`` (without the newline / CR)."""
    s = pl.Series("content", content)
    frame = pl.DataFrame({"doc": np.arange(len(s), dtype=np.int64), "line": s})
    return (
        frame.filter(pl.col("line").str.len_bytes() > 0)
        .with_columns(pl.col("line").str.strip_suffix("\n").str.split("\n"))
        .explode("line")
        .with_columns(pl.col("line").str.strip_suffix("\r"))
    )


def line_stats(
    content: pa.LargeStringArray, long_line_chars: int = LONG_LINE_CHARS
) -> pl.DataFrame:
    """Per document: line_count, mean/max line length (chars), long_line_fraction,
    repeated_line_fraction. Row order = input order."""
    n = len(content)
    lines = _lines_frame(content)
    stripped = pl.col("line").str.strip_chars()
    per_line = lines.with_columns(
        pl.col("line").str.len_chars().alias("len"),
        (stripped.str.len_chars() >= REPEATED_LINE_MIN_CHARS).alias("substantive"),
        stripped.hash().alias("h"),
    ).with_columns(
        (pl.col("substantive") & ~pl.struct("doc", "h").is_first_distinct()).alias("repeat")
    )
    agg = per_line.group_by("doc").agg(
        pl.len().cast(pl.Int64).alias("line_count"),
        pl.col("len").mean().alias("mean_line_length"),
        pl.col("len").max().cast(pl.Int64).alias("max_line_length"),
        (pl.col("len") > long_line_chars).mean().alias("long_line_fraction"),
        pl.col("substantive").sum().alias("_subst"),
        pl.col("repeat").sum().alias("_rep"),
    )
    out = (
        pl.DataFrame({"doc": np.arange(n, dtype=np.int64)})
        .join(agg, on="doc", how="left")
        .sort("doc")
        .with_columns(
            pl.col("line_count").fill_null(0),
            pl.when(pl.col("_subst") > 0)
            .then(pl.col("_rep") / pl.col("_subst"))
            .alias("repeated_line_fraction"),
        )
        .drop("_subst", "_rep", "doc")
    )
    return out


_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a cheap, well-spread 64-bit hash of each element."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def _word_hashes(
    data: np.ndarray, w: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Hash of every word (run of ``[A-Za-z0-9_]`` or non-ASCII bytes) and its document index.

    A word's hash mixes its length, first 8 and last 8 bytes: two different words collide only
    when they agree on all three, which is irrelevant for a repetition statistic."""
    n = data.size
    if n == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    step = np.diff(w.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(step == 1)
    ends = np.flatnonzero(step == -1)
    # Words never cross documents: split the few that run over a document boundary.
    inner = offsets[(offsets > 0) & (offsets < n)]
    cross = inner[w[inner - 1] & w[inner]]
    if cross.size:
        starts = np.insert(starts, np.searchsorted(starts, cross), cross)
        ends = np.insert(ends, np.searchsorted(ends, cross), cross)
    length = (ends - starts).astype(np.uint64)
    padded = np.concatenate([data, np.zeros(8, np.uint8)])
    # Little-endian 8-byte loads at each word start and end, masked to the word's length.
    words8 = np.lib.stride_tricks.sliding_window_view(padded, 8)
    keep = np.minimum(ends - starts, 8).astype(np.uint64) * np.uint64(8)
    mask = np.where(
        keep == 64, np.uint64(0xFFFFFFFFFFFFFFFF), (np.uint64(1) << keep) - np.uint64(1)
    )
    first = words8[starts].copy().view(np.uint64).ravel() & mask
    last_start = np.maximum(ends - 8, starts)
    last = words8[last_start].copy().view(np.uint64).ravel() & mask
    h = _mix((first ^ length) * _M2 + last)
    per_doc = np.diff(np.searchsorted(starts, offsets))  # words per document (starts are sorted)
    doc = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), per_doc)
    return h, doc


def repeated_ngram_fraction(
    content: pa.LargeStringArray,
    n: int = NGRAM,
    classes: tuple[np.ndarray, np.ndarray] | None = None,
) -> pl.Series:
    """Fraction of a document's word n-grams that occur more than once in it (Gopher-style
    repetition signal); null when a document has fewer than ``n`` words. Vectorised over the
    batch's UTF-8 bytes."""
    rows = len(content)
    if n <= 0:
        return pl.Series("repeated_ngram_fraction", [None] * rows, dtype=pl.Float64)
    offsets, data = _buffers(content)
    rel, cls = classes if classes is not None else byte_classes(content)
    base = int(offsets[0]) if len(offsets) else 0
    view = data[base : base + (int(rel[-1]) if len(rel) else 0)]
    h, doc = _word_hashes(view, (cls & WORD).astype(bool), rel)
    total = np.zeros(rows, np.int64)
    dups = np.zeros(rows, np.int64)
    if h.size >= n:
        m = h.size - n + 1
        g = h[:m].copy()
        for k in range(1, n):  # word hashes are already mixed: a multiply-add chains them
            g = g * _M1 + h[k : k + m]
        gdoc = doc[:m]
        valid = gdoc == doc[n - 1 :]
        gdoc = gdoc[valid]
        # Document index in the high bits, n-gram hash in the rest: equal keys are the same
        # n-gram in the same document, and one sort (np.unique) counts them.
        bits = max(1, int(rows).bit_length())
        shift = np.uint64(64 - bits)
        key = (g[valid] >> np.uint64(bits)) | (gdoc.astype(np.uint64) << shift)
        uniq, counts = np.unique(key, return_counts=True)
        repeated = counts > 1
        total = np.bincount(gdoc, minlength=rows)
        dups = np.bincount(
            (uniq[repeated] >> shift).astype(np.int64), weights=counts[repeated], minlength=rows
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = dups / total
    return pl.Series("repeated_ngram_fraction", pa.array(frac, pa.float64(), mask=total == 0))


def pattern_fractions(content: pa.LargeStringArray, bytes_: np.ndarray) -> pl.DataFrame:
    """Fractions of bytes inside encoded blobs (base64 / hex / ``\\xNN`` runs of 64+ chars that
    mix letters and digits) and inside numeric literal lists (16+ comma-separated numbers)."""
    s = pl.Series("c", content)
    mixed = pl.element().str.contains("[0-9]") & pl.element().str.contains("[A-Za-z]")
    frame = pl.DataFrame({"c": s, "b": bytes_}).select(
        pl.col("c")
        .str.extract_all(_ENCODED_RE)
        .list.eval(pl.element().filter(mixed).str.len_bytes())
        .list.sum()
        .alias("enc"),
        pl.col("c")
        .str.extract_all(_DATA_RE)
        .list.eval(pl.element().str.len_bytes())
        .list.sum()
        .alias("data"),
        pl.col("b"),
    )
    return frame.select(
        pl.when(pl.col("b") > 0)
        .then(pl.col("enc").fill_null(0) / pl.col("b"))
        .alias("encoded_data_fraction"),
        pl.when(pl.col("b") > 0)
        .then(pl.col("data").fill_null(0) / pl.col("b"))
        .alias("data_literal_fraction"),
    )
