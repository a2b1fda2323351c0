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

import re
from collections import Counter
from collections.abc import Sequence

import ahocorasick
import numpy as np
import polars as pl

_SURROGATE = re.compile("[\ud800-\udfff]")


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
        from curate.dedup.decontam_scan import WordGate  # numba: where an index is built

        self._gate = WordGate(sorted(gate))
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

    def may_match(self, view: str) -> bool:
        if self.always:
            return True
        if self._empty:
            return False
        found = {i for _, i in self.automaton.iter(view)}
        return any(rule <= found for i in found for rule in self._by_word[i])

    def may_match_batch(
        self, views: list[str], data: np.ndarray, offsets: np.ndarray
    ) -> np.ndarray:
        """``[self.may_match(v) for v in views]``; ``data`` / ``offsets``: the views' bytes
        (``decontam_tokens.encode``). A compiled scan for one word of each rule (the gate) on the
        bytes, then, on the few views that pass, one polars (Rust Aho-Corasick) scan for every
        anchor word and the rules checked on a views x words table. A passing view with lone
        surrogates (not valid UTF-8 for polars) is checked alone."""
        if self.always:
            return np.ones(len(views), bool)
        words = [w for w, _ in sorted(self.automaton.items(), key=lambda item: item[1])]
        out = np.zeros(len(views), bool)
        if not words or not views:
            return out
        gated = np.flatnonzero(self._gate.holds_any(data, offsets)).tolist()
        valid = [i for i in gated if views[i].isascii() or not _SURROGATE.search(views[i])]
        if valid:
            out[valid] = self._match_rules(
                pl.Series([views[i] for i in valid], dtype=pl.String), words
            )
        for i in set(gated) - set(valid):
            out[i] = self.may_match(views[i])
        return out

    def _match_rules(self, series: pl.Series, words: list[str]) -> np.ndarray:
        found = (
            pl.DataFrame({"w": series.str.extract_many(words, overlapping=True)})
            .with_row_index("view")
            .explode("w")
            .drop_nulls()
            .unique()
            .select(
                "view", pl.col("w").replace_strict(words, range(len(words)), return_dtype=pl.Int64)
            )
        )
        # Column len(words) is always True: it pads the rules to one width.
        table = np.zeros((len(series), len(words) + 1), bool)
        table[:, len(words)] = True
        table[found["view"].to_numpy(), found["w"].to_numpy()] = True
        width = max(len(rule) for rule in self.rules)
        rules = np.full((len(self.rules), width), len(words), np.int64)
        for r, rule in enumerate(self.rules):
            rules[r, : len(rule)] = sorted(rule)
        return table[:, rules].all(axis=2).any(axis=1)
