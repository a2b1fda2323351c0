"""Full-text and notice matching against the SPDX license templates.

The reference templates come from the pinned ``licenseclassifier`` package: every SPDX license as
a matching template with optional parts (``((...))??``), alternatives (``((a || b))``) and
variable spans (``__N__`` words), i.e. the SPDX matching templates' ``<<beginOptional>>`` /
``<<var>>`` markup in another syntax, plus the usual notice forms ("Licensed under the Apache
License, Version 2.0 ..."). Its compiled word automaton matches all templates in one pass over
the words of a text, so a changed copyright holder, re-wrapped lines, comment markers, case and
punctuation do not matter, while a different license (MIT vs ISC, GPL-2.0 vs GPL-3.0, the Apache
text vs its header) yields a different id.

Before matching, text is normalised the way the SPDX matching guidelines ask for what the
automaton's tokeniser does not already ignore: equivalent spellings ("licence"), typographic
quotes and dashes. (Bullets, numbering and markdown emphasis are punctuation or ``__N__``
wildcards to the templates already.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curate.engine import worker_cache
from curate.filters.license.textcache import by_text_digest

MAX_TEXT_CHARS = 200_000
"""Size guard: longer texts are cut here (license files are rarely above 40 KB)."""

_EQUIVALENTS = [
    (re.compile(r"\blicen[cs]e", re.IGNORECASE), "license"),
    (re.compile(r"\backnowledg(e)?ment", re.IGNORECASE), "acknowledgment"),
    (re.compile(r"\bper cent\b", re.IGNORECASE), "percent"),
    (re.compile(r"\bsub-license", re.IGNORECASE), "sublicense"),
    (re.compile(r"[\u2018\u2019\u201a\u201b`´]"), "'"),
    (re.compile(r"[\u201c\u201d\u201e\u201f]"), '"'),
    (re.compile(r"[\u2010-\u2015\u2212]"), "-"),
]

_EQUIVALENT_WORDS = ("licen", "acknowledg", "per cent", "sub-licen")
"""A lower-case word that every match of each case-insensitive ``_EQUIVALENTS`` pattern (the
first four) holds, also for the fourth after the first has rewritten the text."""

FOLDS_TO_ASCII = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}
"""Non-ASCII characters that ``re.IGNORECASE`` matches to an ASCII letter: dotted and dotless
I, long s, Kelvin sign (``str.lower`` would turn the first into two characters)."""

_OR_WORDING = re.compile(
    r"dual[- ]licen[sc]|at your (?:option|choice)|\beither\W+(?:of\W+)?(?:the\W+)?licen|"
    r"(?:choose|select) (?:either|one|any)|licensed under (?:the )?terms of (?:either|any)",
    re.IGNORECASE,
)
_OR_WORDS = ("dual", "at your", "either", "choose", "select", "licensed under")
"""A lower-case word that every match of ``_OR_WORDING`` holds."""


def ascii_lower(text: str) -> str:
    """``text`` lower-cased after folding ``FOLDS_TO_ASCII``: an ASCII word occurs in it
    exactly where a case-insensitive regex for that word matches in ``text`` (``str.lower``
    maps every other character to one character, ASCII ones to ASCII, the rest to non-ASCII;
    the tests check this over all of Unicode). A substring test on it is ~10x cheaper than a
    case-insensitive search."""
    if not text.isascii():
        for char, letter in FOLDS_TO_ASCII.items():
            if char in text:
                text = text.replace(char, letter)
    return text.lower()


@dataclass(frozen=True)
class TextMatch:
    """One matched license region; ``start``/``end`` are offsets into the normalised text."""

    spdx: str
    start: int
    end: int
    words: int
    is_url: bool


@dataclass(frozen=True)
class TextResult:
    expression: str | None
    """SPDX expression of everything found (``A OR B`` when the text offers a choice)."""
    coverage: float
    """Fraction of the text's words that belong to a recognised license (0..1)."""
    matches: tuple[TextMatch, ...]
    offers_choice: bool = False
    """The words outside the matched licenses offer a choice ("either of", "dual licensed")."""

    @property
    def matched_words(self) -> int:
        return sum(m.words for m in self.matches)


