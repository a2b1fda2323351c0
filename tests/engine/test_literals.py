"""``Literals``: which of a few byte strings each text of a batch holds."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from curate.dedup.decontam_tokens import encode
from curate.engine.literals import Literals


def _texts(count: int) -> list[str]:
    rng = random.Random(4)
    alphabet = ["a", "b", "\\n", "\\", "n", "palin", "drome", "grö", "ße", "€", " ", "\n"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(14))) for _ in range(count)]


def test_held_is_substring_membership() -> None:
    texts = _texts(3000)
    data, offsets = encode(texts)
    words = ["palindrome", "größe", "\\n", "a", "€€"]
    literals = Literals([w.encode() for w in words])
    got = literals.held(data, offsets)
    assert got.tolist() == [[w in t for w in words] for t in texts]
    assert 0 < got[:, 0].sum() < len(texts)
    docs = list(range(1, len(texts), 7))
    assert literals.held(data, offsets, docs).tolist() == [got[d].tolist() for d in docs]
    copy = pickle.loads(pickle.dumps(literals))
    assert np.array_equal(copy.held(data, offsets), got)


def test_no_words_and_bad_words() -> None:
    data, offsets = encode(["abc", ""])
    assert Literals([]).held(data, offsets).shape == (2, 0)
    with pytest.raises(ValueError):
        Literals([b"a", b"a"])
    with pytest.raises(ValueError):
        Literals([b""])


def test_caseless_words_and_head() -> None:
    texts = [*_texts(2000), "PALINdrome", "xx" * 20 + "Palindrome", "größe"]
    data, offsets = encode(texts)
    words = ["palindrome", "größe", "a"]
    literals = Literals([w.encode() for w in words], caseless=[b"palindrome"])
    got = literals.held(data, offsets)
    assert got.tolist() == [
        ["palindrome" in t.lower(), "größe" in t, "a" in t] for t in texts
    ]  # ASCII caseless: "grÖße" would not match "größe"
    assert got[-3, 0] and got[-2, 0]
    head = literals.held(data, offsets, head=12)
    assert head.tolist() == [
        [
            w.encode() in (t.encode().lower() if w == "palindrome" else t.encode())[:12]
            for w in words
        ]
        for t in texts
    ]
    copy = pickle.loads(pickle.dumps(literals))
    assert np.array_equal(copy.held(data, offsets), got)
    with pytest.raises(ValueError):
        Literals([b"a"], caseless=[b"b"])
