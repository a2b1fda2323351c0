"""The compiled text-statistics kernels against their plain-Python definitions: bit-exact on
the hashes they share with the earlier numpy code, on Unicode, empty, CRLF, very long and mixed
batches (and batch slices, whose bytes do not start at offset 0)."""

from __future__ import annotations

import importlib
import random
import re
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from curate.filters.quality import text_signals, text_stats

_MASK = (1 << 64) - 1
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_WORD = re.compile(rb"[A-Za-z0-9_\x80-\xff]+")


def _word_hash(word: bytes) -> int:
    """The numpy definition's word hash, in Python integers."""
    if len(word) <= 8:
        v = int.from_bytes(word, "little")
    else:
        first, last = int.from_bytes(word[:8], "little"), int.from_bytes(word[-8:], "little")
        v = (first * _M2 + last + len(word) * _M1) & _MASK
    v = (v * _M1) & _MASK
    return v ^ (v >> 29)


def _ngram_fraction(text: str, n: int, rows: int) -> float | None:
    """Share of the n-grams whose hash chain (above the batch's document-index width of low
    bits) occurs more than once in the document."""
    hashes = [_word_hash(m.group()) for m in _WORD.finditer(text.encode())]
    bits = max(1, (rows + 1).bit_length())
    keys = []
    for s in range(len(hashes) - n + 1):
        g = hashes[s]
        for h in hashes[s + 1 : s + n]:
            g = (g * _M1 + h) & _MASK
        keys.append(g >> bits)
    if not keys:
        return None
    counts = Counter(keys)
    return sum(c for c in counts.values() if c > 1) / len(keys)


def _exact_fraction(text: str, n: int) -> float | None:
    """The same statistic on the word tuples themselves (no hashing)."""
    words = [m.group() for m in _WORD.finditer(text.encode())]
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    if not grams:
        return None
    counts = Counter(grams)
    return sum(counts[g] > 1 for g in grams) / len(grams)


def _docs() -> list[str]:
    rng = random.Random(11)
    vocab = ["x", "ab", "snake_case", "éte", "中文字", "😀", "eightchr", "ninechars", "a" * 40]
    docs = [
        "",
        " \n\t ",
        "one two three four",  # fewer than 5 words: null
        "a b c d e",  # exactly one 5-gram
        "a b c d e a b c d e",  # every 5-gram twice... except the ones across the middle
        "line one two three four\r\nline one two three four\r\n",  # CRLF
        "naïve café 中文 😀 naïve café 中文 😀 naïve café 中文 😀",  # Unicode words
        "x" * 5000 + " " + "x" * 5000 + " y z w x" * 3,  # very long words (> 8 bytes)
        ("alpha beta gamma delta epsilon " * 4000).strip(),  # one very long line
        "eightchr eightchr eightchr eightchr eightchr eightchr",  # 8-byte words
        "ninechars ninechars ninechars ninechars ninechars ninechar",
        "\ufffd\ufffd \ufffd x y z \ufffd\ufffd \ufffd x y z",  # replacement characters
    ]
    for _ in range(200):
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 40))]
        seps = [rng.choice([" ", "\n", "\r\n", ", ", "(", "->"]) for _ in words]
        docs.append("".join(w + s for w, s in zip(words, seps, strict=True)))
    return docs


@pytest.mark.parametrize("n", [5, 3, 1])
def test_ngram_kernel_matches_the_definitions(n: int) -> None:
    docs = _docs()
    got = text_stats.repeated_ngram_fraction(pa.array(docs, pa.large_string()), n).to_list()
    for text, value in zip(docs, got, strict=True):
        assert value == _ngram_fraction(text, n, len(docs)), repr(text[:80])
        exact = _exact_fraction(text, n)
        assert value == (None if exact is None else pytest.approx(exact)), repr(text[:80])


def test_ngram_kernel_on_a_slice_and_across_document_boundaries() -> None:
    # Adjacent documents share no word or n-gram: "c d" + "e f g" would form a 5-gram, and the
    # bytes "...d" "e..." would form one word, if boundaries leaked.
    docs = pa.array(["skipped words here", "a b c d", "e f g", "a b c d e a b c d e"], pa.string())
    batch = docs.slice(1)
    got = text_stats.repeated_ngram_fraction(text_stats.as_large_string(batch), 5).to_list()
    assert got[:2] == [None, None]
    assert got[2] == _ngram_fraction("a b c d e a b c d e", 5, 3)
    assert got[2] == pytest.approx(2 / 6)  # "a b c d e" twice of six 5-grams


