"""The fast n-gram hasher equals the readable normaliser, and the docstring pre-filter never
hides a docstring match (while it does skip texts that cannot match)."""

from __future__ import annotations

import copy
import json
import random

import numpy as np
import polars as pl
import pytest

from curate.dedup.decontam import build_index, load_benchmark
from curate.dedup.decontam_anchors import DocstringAnchors
from curate.dedup.decontam_tokens import (
    _TOKEN,
    TokenHasher,
    gram_hashes,
    normalized_tokens,
    rust_token_pattern,
)
from tests.support.decontam_forms import FORMS, HARD_NEGATIVES

from .helpers import make_function

EDGE_CASES = [
    "",
    "x",
    "obj.append(len(z))",
    "obj. # a comment between\n  items.keys()",
    "a = '''unclosed docstring\nb = 1",
    's = "' + "x" * 24 + '" + "' + "y" * 25 + '"',
    "t = 'it\\'s' + \"q\\\"\" + '\\\\'",
    "π = größe.länge + naïve  // C comment\n// whole line",
    "caf\u00e9 = r'\\d+' ; 0x1F + 1.5e3 + 2_000 + .5 + 1..2",
    "def f(self, *args, **kw) -> Optional[List[int]]:\n    return self.g(*args)\n",
    "x = 1 # trailing\n#!/usr/bin/env python\nprint(x)",
    "\u0663\u0664 + \u00e9t\u00e9 + _x9 + \u00a0\u2028 ; \u00bd \u00b2 - x//2 /3 #c\n'a'\"b\"",
    "x.\u00e9t\u00e9 + y.\u0663",
    # Short strings are counted in characters, not UTF-8 bytes (24 kept, 25 dropped).
    "a = '" + "\u00e9" * 24 + "' + '" + "\u20ac" * 25 + "' + \"" + "\U0001f600" * 24 + '"',
]
# Lone surrogates (decoded JSON escapes) only reach the per-text path.
SURROGATES = ["s = '\ud800' + \udfff.x + '" + "\ud800" * 25 + "' # \udc00", "\ud83d.\u00e9"]


def _texts() -> list[str]:
    rng = random.Random(5)
    tasks = load_benchmark("humaneval")
    out = list(EDGE_CASES)
    out += [make_function(rng, rng.randrange(1, 60)) for _ in range(60)]
    out += [t.code for t in tasks[:40]] + [t.test for t in tasks[:40]]
    out += [FORMS["json-row"](t) for t in tasks[:10]]
    return out


@pytest.mark.parametrize("n", [1, 3, 10])
def test_fast_hasher_equals_reference(n: int) -> None:
    hasher = TokenHasher(max_cached=50)  # tiny cache: resets between texts are exercised too
    for text in _texts():
        expected = gram_hashes(normalized_tokens(text), n)
        got = hasher.gram_hashes(text, n)
        assert got.dtype == np.uint64 and np.array_equal(got, expected), text[:80]


def test_fast_hasher_equals_reference_on_lone_surrogates() -> None:
    hasher = TokenHasher()
    for text in SURROGATES:
        expected = gram_hashes(normalized_tokens(text), 3)
        assert np.array_equal(hasher.gram_hashes(text, 3), expected), text


def test_attribute_names_are_kept_only_after_a_dot() -> None:
    hasher = TokenHasher()
    a = hasher.token_hashes("x.lower(y)")
    b = hasher.token_hashes("x.upper(y)")
    c = hasher.token_hashes("lower(y) + upper(y)")
    assert not np.array_equal(a, b)  # attribute names count
    assert c[0] == c[5]  # bare identifiers are both ID


# Characters on which Python's and Rust's Unicode classes disagree: "\x1c"-"\x1f" are \s only in
# Python, "½" / "²" are \w only in Python, combining marks and Roman numerals are \w only in Rust.
CLASS_EDGES = "\x1c\x1d\x1e\x1f\x85\xa0\u2028\u3000\xbd\xb2\u2160\u0301\u0663\u0966\uff10\xb5\u02b0"


def _unicode_texts(count: int = 400) -> list[str]:
    """Code-like ASCII mixed with random code points from the whole Unicode range."""
    rng = random.Random(11)
    ascii_parts = [*list(" .\n\r\t\"'#/\\_aZ09x"), "x.y", "1.5e3", "'" * 3, '"' * 3, "//", "\r\n"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(0, 120)):
            r = rng.random()
            if r < 0.3:
                cp = rng.randrange(0x110000)
                parts.append(chr(cp if not 0xD800 <= cp < 0xE000 else 0x41))
            elif r < 0.45:
                parts.append(rng.choice(CLASS_EDGES))
            else:
                parts.append(rng.choice(ascii_parts))
        out.append("".join(parts))
    return out


def _batch_texts() -> list[str]:
    """Everything ``_texts`` has, plus Unicode noise, empty texts, comment-only texts, CRLF."""
    crlf = [t.replace("\n", "\r\n") for t in _texts()[:40]]
    comments = ["# only a comment", "// one\n// two\n#three\n", "'''doc only'''", '"""\n"""']
    return _texts() + _unicode_texts() + ["", "", " \n\t"] + comments + crlf + [CLASS_EDGES]


def test_rust_pattern_gives_the_python_tokens() -> None:
    texts = [*_unicode_texts(), CLASS_EDGES, "x\x1cy", "1\xbd + 2\u0301"]
    python = [_TOKEN.findall(t) for t in texts]
    assert pl.Series(texts).str.extract_all(rust_token_pattern()).to_list() == python
    # The explicit classes are needed: Rust's own \d \w \s give other tokens on these texts.
    naive = pl.Series(texts).str.extract_all(_TOKEN.pattern).to_list()
    assert naive != python
    assert _TOKEN.findall("x\x1cy") == ["x", "y"]  # "\x1c" is whitespace for Python


