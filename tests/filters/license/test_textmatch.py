"""Template matching: perturbed texts still match, near-miss licenses do not get confused."""

from __future__ import annotations

import random
import textwrap
from collections.abc import Callable

import pytest

from curate.filters.license.similarity import closest_license
from curate.filters.license.textmatch import match_text
from tests.support.license_synth import HEADER_NOTICES, perturb

NEAR_MISSES = [
    "MIT", "MIT-0", "ISC", "0BSD", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0",
    "GPL-2.0-only", "GPL-3.0-only", "LGPL-2.1-only", "LGPL-3.0-only", "AGPL-3.0-only", "MPL-2.0",
]  # fmt: skip


@pytest.mark.parametrize("spdx", NEAR_MISSES)
def test_each_license_is_itself_and_nothing_else(
    spdx: str, license_text: Callable[..., str]
) -> None:
    result = match_text(license_text(spdx))
    assert result.expression == spdx
    assert result.coverage > 0.9


@pytest.mark.parametrize("spdx", ["MIT", "BSD-3-Clause", "Apache-2.0", "GPL-3.0-only"])
def test_perturbations_keep_the_match(spdx: str, license_text: Callable[..., str]) -> None:
    base = license_text(spdx, holder="Someone Else Entirely")
    rng = random.Random(7)
    for kinds in [("rewrap",), ("unwrap",), ("markdown",), ("preamble",), ("comment",),
                  ("copyright", "rewrap", "markdown")]:  # fmt: skip
        assert match_text(perturb(base, rng, kinds=kinds)).expression == spdx, kinds


def test_case_and_typographic_quotes_do_not_matter(license_text: Callable[..., str]) -> None:
    text = license_text("MIT").replace('"', "\u201c").lower()
    assert match_text(text).expression == "MIT"


def test_apache_header_is_apache_but_not_the_full_text(license_text: Callable[..., str]) -> None:
    header = match_text(HEADER_NOTICES["Apache-2.0"])
    full = match_text(license_text("Apache-2.0"))
    assert header.expression == full.expression == "Apache-2.0"
    assert header.matched_words < 120 < full.matched_words


@pytest.mark.parametrize(
    ("notice", "spdx"),
    [
        ("GPL-2.0-or-later", "GPL-2.0-or-later"),
        ("GPL-3.0-or-later", "GPL-3.0-or-later"),
        ("LGPL-2.1-or-later", "LGPL-2.1-or-later"),
        ("AGPL-3.0-or-later", "AGPL-3.0-or-later"),
        ("MPL-2.0", "MPL-2.0"),
    ],
)
def test_gnu_notices_keep_version_and_family(notice: str, spdx: str) -> None:
    assert match_text(HEADER_NOTICES[notice]).expression == spdx


def test_version_only_notice() -> None:
    text = HEADER_NOTICES["GPL-3.0-or-later"].replace(
        "either version 3 of the License, or\n(at your option) any later version",
        "version 3 of the License",
    )
    assert match_text(text).expression == "GPL-3.0-only"


def test_full_gnu_text_is_only_despite_its_how_to_apply_appendix(
    license_text: Callable[..., str],
) -> None:
    text = license_text("GPL-2.0-only") + "\n\n" + HEADER_NOTICES["GPL-2.0-or-later"]
    assert match_text(text).expression == "GPL-2.0-only"


def test_two_texts_with_a_choice_are_or(license_text: Callable[..., str]) -> None:
    text = (
        "This project is dual licensed; you may choose either of the licenses below.\n\n"
        + license_text("MIT")
        + "\n\n"
        + license_text("Apache-2.0")
    )
    assert match_text(text).expression == "MIT OR Apache-2.0"
    both = license_text("MIT") + "\n\n" + license_text("BSD-3-Clause")
    assert match_text(both).expression == "MIT AND BSD-3-Clause"


def test_prose_is_not_a_license() -> None:
    prose = "This README explains how to build the project. We like licenses and copyright law."
    assert match_text(prose).expression is None


@pytest.mark.parametrize("spdx", ["GPL-3.0-only", "Apache-2.0", "LGPL-2.1-only"])
def test_similarity_fallback_handles_edits_the_templates_reject(
    spdx: str, license_text: Callable[..., str]
) -> None:
    text = perturb(license_text(spdx), random.Random(3), kinds=("typos",))
    result = match_text(text)
    assert result.coverage < 0.5  # the edits break the template match ...
    similar = closest_license(text)
    assert similar is not None and similar.spdx == spdx  # ... not the similarity


def test_similarity_fallback_rejects_prose() -> None:
    assert closest_license(textwrap.dedent("just a few words about nothing at all " * 5)) is None


def test_ratio_bound_and_cached_match(license_text: Callable[..., str]) -> None:
    """The diff is skipped only where the ratio is below ``MIN_RATIO``; a cached match is the
    match."""
    import difflib

    from curate.filters.license import textmatch
    from curate.filters.license.similarity import MIN_RATIO, _ratio_if_close

    rng = random.Random(5)
    for _ in range(300):
        a = [rng.randrange(6) for _ in range(rng.randrange(1, 40))]
        b = a[:] if rng.random() < 0.5 else [rng.randrange(6) for _ in range(rng.randrange(1, 40))]
        for _ in range(rng.randrange(4)):
            b.insert(rng.randrange(len(b) + 1), rng.randrange(6))
        ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
        close = _ratio_if_close(a, b)
        assert close == ratio if ratio >= MIN_RATIO else close < MIN_RATIO
    text = license_text("MIT")
    assert textmatch.match_text_cached(text) == match_text(text)
    assert textmatch.match_text_cached(text) is textmatch.match_text_cached(text)