def test_ngram_signal_does_and_does_not_fire() -> None:
    distinct = " ".join(f"w{i}" for i in range(500))
    repeated = "for i in range ( n ) : total += i\n" * 50
    frame = text_signals(pa.array([distinct, repeated, ""]), ["a.py", "b.py", "c.py"])
    values = frame["repeated_ngram_fraction"].to_list()
    assert values[0] == 0.0
    assert values[1] > 0.95
    assert values[2] is None


def test_ngram_zero_skips_the_signal() -> None:
    frame = text_signals(pa.array(["a b c d e a b c d e"]), ["a.py"], ngram=0)
    assert frame["repeated_ngram_fraction"].to_list() == [None]


# --- byte, character and line statistics -------------------------------------------------------

_WHITE_SPACE = (
    "".join(
        map(chr, [*range(9, 14), 32, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029])
    )
    + "\u202f\u205f\u3000"
)
"""Unicode White_Space: what polars' ``strip_chars`` strips (Python's ``str.strip`` also strips
U+001C-U+001F, which polars keeps)."""


def _line_reference(text: str, long_line_chars: int) -> dict[str, float | int | None]:
    lines = text.split("\n") if text else []
    if text.endswith("\n"):
        lines = lines[:-1]
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    stripped = [ln.strip(_WHITE_SPACE) for ln in lines]
    substantive = [ln for ln in stripped if len(ln) >= text_stats.REPEATED_LINE_MIN_CHARS]
    repeats = sum(ln in substantive[:i] for i, ln in enumerate(substantive))
    n = len(text)
    return {
        "line_count": len(lines),
        "max_line_length": max(map(len, lines)) if lines else None,
        "mean_line_length": sum(map(len, lines)) / len(lines) if lines else None,
        "long_line_fraction": sum(len(ln) > long_line_chars for ln in lines) / len(lines)
        if lines
        else None,
        "repeated_line_fraction": repeats / len(substantive) if substantive else None,
        "alpha_fraction": sum(c.isalpha() for c in text) / n if n else None,
        "alnum_fraction": sum(c.isalnum() for c in text) / n if n else None,
        "digit_fraction": sum(c in "0123456789" for c in text) / n if n else None,
        "whitespace_fraction": sum(c in " \t\n\r\f\v" for c in text) / n if n else None,
        "non_ascii_fraction": sum(ord(c) > 127 for c in text) / n if n else None,
        "replacement_char_fraction": text.count("\ufffd") / n if n else None,
    }


def _line_docs() -> list[str]:
    rng = random.Random(3)
    docs = [
        "",
        "\n",
        "\r\n",
        "\r",
        "abc\r",  # a final line's \r is not part of it either
        "a\r\r\nb",
        "\n\n\n",
        "x" * 5000,  # one line far over a packed counter's 1023-byte chunk
        ("é" * 700 + "a1 " * 400 + "中" * 500 + "\n") * 3,  # long non-ASCII lines, repeated
        "\u00a0\u3000repeated line here\u2028\n" * 3,  # Unicode whitespace is stripped
        "\x1crepeated line here\n\x1crepeated line here\n",  # U+001C is not whitespace
        "  exactly10c  \n  exactly10c\n exactly9c\n exactly9c\n",  # the 10-character bound
        "ééééééééé\néééééééééé\néééééééééé\n",  # 9 and 10 characters of 2 bytes each
        "\ufffd\ufffd bad bytes \ufffd\n",
        "tab\tseparated\tvalues here\r\ntab\tseparated\tvalues here\r\n",
        "😀" * 300 + "\n" + "😀" * 301,
        # letters and digits by Python's rules: superscript two, Roman numeral, Arabic-Indic
        # digit, a combining accent (neither), a title-case digraph, a 4-byte math letter
        "x\u00b2 \u216b \u0663 e\u0301 \u01c5 \U0001d538 \u00a7 \u2028 \ue000\n",
    ]
    pieces = ["abc", "é", "中文", "😀", " ", "\t", "\u00a0", "\u3000", "\r", "\n", "\r\n", "0"]
    pieces += ["\u00b2", "\u0301", "\U0001d538", "\u216b", "\u0663"]
    for _ in range(300):
        line_pool = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(5)
        ]
        docs.append("".join(rng.choice(line_pool) for _ in range(rng.randint(0, 12))))
    docs.append("".join(rng.choice(pieces) for _ in range(20000)))  # long, everything mixed
    return docs


