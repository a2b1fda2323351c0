"""Text signals over a whole batch of documents.

Everything works on the batch's UTF-8 bytes as one numpy array (``ByteView``): the character
classes, line statistics and word n-grams come from compiled per-document loops
(``kernels``: one pass over the bytes each, no Python per character); the two pattern regexes
run in polars, only on the documents that one Hyperscan pass says may match; Python touches
characters only for the Unicode letter/digit classes of non-ASCII text. Every function takes the
batch's content as an Arrow array and returns one value per document, nulls where a statistic
is undefined (e.g. fractions of an empty file).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from functools import cached_property

import hyperscan
import numpy as np
import polars as pl
import pyarrow as pa

from curate.engine.literals import thread_scratch

REPEATED_LINE_MIN_CHARS = 10
"""Lines shorter than this (after stripping) never count as repeated: ``}``, ``end``, ``else:``
repeat in every healthy file."""
LONG_LINE_CHARS = 300
NGRAM = 5
ENCODED_MIN_RUN = 64
ENCODED_MIN_ESCAPES = 16
DATA_MIN_ITEMS = 16

_ENCODED_RE = (
    rf"[A-Za-z0-9+/]{{{ENCODED_MIN_RUN},}}={{0,2}}"  # base64 (and long hex) runs
    rf"|(?:\\x[0-9a-fA-F]{{2}}){{{ENCODED_MIN_ESCAPES},}}"  # \xNN escape runs
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


@dataclass
class ByteView:
    """A batch's UTF-8 bytes as one uint8 array and per-document offsets into it, shared by the
    character, line, word and pattern statistics."""

    content: pa.LargeStringArray
    offsets: np.ndarray
    """int64, ``len(content) + 1`` offsets relative to ``data``."""
    data: np.ndarray
    base: int
    """Absolute position of ``data[0]`` in the Arrow data buffer."""
    _stats: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def of(cls, content: pa.LargeStringArray) -> ByteView:
        n = len(content)
        buffers = content.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int64)[content.offset : content.offset + n + 1]
        if offsets.size == 0:
            offsets = np.zeros(1, np.int64)
        base = int(offsets[0])
        size = int(offsets[-1]) - base
        raw = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
        data = raw[base : base + size] if raw is not None else np.zeros(0, np.uint8)
        return cls(content, offsets - base, data, base)

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offsets)

    @cached_property
    def loads(self) -> np.ndarray:
        """``jit.unaligned_u64`` of the bytes, built once for the kernels that load words."""
        from curate.engine.jit import unaligned_u64

        return unaligned_u64(self.data)

    @cached_property
    def series(self) -> pl.Series:
        """The content as a polars Series (converted once per batch)."""
        return pl.Series("content", self.content)

    def heads(self, max_chars: int, max_lines: int) -> pl.Series:
        """Each document's first ``max_chars`` characters, cut after its ``max_lines``-th
        newline (what ``str.slice`` and a ``^(?:[^\\n]*(?:\\n|$)){1,max_lines}`` extract give,
        without a regex over every document), null where the content is."""
        from curate.filters.quality import kernels  # numba: imported when first used

        starts = self.offsets[:-1]
        ends = kernels.head_ends(self.data, self.offsets, max_chars, max_lines)
        data = kernels.gather_ranges(self.data, starts, ends)
        offsets = np.zeros(starts.size + 1, np.int64)
        np.cumsum(ends - starts, out=offsets[1:])
        validity = self.content.is_valid().buffers()[1] if self.content.null_count else None
        heads = pa.LargeStringArray.from_buffers(
            starts.size, pa.py_buffer(offsets), pa.py_buffer(data), validity
        )
        return pl.Series("head", heads)

    def stats(self, long_line_chars: int = LONG_LINE_CHARS) -> dict[str, np.ndarray]:
        """Per-document byte, character and line counts (``kernels.BYTE_FIELDS``), from one
        compiled pass over the batch (cached: the character and line statistics share it)."""
        if long_line_chars not in self._stats:
            from curate.filters.quality import kernels  # numba: imported when first used

            self._stats[long_line_chars] = kernels.byte_stats(
                self.data, self.offsets, long_line_chars, REPEATED_LINE_MIN_CHARS, self.loads
            )
        return self._stats[long_line_chars]


def char_class_counts(
    content: pa.LargeStringArray, view: ByteView | None = None
) -> dict[str, np.ndarray]:
    """Per document: bytes, chars and counts of alnum/alpha/digit/whitespace/non-ASCII chars.

    Alphanumeric and alphabetic follow Python's ``str.isalnum`` / ``isalpha`` (Unicode-aware,
    as in The Stack's filter); digits and whitespace are ASCII.
    """
    view = view if view is not None else ByteView.of(content)
    stats = view.stats()
    high, lead = stats["high"], stats["non_ascii"]
    counts = {
        "alpha": stats["alpha"].copy(),
        "digit": stats["digit"],
        "space": stats["space"],
        "non_ascii": lead,
        "bytes": view.sizes,
        "chars": view.sizes - (high - lead),
        "replacement": stats["replacement"],
    }
    counts["alnum"] = counts["alpha"] + counts["digit"]
    index = np.flatnonzero(high)
    if index.size:  # non-ASCII documents only: exact Unicode letters and digits
        from curate.filters.quality import kernels

        letters, alnum = kernels.unicode_letters(view.data, view.offsets, index)
        counts["alpha"][index] += letters
        counts["alnum"][index] += alnum
    return counts


def _null_where(values: np.ndarray, mask: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, pa.array(values, pa.float64(), mask=mask))


def line_stats(
    content: pa.LargeStringArray,
    long_line_chars: int = LONG_LINE_CHARS,
    view: ByteView | None = None,
) -> pl.DataFrame:
    """Per document: line_count, mean/max line length (chars), long_line_fraction,
    repeated_line_fraction. Row order = input order.

    A line is the text up to and including ``\\n`` (a final newline does not start a new line);
    its length in characters excludes the ``\\n`` and a ``\\r`` before it. A line repeats when,
    stripped of Unicode whitespace (as polars' ``strip_chars``) and at least
    ``REPEATED_LINE_MIN_CHARS`` characters long, it equals an earlier line of the document."""
    view = view if view is not None else ByteView.of(content)
    stats = view.stats(long_line_chars)
    line_count, subst = stats["line_count"], stats["substantive"]
    has_lines = line_count > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return pl.DataFrame(
            [
                pl.Series("line_count", line_count),
                _null_where(stats["line_chars"] / line_count, ~has_lines, "mean_line_length"),
                pl.Series(
                    "max_line_length", pa.array(stats["max_line"], pa.int64(), mask=~has_lines)
                ),
                _null_where(stats["long_lines"] / line_count, ~has_lines, "long_line_fraction"),
                _null_where(stats["repeated"] / subst, subst == 0, "repeated_line_fraction"),
            ]
        )


def repeated_ngram_fraction(
    content: pa.LargeStringArray, n: int = NGRAM, view: ByteView | None = None
) -> pl.Series:
    """Fraction of a document's word n-grams that occur more than once in it (Gopher-style
    repetition signal; a word is a run of ``[A-Za-z0-9_]`` or non-ASCII bytes); null when a
    document has fewer than ``n`` words. One compiled pass per document (``kernels``)."""
    rows = len(content)
    if n <= 0:
        return pl.Series("repeated_ngram_fraction", [None] * rows, dtype=pl.Float64)
    view = view if view is not None else ByteView.of(content)
    # The numpy definition keyed n-grams by (document, hash) in one uint64, the hash losing the
    # document index's width of low bits; the kernel drops the same bits (identical results).
    bits = max(1, int(rows + 1).bit_length())
    from curate.filters.quality import kernels  # numba: imported when first used

    total, dups = kernels.repeated_ngrams(view.data, view.offsets, n, bits, view.loads)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = dups / total
    return _null_where(frac, total == 0, "repeated_ngram_fraction")


# Necessary conditions of the two pattern regexes, as byte patterns for one Hyperscan pass: a
# match of _ENCODED_RE contains 64 base64 bytes or 16 escapes (ASCII classes: byte semantics are
# the regex's); a match of _DATA_RE contains 16 "number, " items, where polars' Unicode \d and
# \s are widened to any non-ASCII byte (every byte of a multi-byte digit or space is >= 0x80).
_SPACE_B = r"[\t\n\x0b\x0c\r \x80-\xff]"
_DIGIT_B = r"[0-9\x80-\xff]"
_NUMBER_B = (
    rf"[-+]?(?:0[xX][0-9a-fA-F]+|{_DIGIT_B}+\.?{_DIGIT_B}*(?:[eE][-+]?{_DIGIT_B}+)?)[fFlLuU]?"
)
_PREFILTERS = (
    rf"(?:{_NUMBER_B}{_SPACE_B}*[,;]{_SPACE_B}*){{{DATA_MIN_ITEMS}}}",  # id 0: data literal
    rf"[A-Za-z0-9+/]{{{ENCODED_MIN_RUN}}}|(?:\\x[0-9a-fA-F]{{2}}){{{ENCODED_MIN_ESCAPES}}}",  # id 1
)


class _PatternPrefilter:
    """The documents of a batch that may match each pattern regex: one Hyperscan block scan a
    document, stopping at each pattern's first match. Only those documents go through the
    (Unicode) polars regex, which gives the values."""

    def __init__(self) -> None:
        self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self.db.compile(
            expressions=[p.encode() for p in _PREFILTERS],
            ids=list(range(len(_PREFILTERS))),
            elements=len(_PREFILTERS),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(_PREFILTERS),
        )
        self._local = threading.local()  # a scratch space serves one scan at a time

    def candidates(self, view: ByteView) -> list[np.ndarray]:
        """Per pattern id, the sorted indices of the documents with a match."""
        scratch = thread_scratch(self._local, self.db)
        hits: list[list[int]] = [[] for _ in _PREFILTERS]

        def found(pid: int, _start: int, _end: int, _flags: int, doc: int) -> None:
            hits[pid].append(doc)

        data, scan = view.data, self.db.scan
        bounds = view.offsets.tolist()
        for doc, (a, b) in enumerate(itertools.pairwise(bounds)):
            if b > a:
                scan(data[a:b], match_event_handler=found, scratch=scratch, context=doc)
        return [np.array(sorted(h), np.int64) for h in hits]


_prefilter: _PatternPrefilter | None = None


def pattern_prefilter() -> _PatternPrefilter:
    """The process's compiled pre-filter (built on first use, or by the annotator's setup)."""
    global _prefilter
    if _prefilter is None:
        _prefilter = _PatternPrefilter()
    return _prefilter


def _pattern_candidates(view: ByteView) -> list[np.ndarray]:
    return pattern_prefilter().candidates(view)


def _matched_bytes(series: pl.Series, regex: str, keep: pl.Expr | None = None) -> np.ndarray:
    """Per string, the bytes of its (non-overlapping) matches of ``regex`` (those for which
    ``keep`` holds)."""
    matches = pl.element() if keep is None else pl.element().filter(keep)
    return (
        series.str.extract_all(regex)
        .list.eval(matches.str.len_bytes())
        .list.sum()
        .fill_null(0)
        .to_numpy()
        .astype(np.float64)
    )


def pattern_fractions(
    content: pa.LargeStringArray, bytes_: np.ndarray, view: ByteView | None = None
) -> pl.DataFrame:
    """Fractions of bytes inside encoded blobs (base64 / hex / ``\\xNN`` runs of 64+ chars that
    mix letters and digits) and inside numeric literal lists (16+ comma-separated numbers)."""
    view = view if view is not None else ByteView.of(content)
    rows = len(content)
    data_docs, encoded_docs = _pattern_candidates(view)
    enc = np.zeros(rows, np.float64)
    data = np.zeros(rows, np.float64)
    if encoded_docs.size:  # _ENCODED_RE's matches that mix letters and digits, compiled
        from curate.filters.quality import kernels  # numba: imported when first used

        enc[encoded_docs] = kernels.encoded_bytes(
            view.data, view.offsets, encoded_docs, ENCODED_MIN_RUN, ENCODED_MIN_ESCAPES
        )
    if data_docs.size:
        data[data_docs] = _matched_bytes(view.series.gather(data_docs), _DATA_RE)
    empty = bytes_ == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return pl.DataFrame(
            [
                _null_where(enc / bytes_, empty, "encoded_data_fraction"),
                _null_where(data / bytes_, empty, "data_literal_fraction"),
            ]
        )
