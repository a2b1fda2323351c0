import pytest

from pyutils.text import dedent_block, normalize_whitespace, slugify, truncate, wrap


def test_slugify_folds_accents_and_punctuation():
    assert slugify("Crème brûlée, s'il vous plaît!") == "creme-brulee-s-il-vous-plait"


def test_slugify_respects_max_length():
    assert slugify("one two three four", max_length=9) == "one-two-t"
    assert slugify("one two three", max_length=8) == "one-two"


def test_normalize_whitespace():
    assert normalize_whitespace("  a \t b\n\nc  ") == "a b c"


def test_wrap_breaks_on_width():
    assert wrap("the quick brown fox jumps", width=10) == ["the quick", "brown fox", "jumps"]


def test_wrap_rejects_zero_width():
    with pytest.raises(ValueError):
        wrap("text", width=0)


def test_truncate_prefers_word_boundary():
    assert truncate("hello wonderful world", 19) == "hello wonderful..."
    assert truncate("short", 10) == "short"


def test_dedent_block():
    assert dedent_block("    a\n      b\n\n    c") == "a\n  b\n\nc"
