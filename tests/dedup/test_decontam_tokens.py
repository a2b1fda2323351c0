"""The fast n-gram hasher equals the readable normaliser, and the docstring pre-filter never
hides a docstring match (while it does skip texts that cannot match)."""

from __future__ import annotations

import copy
import json
import random

import numpy as np
import pytest

from curate.dedup.decontam import build_index, load_benchmark
from curate.dedup.decontam_anchors import DocstringAnchors
from curate.dedup.decontam_tokens import TokenHasher, gram_hashes, normalized_tokens
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
]


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


def test_attribute_names_are_kept_only_after_a_dot() -> None:
    hasher = TokenHasher()
    a = hasher.token_hashes("x.lower(y)")
    b = hasher.token_hashes("x.upper(y)")
    c = hasher.token_hashes("lower(y) + upper(y)")
    assert not np.array_equal(a, b)  # attribute names count
    assert c[0] == c[5]  # bare identifiers are both ID


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