@pytest.mark.parametrize("n", [1, 3, 10])
def test_batch_hasher_equals_reference(n: int) -> None:
    texts = _batch_texts()
    random.Random(n).shuffle(texts)  # neighbours of every kind
    hasher = TokenHasher(max_cached=50)
    grams, offsets = hasher.batch_gram_hashes(texts, n)
    tokens, token_offsets = hasher.batch_token_hashes(texts)
    assert grams.dtype == np.uint64 and len(offsets) == len(texts) + 1 == len(token_offsets)
    for i, text in enumerate(texts):
        expected = gram_hashes(normalized_tokens(text), n)
        assert np.array_equal(grams[offsets[i] : offsets[i + 1]], expected), text[:80]
        expected_tokens = hasher.token_hashes(text)
        assert np.array_equal(tokens[token_offsets[i] : token_offsets[i + 1]], expected_tokens)


def test_batch_attribute_rule_stays_inside_a_text() -> None:
    hasher = TokenHasher()
    tokens, offsets = hasher.batch_token_hashes(["obj.", "lower(y)", "x.lower(y)", ""])
    assert np.array_equal(tokens[offsets[1] : offsets[2]], hasher.token_hashes("lower(y)"))
    assert tokens[offsets[1]] == hasher.token_hashes("z")[0]  # ID, not the name "lower"
    assert tokens[offsets[2] + 2] == hasher.token_hashes("q.lower")[2]  # the name after "."
    assert tokens[offsets[2] + 2] != tokens[offsets[1]]
    assert offsets[3] == offsets[4]
    empty, empty_offsets = hasher.batch_gram_hashes([], 10)
    assert len(empty) == 0 and empty_offsets.tolist() == [0]
    none, none_offsets = hasher.batch_gram_hashes(["", "# c", "'''d'''"], 10)
    assert len(none) == 0 and none_offsets.tolist() == [0, 0, 0, 0]


@pytest.fixture(scope="module")
def indexes():
    tasks = load_benchmark("humaneval")
    index = build_index(["humaneval"])
    unfiltered = copy.copy(index)
    unfiltered.docstring_filter = copy.copy(index.docstring_filter)
    unfiltered.docstring_filter.always = True
    return tasks, index, unfiltered


def test_docstring_prefilter_changes_no_finding(indexes) -> None:
    tasks, index, unfiltered = indexes
    rng = random.Random(3)
    texts = [f(t) for f in (*FORMS.values(), *HARD_NEGATIVES.values()) for t in tasks[::3]]
    texts += [make_function(rng, rng.randrange(5, 80)) for _ in range(100)]
    for text in texts:
        assert index.check(text) == unfiltered.check(text), text[:80]


def test_docstring_prefilter_skips_texts_without_the_anchor_words(indexes) -> None:
    tasks, index, _ = indexes
    rng = random.Random(4)
    clean = [make_function(rng, rng.randrange(5, 80)) for _ in range(200)]
    assert sum(index.docstring_filter.may_match(t) for t in clean) == 0
    doc = tasks[12].texts[0]
    assert index.docstring_filter.may_match("# " + "\n# ".join(doc.split()))
    assert index.docstring_filter.may_match(json.dumps({"p": doc}))


def test_docstring_anchors_need_all_anchor_words() -> None:
    anchors = DocstringAnchors(["Return the largest palindrome hidden in the text"], per_text=2)
    assert anchors.may_match("the largest ... palindrome")  # its two longest words
    assert not anchors.may_match("palindrome hidden in the text")
    assert not anchors.may_match("Return the text")
    assert DocstringAnchors([""]).may_match("anything")  # no words: nothing can be ruled out


def _check_texts(tasks) -> list[str]:
    rng = random.Random(6)
    texts = [f(t) for f in (*FORMS.values(), *HARD_NEGATIVES.values()) for t in tasks[::4]]
    texts += [make_function(rng, rng.randrange(5, 80)) for _ in range(60)]
    # Decoded JSON strings with a lone surrogate: not valid UTF-8, so the per-text hasher.
    row = json.dumps({"prompt": tasks[2].code + "\n# \ud800 broken"})
    assert "\\ud800" in row
    return [*texts, row, "", "x" * 50, FORMS["json-row"](tasks[5]), *_unicode_texts(50)]


def test_check_batch_equals_check(indexes) -> None:
    tasks, index, unfiltered = indexes
    texts = _check_texts(tasks)
    batch = index.check_batch(texts)
    assert batch == [index.check(t) for t in texts]
    assert sum(m.contaminated for m in batch) > len(tasks[::4])  # the forms are found
    assert not batch[-52].contaminated  # "x" * 50
    assert batch[-54].contaminated  # the JSON row with a lone surrogate, per-text path
    assert unfiltered.check_batch(texts) == batch  # the pre-filter changes nothing
    assert index.check_batch([]) == []


def test_may_match_batch_equals_may_match(indexes) -> None:
    tasks, index, unfiltered = indexes
    texts = [*_check_texts(tasks), "# " + "\n# ".join(tasks[12].texts[0].split())]
    anchors = index.docstring_filter
    got = anchors.may_match_batch(texts)
    assert got.tolist() == [anchors.may_match(t) for t in texts]
    assert 0 < got.sum() < len(texts)
    assert unfiltered.docstring_filter.may_match_batch(texts).all()
    assert not DocstringAnchors([]).may_match_batch(texts).any()
