"""The compiled text-statistics kernels against their plain-Python definitions: bit-exact on
the hashes they share with the earlier numpy code, on Unicode, empty, CRLF, very long and mixed
batches (and batch slices, whose bytes do not start at offset 0)."""

from __future__ import annotations

import random
import re
from collections import Counter

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