@pytest.mark.parametrize("long_line_chars", [300, 5])
def test_byte_and_line_kernel_matches_the_definitions(long_line_chars: int) -> None:
    docs = _line_docs()
    frame = text_signals(
        pa.array(docs, pa.large_string()),
        [f"f{i}.txt" for i in range(len(docs))],
        long_line_chars=long_line_chars,
    )
    for text, row in zip(docs, frame.iter_rows(named=True), strict=True):
        for key, value in _line_reference(text, long_line_chars).items():
            got = row[key]
            assert (got is None) == (value is None), (key, repr(text[:60]))
            if value is not None:
                assert got == pytest.approx(value, rel=1e-12), (key, repr(text[:60]))


def test_line_kernel_on_a_slice_and_a_batch_without_bytes() -> None:
    docs = pa.array(["dropped\n", "same line again\nsame line again", "", "last\r\n"]).slice(1)
    frame = text_signals(docs, ["a", "b", "c"])
    assert frame["line_count"].to_list() == [2, 0, 1]
    assert frame["repeated_line_fraction"].to_list() == [0.5, None, None]
    assert frame["max_line_length"].to_list() == [15, None, 4]
    empty = text_signals(pa.array(["", ""], pa.large_string()), ["a", "b"])
    assert empty["line_count"].to_list() == [0, 0]
    assert empty["alnum_fraction"].to_list() == [None, None]


def test_kernels_compile_where_no_cache_directory_is_writable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """numba refuses ``cache=True`` where no cache directory is writable (read-only install and
    home); the kernels then compile per process instead of failing the import."""
    from numba.core import caching

    from curate.filters.quality import kernels

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])
    try:
        importlib.reload(kernels)
        assert type(kernels._byte_stats._cache).__name__ == "NullCache"
        docs = ["same line again\nsame line again\n", "a b c d e a b c d e"]
        frame = text_signals(pa.array(docs), ["a", "b"])
        assert frame["repeated_line_fraction"].to_list() == [0.5, 0.0]
        assert frame["repeated_ngram_fraction"].to_list()[1] == pytest.approx(2 / 6)
    finally:
        monkeypatch.undo()
        importlib.reload(kernels)
    assert type(kernels._byte_stats._cache).__name__ != "NullCache"


def test_warm_up_compiles_what_batches_use() -> None:
    """After ``warm_up`` (the annotator's setup) no batch compiles a kernel: batch bytes from a
    Parquet file (writable buffers) and over Python ``bytes`` (read-only) both hit a compiled
    specialisation."""
    import pyarrow.parquet as pq

    from curate.filters.quality import kernels

    kernels.warm_up()
    dispatchers = [kernels._repeated_ngrams, kernels._byte_stats, kernels._unicode_letters]
    compiled = [len(d.signatures) for d in dispatchers]
    text = "caf\u00e9 line one two three\ncaf\u00e9 line one two three\n"
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"content": [text, "x"]}), sink)
    from_parquet = pq.read_table(pa.BufferReader(sink.getvalue())).column("content")
    data = text.encode()
    over_bytes = pa.Array.from_buffers(
        pa.large_string(),
        1,
        [None, pa.py_buffer(np.array([0, len(data)], np.int64)), pa.py_buffer(data)],
    )
    for content in (from_parquet, over_bytes):
        frame = text_signals(content, ["a.txt"] * len(content))
        assert frame["repeated_line_fraction"][0] == 0.5
    assert [len(d.signatures) for d in dispatchers] == compiled


def test_fenced_lines_equal_a_plain_python_count() -> None:
    """Every line is found and judged: short and long lines, CRLF, tabs, no final newline,
    non-ASCII bytes."""
    from curate.filters.quality.kernels import fenced_lines

    rng = random.Random(5)
    parts = ["--a--", "[x]", "==", "##", "]", "[", "-", " ", "\t", "\r", "\n", "\n", "ab", "\u00e9"]
    docs = ["".join(rng.choice(parts) for _ in range(rng.randint(0, 50))) for _ in range(3000)]

    def expected(text: str) -> int:
        count = 0
        for line in text.split("\n"):
            body = line.strip(" \t").rstrip(" \t\r")
            if len(body.encode()) >= 2:
                opens = body[0] == "[" or body[:2] in ("--", "==", "##")
                closes = body[-1] == "]" or body[-2:] in ("--", "==", "##")
                count += opens and closes
        return count

    view = text_stats.ByteView.of(pa.array(docs, pa.large_string()))
    got = fenced_lines(view.data, view.offsets, np.arange(len(docs)))
    assert got.tolist() == [expected(d) for d in docs]
