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
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources.abc import Traversable

import numpy as np

from curate.engine import worker_cache
from curate.engine.diskcache import (
    cached_arrays,
    file_digest,
    pack_strings,
    package_version,
    unpack_strings,
)
from curate.filters.license.textcache import by_text_digest

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


def _bigrams(seq: list[str] | tuple[str, ...]) -> frozenset[tuple[str, str]]:
    return frozenset(itertools.pairwise(seq))


def _reference_data() -> Traversable:
    from importlib.resources import files

    return files("licenseclassifier._engine").joinpath("licenses.json.gz")


def _build() -> list[_Reference]:
    """Every reference text with at least 20 words, from the pinned template data."""
    import gzip
    import json

    from curate.filters.license.textmatch import _DEPRECATED

    with _reference_data().open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
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
                refs.append(_Reference(spdx, tuple(seq), tuple(long)))
    return refs


def _build_arrays() -> dict[str, np.ndarray]:
    """The references as flat arrays (the disk-cache form, see ``ReferenceIndex``)."""
    refs = _build()
    vocab = sorted({w for ref in refs for w in (*ref.words, *ref.full_words)})
    word_id = {w: i for i, w in enumerate(vocab)}
    out: dict[str, np.ndarray] = {}
    for prefix, strings in (("vocab", vocab), ("spdx", [ref.spdx for ref in refs])):
        for part, array in pack_strings(strings).items():
            out[f"{prefix}_{part}"] = array
    for field in ("words", "full_words"):
        seqs = [getattr(ref, field) for ref in refs]
        out[field] = np.array([word_id[w] for seq in seqs for w in seq], dtype=np.int32)
        out[f"{field}_offsets"] = np.cumsum([0, *map(len, seqs)], dtype=np.int64)
    keys: list[int] = []
    owners: list[int] = []
    n_bigrams = []
    for i, ref in enumerate(refs):
        grams = _bigrams(ref.full_words)
        n_bigrams.append(len(grams))
        keys += [word_id[a] << 32 | word_id[b] for a, b in grams]
        owners += [i] * len(grams)
    key_array, owner_array = np.array(keys, dtype=np.uint64), np.array(owners, dtype=np.int32)
    order = np.lexsort((owner_array, key_array))
    key_array, owner_array = key_array[order], owner_array[order]
    out["keys"], starts = np.unique(key_array, return_index=True)
    out["postings_offsets"] = np.append(starts, len(key_array)).astype(np.int64)
    out["postings"] = owner_array
    out["n_bigrams"] = np.array(n_bigrams, dtype=np.int64)
    return out


class ReferenceIndex:
    """The reference licenses in flat arrays (memory-mapped from the disk cache): word ids
    over a sorted vocabulary, each reference's two word sequences as slices of one id array,
    and a bigram index (``id_a << 32 | id_b``, sorted) to the references holding the bigram."""

    def __init__(self, arrays: Mapping[str, np.ndarray]):
        self.spdx = unpack_strings(arrays["spdx_blob"], arrays["spdx_offsets"])
        vocab = unpack_strings(arrays["vocab_blob"], arrays["vocab_offsets"])
        self.word_id = {w: i for i, w in enumerate(vocab)}
        self._words = arrays["words"], arrays["words_offsets"]
        self._full = arrays["full_words"], arrays["full_words_offsets"]
        self._keys, self._offsets = arrays["keys"], arrays["postings_offsets"]
        self._postings = arrays["postings"]
        self.n_bigrams = arrays["n_bigrams"]
        if not len(self.spdx) == len(self.n_bigrams) == len(self._words[1]) - 1:
            raise ValueError("inconsistent reference arrays")
        if len(self._postings) and int(self._postings.max()) >= len(self.spdx):
            raise ValueError("posting out of range")

    def __len__(self) -> int:
        return len(self.spdx)

    def ids(self, seq: list[str]) -> list[int]:
        """Word ids of ``seq``; -1 for a word no reference has (it matches nothing)."""
        get = self.word_id.get
        return [get(w, -1) for w in seq]

    def shared_bigrams(self, ids: list[int]) -> dict[int, int]:
        """``{reference: number of distinct bigrams of ids it shares}`` (references sharing
        none left out)."""
        grams = {a << 32 | b for a, b in itertools.pairwise(ids) if a >= 0 and b >= 0}
        if not grams:
            return {}
        query = np.fromiter(grams, dtype=np.uint64, count=len(grams))
        found = np.searchsorted(self._keys, query)
        inside = found < len(self._keys)
        found = found[inside][self._keys[found[inside]] == query[inside]]
        lo, hi = self._offsets[found], self._offsets[found + 1]
        lengths = hi - lo
        total = int(lengths.sum())
        if not total:
            return {}
        # positions lo..hi-1 of every found key, without a Python loop
        idx = np.arange(total, dtype=np.int64) + np.repeat(
            lo - np.cumsum(lengths) + lengths, lengths
        )
        counts = np.bincount(self._postings[idx], minlength=len(self.spdx))
        refs = np.flatnonzero(counts)
        return dict(zip(refs.tolist(), counts[refs].tolist(), strict=True))

    def words(self, i: int, full: bool) -> list[int]:
        ids, offsets = self._full if full else self._words
        return ids[offsets[i] : offsets[i + 1]].tolist()


def references() -> ReferenceIndex:
    return worker_cache.get_or_create("curate.license.similarity", _cached_index)


def _cached_index() -> ReferenceIndex:
    from curate.filters.license import textmatch

    parts = [
        file_digest(str(_reference_data())),
        file_digest(__file__),
        file_digest(textmatch.__file__),  # the deprecated-id map
        package_version("numpy"),
    ]
    return cached_arrays("license-references", parts, _build_arrays, ReferenceIndex)


@dataclass(frozen=True)
class SimilarityMatch:
    spdx: str
    ratio: float


def _ratio_if_close(a: list[int], b: list[int]) -> float:
    """``SequenceMatcher(a, b).ratio()`` where it may reach ``MIN_RATIO``, else 0.0: the two
    cheap upper bounds of the ratio (length and word-count based) skip the diff of a reference
    that cannot be close (such a ratio decides nothing in ``closest_license``)."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < MIN_RATIO or matcher.quick_ratio() < MIN_RATIO:
        return 0.0
    return matcher.ratio()


@by_text_digest(256)
def closest_license(text: str) -> SimilarityMatch | None:
    """The reference license ``text`` is a close variant of, or ``None`` (remembered by
    digest: the same edited text ships in many repositories)."""
    seq = words(text[:60_000])
    if len(seq) < 20:
        return None
    n_grams = len(_bigrams(seq))
    index = references()
    ids = index.ids(seq)
    shared = index.shared_bigrams(ids)
    n_bigrams = index.n_bigrams[list(shared)].tolist() if shared else []
    scored = sorted(
        ((2 * n / (n_grams + nb), i) for (i, n), nb in zip(shared.items(), n_bigrams, strict=True)),
        reverse=True,
    )[:CANDIDATES]
    found: list[SimilarityMatch] = []
    for dice, i in scored:
        if dice < 0.4:
            break
        # word ids for words: equal ids are equal words, and a word no reference has (-1)
        # equals nothing in a reference, so the ratio is the one over the word strings
        ratio = max(_ratio_if_close(ids, index.words(i, full)) for full in (False, True))
        if ratio >= MIN_RATIO:
            found.append(SimilarityMatch(index.spdx[i], round(ratio, 3)))
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
