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
