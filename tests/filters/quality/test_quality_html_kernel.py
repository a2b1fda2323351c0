"""The compiled HTML visible-text count against ``markers.html_visible_text`` (Python's ``re``):
edge cases of each rewrite, random tag soup, and every code point for the Unicode rules."""

from __future__ import annotations

import random
import re
import sys

import numpy as np
import pyarrow as pa
import pytest

from curate.filters.quality import html_kernel, markers
from curate.filters.quality.text_stats import ByteView

ALIASES = (0x130, 0x131, 0x17F)
"""U+0130, U+0131, U+017F: ``(?i)`` matches them to letters of ``script``/``style``."""

CASES = [
    "",
    "   ",
    "<script>",
    "<script></script>",
    "<SCRIPT>x</script >y",
    "<script>a</scriptx>b</script\n>c",
    "<scripts>x</scripts>",
    "<script_>x</script>",
    "<script1>x</script>",
    "<script-x>y</script>",
    "<script\u00e9>x</script>",
    "<script\u00a0>x</script\u2003>z",
    "<script>a<!-- </script> -->b",
    "<!-- a <script> --> b </script>",
    "<!--->-->x",
    "<!-->",
    "<\x01--a-->b<!\r\rc-->",
    "<!--",
    "<style>s</STYLE>t<style>u",
    "<script>a</script><script>b",
    "a<b<script>c</script>d>e",
    "a < b > c < d",
    "&amp;&#12345678901;&;&a",
    "&abcdefghij;&abcdefghijk;&&amp;",
    "x\x1cy\x1fz\x1d\x1e",
    "\u3000x\u2028y\u0085z\u00a0\u1680\u205f\u202f",
    "\u200b<i>zero width</i>\u200b \r\n\x0b\x0c end",
    "caf\u00e9 \U0001f600 \u4e2d\u6587",
]


def _kernel(pages: list[str]) -> list[tuple[int, float | None] | None]:
    view = ByteView.of(pa.array(pages, pa.large_string()))
    visible, chars = html_kernel.html_visible(view.data, view.offsets, np.arange(len(pages)))
    return [
        None if v < 0 else (v, v / n if n else None)
        for v, n in zip(visible.tolist(), chars.tolist(), strict=True)
    ]


@pytest.mark.parametrize("page", CASES)
def test_edge_cases_match_the_python_definition(page: str) -> None:
    assert _kernel([page]) == [markers.html_visible_text(page)]


def test_random_tag_soup_matches_the_python_definition() -> None:
    rng = random.Random(7)
    parts = [*"<>/!-&;#ascriptSTYLEx \n\t\u00a0\u3000\u00e9"]
    parts += ["script", "style", "<!--", "-->", "</script>", "</style >", "&amp;", "\x1c"]
    pages = ["".join(rng.choice(parts) for _ in range(rng.randint(0, 60))) for _ in range(4000)]
    assert _kernel(pages) == [markers.html_visible_text(p) for p in pages]


@pytest.mark.parametrize("alias", [chr(cp) for cp in ALIASES])
def test_case_folding_aliases_are_left_to_python(alias: str) -> None:
    """``(?i)`` matches these to ASCII letters of ``script``/``style``."""
    assert re.search("(?i)[scriptyle]", alias) is not None
    assert _kernel([f"a{alias}b <scr{alias}pt>x</script>"]) == [None]


def _code_points() -> list[int]:
    """Every code point but the surrogates and the case-folding aliases."""
    return [
        cp for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF and cp not in ALIASES
    ]


def test_whitespace_is_str_isspace_on_every_code_point() -> None:
    points = _code_points()
    got = _kernel([chr(cp) for cp in points])
    assert [v for v, _ in got] == [0 if chr(cp).isspace() else 1 for cp in points]


def test_word_boundary_after_the_tag_name_on_every_code_point() -> None:
    """``<script?>x</script>y``: the block is removed only where ``?`` is no word character."""
    points = [cp for cp in _code_points() if cp >= 0x80]
    got = _kernel([f"<script{chr(cp)}>x</script>y" for cp in points])
    word = re.compile(r"\w")
    assert [v for v, _ in got] == [3 if word.fullmatch(chr(cp)) else 1 for cp in points]
