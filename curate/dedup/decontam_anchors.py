"""Exact pre-filter for the docstring detector: rare anchor words, one Aho-Corasick scan.

The docstring detector looks for each benchmark docstring (whitespace collapsed) in the
collapsed text and in its uncommented copy: two whitespace passes, a regex substitution and an
automaton scan per document. A docstring can only be found if every word of it occurs in the
text as it is (collapsing whitespace and removing line-comment markers never join or split a
word, and the JSON-decoded strings are part of the text read), so the detector runs only on
texts that hold all the anchors of at least one docstring: its ``per_text`` rarest words (fewest
docstrings of the benchmark set using them, then longest). No docstring match is lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import ahocorasick
import numpy as np

from curate.engine.literals import Literals


class DocstringAnchors:
    """``may_match(view)`` is False only if no docstring of ``texts`` can be found in ``view``."""

    def __init__(self, texts: Sequence[str], per_text: int = 2):
        words = [set(t.split()) for t in texts]
        uses: Counter[str] = Counter(w for ws in words for w in ws)
        ids: dict[str, int] = {}
        self.rules: list[frozenset[int]] = []
        gate: set[str] = set()
        for ws in words:
            best = sorted(ws, key=lambda w: (uses[w], -len(w), w))[:per_text]
            self.rules.append(frozenset(ids.setdefault(w, len(ids)) for w in best))
            gate.update(best[:1])
        # One word of every rule: a view without any of them matches no rule (a cheap
        # any-substring scan before the scan that finds every anchor word).
        from curate.dedup.decontam_scan import WordFinder  # numba: where an index is built

        self._gate = Literals([w.encode() for w in sorted(gate)])
        self.always = any(not r for r in self.rules)
        self._by_word: dict[int, list[frozenset[int]]] = {}
        for rule in self.rules:
            for i in rule:
                self._by_word.setdefault(i, []).append(rule)
        self.automaton = ahocorasick.Automaton()
        for w, i in ids.items():
            self.automaton.add_word(w, i)
        self._empty = not ids
        if not self._empty:
            self.automaton.make_automaton()
        self._words = WordFinder(sorted(ids, key=ids.__getitem__))  # column i: word of id i
        # Rule r as the word ids it needs, padded with the always-true column len(ids).
        width = max((len(rule) for rule in self.rules), default=0)
        self._rule_table = np.full((len(self.rules), width), len(ids), np.int64)
        for r, rule in enumerate(self.rules):
            self._rule_table[r, : len(rule)] = sorted(rule)

    def may_match(self, view: str) -> bool:
        if self.always:
            return True
        if self._empty:
            return False
        found = {i for _, i in self.automaton.iter(view)}
        return any(rule <= found for i in found for rule in self._by_word[i])

    def may_match_batch(self, data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """``[self.may_match(v) for v in views]`` for the views ``data[offsets[d]:offsets[d +
        1]]`` (UTF-8 bytes, ``decontam_tokens.encode``). A Hyperscan pass for one word of each rule (the gate),
        then, on the few views that pass, a compiled scan for every anchor word; the rules are
        checked on the views x words table."""
        count = len(offsets) - 1
        if self.always:
            return np.ones(count, bool)
        out = np.zeros(count, bool)
        if self._empty or not count:
            return out
        gated = np.flatnonzero(self._gate.held(data, offsets).any(axis=1))
        if gated.size:
            table = np.ones((gated.size, self._words.count + 1), bool)  # the last: padding
            table[:, :-1] = self._words.found(data, offsets, gated)
            out[gated] = table[:, self._rule_table].all(axis=2).any(axis=1)
        return out
