"""``tokens.fast_split`` must give exactly licenseclassifier's own word split."""

from __future__ import annotations

import random

from licenseclassifier._engine.scan import builtin_scanner

from curate.filters.license.textmatch import match_text, normalise
from curate.filters.license.tokens import fast_split
from tests.support.license_synth import FULL_TEXT_IDS, HEADER_NOTICES, render

_PIECES = ["<", ">", "</b>", "<a href=x>", "<jane@example.org>", "<https://x.org/a>", "<b\n\n\nx>",
           "{#", "{#anchor}", "{# a}", "}", "&", "&copy;", "&amp;", "&#169;", "&#x1F;", "&#;",
           "&x", "](", "](http://x.org/l)", "](#top)", "](x y)", "]", "(", ")", "(s)", "(c)",
           "(C)", "c", "©", "https", "http", "this", "are", "them", "Copyright", "copyright",
           " ", "\n", "\t", "word", "x1", "2024", "@", ":", "/", "_", "-", ".", "é", "ü",
           "Σ", "½", "\u0301", "license", "MIT"]  # fmt: skip


def _original(text: str) -> list[tuple[int, int, int]]:
    return builtin_scanner().dict._split(text, False)


def test_same_split_on_generated_fragments() -> None:
    words_dict = builtin_scanner().dict
    rng = random.Random(7)
    stretch_paths = token_paths = 0
    for _ in range(8000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 12)))
        if text.replace("©", "").isascii():
            token_paths += "(s)" in text
            stretch_paths += "(s)" not in text
        assert fast_split(words_dict, text) == _original(text), repr(text)
    # both regular-expression paths are what is being checked
    assert stretch_paths > 1000 and token_paths > 300


def test_same_split_and_matches_on_license_texts() -> None:
    words_dict = builtin_scanner().dict
    rng = random.Random(3)
    texts = [render(spdx, rng) for spdx in FULL_TEXT_IDS] + list(HEADER_NOTICES.values())
    texts += [f"Copyright © 2024 Jane <jane@example.org>\n\n{t}" for t in texts[:5]]
    for text in texts:
        text = normalise(text)
        assert fast_split(words_dict, text) == _original(text)
    # and the installed splitter is what match_text uses: a full text still matches
    assert match_text(render("MIT", rng)).expression == "MIT"
    assert builtin_scanner().dict.split("x") == _original("x")