def normalise(text: str) -> str:
    """The ``_EQUIVALENTS`` rewrites, each skipped where it cannot match (no word of
    ``_EQUIVALENT_WORDS``; no non-ASCII character or backquote for the character rewrites)."""
    low = ascii_lower(text)
    for (pattern, replacement), word in zip(_EQUIVALENTS, _EQUIVALENT_WORDS, strict=False):
        if word in low:
            text = pattern.sub(replacement, text)
    if not text.isascii() or "`" in text:
        for pattern, replacement in _EQUIVALENTS[len(_EQUIVALENT_WORDS) :]:
            text = pattern.sub(replacement, text)
    return text


def _scanner():
    from licenseclassifier._engine.scan import builtin_scanner

    from curate.filters.license.tokens import install

    scanner = builtin_scanner()
    install(scanner)  # the same word split, without a Python loop per character
    return scanner


def scanner():
    """The compiled template automaton, loaded once per worker process (~60 ms)."""
    return worker_cache.get_or_create("curate.license.scanner", _scanner)


_DEPRECATED = {
    "GPL-1.0": "GPL-1.0-only",
    "GPL-2.0": "GPL-2.0-only",
    "GPL-3.0": "GPL-3.0-only",
    "LGPL-2.0": "LGPL-2.0-only",
    "LGPL-2.1": "LGPL-2.1-only",
    "LGPL-3.0": "LGPL-3.0-only",
    "AGPL-1.0": "AGPL-1.0-only",
    "AGPL-3.0": "AGPL-3.0-only",
    "GFDL-1.3": "GFDL-1.3-only",
}


def match_text(text: str) -> TextResult:
    """Find every license (full text or notice) inside ``text``."""
    text = normalise(text[:MAX_TEXT_CHARS])
    coverage = scanner().scan(text)
    matches: list[TextMatch] = []
    for m in coverage.match:
        spdx = _DEPRECATED.get(m.id, m.id)
        words = len(text[m.start : m.end].split())
        matches.append(TextMatch(spdx, m.start, m.end, words, m.is_url))
    matches = _drop_appendix(matches)
    choice = or_wording(_outside(text, matches))
    return TextResult(_combine(matches, choice), coverage.percent / 100.0, tuple(matches), choice)


@by_text_digest(1024)
def match_text_cached(text: str) -> TextResult:
    """``match_text``, remembered by digest: a repository's files repeat one header word for
    word, and repositories ship the same license files and README sections."""
    return match_text(text)


def _combine(matches: list[TextMatch], choice: bool) -> str | None:
    ids: list[str] = []
    for m in matches:
        if m.spdx not in ids:
            ids.append(m.spdx)
    ids = drop_implied(ids)
    if not ids:
        return None
    if len(ids) == 1:
        return ids[0]
    return (" OR " if choice else " AND ").join(ids)


FULL_TEXT_WORDS = 1000


def _drop_appendix(matches: list[TextMatch]) -> list[TextMatch]:
    """The GNU license texts end with "How to Apply These Terms", a sample "or any later
    version" notice: after that license's full text it is a template, not a statement."""
    full = [m for m in matches if m.words >= FULL_TEXT_WORDS]
    return [
        m
        for m in matches
        if not (
            m.spdx.endswith("-or-later")
            and any(
                f.spdx == m.spdx.replace("-or-later", "-only") and f.start < m.start for f in full
            )
        )
    ]


def or_wording(text: str) -> bool:
    """Does the text offer a choice between licenses ("either", "dual licensed", ...)?"""
    low = ascii_lower(text)
    return any(word in low for word in _OR_WORDS) and bool(_OR_WORDING.search(text))


def drop_implied(ids: list[str]) -> list[str]:
    """LGPL-3.0 is GPL-3.0 plus extra permissions and ships with the GPL text (COPYING +
    COPYING.LESSER): the pair means LGPL-3.0. And a notice saying "or later" next to the full
    text it refers to (which cannot say either way) means "or later"."""
    out = list(ids)
    if any(i.startswith("LGPL-3.0") for i in out):
        out = [i for i in out if not i.startswith("GPL-3.0")]
    for spdx in list(out):
        only = spdx.replace("-or-later", "-only")
        if spdx.endswith("-or-later") and only in out:
            out.remove(only)
    return out


def _outside(text: str, matches: list[TextMatch]) -> str:
    parts, last = [], 0
    for m in sorted(matches, key=lambda m: m.start):
        parts.append(text[last : m.start])
        last = max(last, m.end)
    parts.append(text[last:])
    return " ".join(parts)
