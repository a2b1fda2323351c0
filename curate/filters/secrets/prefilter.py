"""A cheap combined pre-filter: which lines of a document can a detector match at all?

Every consumer (a detect-secrets plugin or one of our rules) declares *triggers*: lower-case
literals and case-sensitive regex "shapes" such that every line the consumer can report on
contains one of them. The pre-filter finds all literals in one Aho-Corasick pass over the
lower-cased text and all shapes with one combined regex, and returns, per candidate line, the
set of consumers to run there. A consumer whose triggers are true necessary conditions
therefore finds exactly what it would find scanning every line (checked against a full
detect-secrets scan in tests and ``benchmarks/bench_secrets.py``).

Lower-casing: Python's case-insensitive regexes also match ``ı``/``ſ`` for ``i``/``s``;
those are folded too so the literal pass stays a superset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick


@dataclass(frozen=True)
class Trigger:
    consumer: str
    literals: tuple[str, ...] = ()
    shapes: tuple[str, ...] = ()
    need: str | None = None
    """A regex that a line found by ``shapes`` must also contain (a second, narrower necessary
    condition, only evaluated on those few lines), so many consumers can share one cheap shape
    pass."""


class Prefilter:
    """Compiled triggers for a set of consumers.

    Shapes are searched one regex at a time over the whole text (a big alternation makes
    Python's regex engine try every branch at every position, which is 10x slower). Shapes
    must not match a newline. For ASCII text (the common case) they are compiled with
    ``re.ASCII``, which on ASCII input matches exactly the same strings, only faster."""

    def __init__(self, triggers: Iterable[Trigger]):
        triggers = list(triggers)
        self.consumers = tuple(t.consumer for t in triggers)
        by_literal: dict[str, set[str]] = {}
        by_shape: dict[str, set[str]] = {}
        self._needs = {t.consumer: re.compile(t.need) for t in triggers if t.need}
        for t in triggers:
            for lit in t.literals:
                if lit != lit.lower() or not lit:
                    raise ValueError(f"trigger literal {lit!r} of {t.consumer} must be lower-case")
                by_literal.setdefault(lit, set()).add(t.consumer)
            for shape in t.shapes:
                by_shape.setdefault(shape, set()).add(t.consumer)
        self._automaton: ahocorasick.Automaton | None = None
        if by_literal:
            automaton = ahocorasick.Automaton()
            for lit, consumers in by_literal.items():
                automaton.add_word(lit, frozenset(consumers))
            automaton.make_automaton()
            self._automaton = automaton
        self._shapes = [
            (re.compile(shape), re.compile(shape, re.ASCII), frozenset(consumers))
            for shape, consumers in by_shape.items()
        ]

    def candidates(self, text: str) -> dict[int, set[str]]:
        """``{line_index: consumers}`` for every line (0-based, split on ``\\n``) that may hold
        a finding of some consumer.

        Hits come in increasing position order per pass, so a hit's line index is a running
        ``str.count("\\n")`` between consecutive hits (C speed, no list of all newlines)."""
        out: dict[int, set[str]] = {}

        def add(idx: int, consumers: frozenset[str]) -> None:
            got = out.get(idx)
            if got is None:
                out[idx] = set(consumers)
            else:
                got |= consumers

        if self._automaton is not None:
            low = text.lower()
            if not text.isascii() and ("ı" in low or "ſ" in low):
                low = low.replace("ı", "i").replace("ſ", "s")
            # lower-casing may change lengths but keeps every newline: count them in ``low``
            idx, pos = 0, 0
            count = low.count
            for end, consumers in self._automaton.iter(low):
                idx += count("\n", pos, end + 1)  # ``end`` is the literal's last char
                pos = end + 1
                add(idx, consumers)
        ascii_text = text.isascii()
        padded = "\n" + text  # so a shape may begin with "not a word char" at the start
        needs = self._needs
        count = padded.count
        for unicode_rx, ascii_rx, consumers in self._shapes:
            rx = ascii_rx if ascii_text else unicode_rx
            # line of a match = newlines in ``text`` before its last char = newlines in
            # ``padded[1 : m.end() - 1]``
            idx, pos, last = 0, 1, -1
            gated = any(c in needs for c in consumers)
            for m in rx.finditer(padded):
                stop_at = m.end() - 1
                if stop_at > pos:
                    idx += count("\n", pos, stop_at)
                    pos = stop_at
                if idx == last:
                    continue
                last = idx
                if gated:
                    start = text.rfind("\n", 0, stop_at - 1) + 1
                    stop = text.find("\n", stop_at - 1)
                    line = text[start : stop if stop >= 0 else len(text)]
                    hit = frozenset(c for c in consumers if c not in needs or needs[c].search(line))
                    if hit:
                        add(idx, hit)
                else:
                    add(idx, consumers)
        return out


LONG_RUN = r"[^\w-][\w-]{24}"
"""A run of at least 24 word characters or dashes (texts are searched with a leading newline,
so a run at the very start is found too)."""
