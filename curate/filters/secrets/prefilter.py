"""A cheap combined pre-filter: which lines of a document can a detector match at all?

Every consumer (a detect-secrets plugin or one of our rules) declares *triggers*: literals,
case-insensitive shapes and case-sensitive shapes such that every line the consumer can report
on contains one of them. All triggers of all consumers are compiled into one Hyperscan database
(and a widened copy for non-ASCII text) and found in one pass over the document's UTF-8 bytes; the pass returns, per candidate line,
the set of consumers to run there, and a document without a hit costs one scan and no Python.
A consumer whose triggers are true necessary conditions therefore finds exactly what it would
find scanning every line (checked against a full detect-secrets scan in tests and
``benchmarks/bench_secrets.py``).

Shapes are written in Python regex syntax restricted to what Hyperscan shares with it (classes,
quantifiers, alternation; no lookaround) and must not match a newline. On ASCII text Hyperscan's
byte semantics equal Python's. Non-ASCII text is scanned with a *widened* copy of every pattern
(``widen``): word/digit/space classes also take any non-ASCII byte and counted repeats of atoms
that can match a multi-byte character lose their upper bound, so a match of Python's Unicode regex on the text is always a match of the widened
pattern on its bytes (a superset, never a miss). Case-insensitive triggers fold ASCII letters;
the four non-ASCII characters that Python folds onto ASCII letters (``_FOLDED``) are folded in
a copy of the text when it holds one, and a non-ASCII letter of a literal gets its other case.
"""

from __future__ import annotations

import json
import platform
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import hyperscan
import numpy as np

from curate.engine.diskcache import cached_arrays, package_version
from curate.engine.literals import thread_scratch


@dataclass(frozen=True)
class Trigger:
    consumer: str
    literals: tuple[str, ...] = ()
    """Lower-case literals, matched case-insensitively."""
    shapes: tuple[str, ...] = ()
    """Case-sensitive regexes."""
    nocase: tuple[str, ...] = ()
    """Case-insensitive regexes (written in lower case)."""
    need: str | Callable[[str], bool] | None = None
    """A Python regex that a line found by this trigger must also contain, or a test the line
    must pass (a second, narrower necessary condition, only evaluated on those few lines)."""


_CLASS_ESCAPES = {"\\w": "\\w\\x80-\\xff", "\\d": "\\d\\x80-\\xff", "\\s": "\\s\\x80-\\xff"}
_TOKEN = re.compile(r"\\x[0-9a-fA-F]{2}|\\.|\[\^?|\]|\{\d+(?:,\d*)?\}|.", re.DOTALL)


def widen(pattern: str) -> str:
    """The pattern for UTF-8 bytes of non-ASCII text (see the module docstring): ``\\w``,
    ``\\d``, ``\\s`` outside negated classes also accept bytes 0x80-0xff, and a counted repeat
    ``{m,n}``/``{n}`` of an atom that can match a non-ASCII character (a widened or negated
    class, ``\\S``, ``.``, a group) becomes ``{m,}``. Negated classes already accept every
    non-ASCII byte; repeats of explicit ASCII classes keep their counts (one byte a character)."""
    out: list[str] = []
    in_class = negated = multibyte = False
    for tok in _TOKEN.findall(pattern):
        if in_class:
            if tok == "]":
                in_class = False
            elif tok in _CLASS_ESCAPES and not negated:
                tok = _CLASS_ESCAPES[tok]
                multibyte = True
            elif tok.startswith("\\x") and int(tok[2:], 16) >= 0x80:
                multibyte = True
        elif tok in ("[", "[^"):
            in_class, negated = True, tok == "[^"
            multibyte = negated
        elif tok.startswith("{") and tok[1].isdigit():
            if multibyte:
                tok = "{" + tok[1:-1].split(",")[0] + ",}"
        elif tok in ("*", "+", "?"):
            pass  # a quantifier keeps the atom it repeats
        else:
            if tok in _CLASS_ESCAPES:
                tok = f"[{_CLASS_ESCAPES[tok]}]"
            multibyte = tok.startswith("[") or tok in (".", ")", "\\S", "\\W", "\\D")
        out.append(tok)
    return "".join(out)


class _Database:
    """One compiled Hyperscan block-mode database over (pattern, caseless) pairs."""

    def __init__(self, db: hyperscan.Database):
        self.db = db
        self._local = threading.local()  # a scratch space serves one scan at a time

    @staticmethod
    def compile(patterns: list[tuple[str, bool]]) -> hyperscan.Database:
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(
            expressions=[p.encode() for p, _ in patterns],
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[hyperscan.HS_FLAG_CASELESS if nocase else 0 for _, nocase in patterns],
        )
        return db

    def _scratch(self) -> hyperscan.Scratch:
        return thread_scratch(self._local, self.db)

    def fired(self, data: bytes) -> set[int]:
        """The ids of the patterns that match somewhere in ``data``. (Single-match copies of
        the databases scanned 2x slower on the e2e corpus than this callback per match.)"""
        got: set[int] = set()
        add = got.add
        self.db.scan(data, match_event_handler=lambda pid, *_: add(pid), scratch=self._scratch())
        return got

    def lines(self, data: bytes) -> list[tuple[int, int, int]]:
        """``(line_index, pattern_id, end_offset)`` for every match, by line."""
        hits: list[tuple[int, int]] = []
        append = hits.append
        self.db.scan(
            data,
            match_event_handler=lambda pid, _start, end, _flags, _ctx: append((end, pid)),
            scratch=self._scratch(),
        )
        if not hits:
            return hits
        hits.sort()
        out = []
        idx, pos = 0, 0
        count = data.count
        for end, pid in hits:
            idx += count(b"\n", pos, end)  # a match holds no newline: its line is its end's
            pos = end
            out.append((idx, pid, end))
        return out


MIN_CACHED_COMPILE_S = 0.02
"""Databases that compile faster than this are not written to the disk cache (a test's few
triggers); the scanners' sets take ~0.2 CPU-s and are."""


def _cpu_features() -> str:
    """The CPU flags a compiled Hyperscan database may depend on (it is built for the host)."""
    wanted = {"ssse3", "sse4_2", "popcnt", "bmi", "bmi2", "avx", "avx2", "avx512f", "avx512bw",
              "avx512vl", "avx512vbmi"}  # fmt: skip
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return " ".join(sorted(wanted & set(line.split(":", 1)[1].split())))
    except OSError:
        pass
    return "unknown"


def _compiled(groups: dict[str, list[tuple[str, bool]]]) -> dict[str, _Database]:
    """One database per named pattern list, through the disk cache (``hyperscan.dumpb`` /
    ``loadb``), keyed by the exact compile input, the Hyperscan build and the CPU's features;
    a cached database Hyperscan refuses (another platform, damaged) is recompiled."""

    def build() -> dict[str, np.ndarray]:
        return {
            name: np.frombuffer(hyperscan.dumpb(_Database.compile(patterns)), dtype=np.uint8)
            for name, patterns in groups.items()
        }

    def load(arrays: Mapping[str, np.ndarray]) -> dict[str, _Database]:
        if set(arrays) != set(groups):
            raise ValueError("database names differ")
        return {
            name: _Database(hyperscan.loadb(arrays[name].tobytes(), hyperscan.HS_MODE_BLOCK))
            for name in groups
        }

    parts = [
        json.dumps(groups, sort_keys=True),
        "block",
        package_version("hyperscan"),
        platform.machine(),
        _cpu_features(),
    ]
    return cached_arrays("hyperscan", parts, build, load, min_build_s=MIN_CACHED_COMPILE_S)


_FOLDED = {"İ": "i", "ı": "i", "ſ": "s", "\u212a": "k"}
"""The only non-ASCII characters that Python's lower-casing or ``re.IGNORECASE`` turns into or
matches with ASCII letters (dotted I, dotless i, long s, Kelvin sign)."""


def _literal_pattern(lit: str) -> str:
    """A lower-case literal as a pattern for a case-insensitive byte scan: Hyperscan folds
    ASCII letters only, so a non-ASCII letter gets its other case spelled out."""
    parts = []
    for ch in lit:
        if ch.isascii():
            parts.append(re.escape(ch))
        else:
            variants = dict.fromkeys(v for v in (ch, ch.upper()) if len(v) == 1)
            parts.append("(?:" + "|".join(variants) + ")" if len(variants) > 1 else ch)
    return "".join(parts)


class Prefilter:
    """Compiled triggers for a set of consumers: ``candidates`` finds the lines to scan,
    ``fired`` only which consumers fire anywhere in a text (no line bookkeeping)."""

    def __init__(self, triggers: Iterable[Trigger]):
        triggers = list(triggers)
        self._triggers = tuple(triggers)
        self.consumers = tuple(t.consumer for t in triggers)
        # one pattern id per distinct (pattern, caseless); its consumers and their needs
        patterns: dict[tuple[str, bool], set[str]] = {}
        needs = {
            t.consumer: re.compile(t.need).search if isinstance(t.need, str) else t.need
            for t in triggers
            if t.need
        }
        for t in triggers:
            for lit in t.literals:
                if lit != lit.lower() or not lit:
                    raise ValueError(f"trigger literal {lit!r} of {t.consumer} must be lower-case")
                patterns.setdefault((_literal_pattern(lit), True), set()).add(t.consumer)
            for shape in t.nocase:
                if not shape.isascii():
                    raise ValueError(f"case-insensitive shape of {t.consumer} must be ASCII")
                patterns.setdefault((shape, True), set()).add(t.consumer)
            for shape in t.shapes:
                patterns.setdefault((shape, False), set()).add(t.consumer)
        keys = list(patterns)
        self._consumers = [frozenset(patterns[k]) for k in keys]
        self._needs = [
            tuple((c, needs[c]) for c in sorted(patterns[k]) if c in needs) for k in keys
        ]
        wide = [(widen(p), nocase) for p, nocase in keys]
        # text holding a character of ``_FOLDED``: case-insensitive patterns on a folded copy
        self._split = [
            ([i for i, (_, nocase) in enumerate(keys) if nocase == fold], fold)
            for fold in (False, True)
        ]
        groups = {"ascii": keys, "wide": wide}
        for n, (ids, _) in enumerate(self._split):
            groups[f"split{n}"] = [wide[i] for i in ids]
        dbs = _compiled({name: pats for name, pats in groups.items() if pats}) if keys else {}
        self._ascii = dbs.get("ascii")
        self._wide = dbs.get("wide")
        self._split_dbs = [dbs.get(f"split{n}") for n in range(len(self._split))]

    def __reduce__(self) -> tuple[type[Prefilter], tuple[tuple[Trigger, ...]]]:
        """Compiled databases do not pickle: a copy loads its own (disk cache) or compiles."""
        return (Prefilter, (self._triggers,))

    def fired(self, text: str, data: bytes | None = None) -> set[str]:
        """The consumers with a trigger pattern matching anywhere in ``text``: the scans of
        ``candidates`` without its per-match line work. For consumers without a ``need`` this
        is the union of ``candidates``' sets; needs (line tests) are not applied here."""
        if self._ascii is None:
            return set()
        if data is None:
            data = text.encode("utf-8", "surrogatepass")
        pids: set[int] = set()
        if len(data) == len(text):
            pids = self._ascii.fired(data)
        elif not (folded := "".join(ch for ch in _FOLDED if ch in text)):
            pids = self._wide.fired(data)
        else:
            for (ids, fold), db in zip(self._split, self._split_dbs, strict=True):
                if db is not None:
                    buf = _folded(text, folded) if fold else data
                    pids |= {ids[pid] for pid in db.fired(buf)}
        out: set[str] = set()
        for pid in pids:
            out |= self._consumers[pid]
        return out

    def candidates(
        self, text: str, data: bytes | None = None, starts: dict[int, int] | None = None
    ) -> dict[int, set[str]]:
        """``{line_index: consumers}`` for every line (0-based, split on ``\\n``) that may hold
        a finding of some consumer. ``data``: ``text`` as UTF-8, when the caller has it.
        ``starts``: filled with the character offset of each such line (ASCII text: the
        matches' byte offsets are character offsets; other text: counted from the bytes up to
        each line, in order; none for the rare text with a character of ``_FOLDED``)."""
        if self._ascii is None:
            return {}
        if data is None:
            data = text.encode("utf-8", "surrogatepass")
        ascii_text = len(data) == len(text)
        folded = "" if ascii_text else "".join(ch for ch in _FOLDED if ch in text)
        if ascii_text:
            hits = self._ascii.lines(data)
        elif not folded:
            hits = self._wide.lines(data)
        else:  # rare: case-insensitive patterns on the folded text, no end offsets there
            hits = []
            for (ids, fold), db in zip(self._split, self._split_dbs, strict=True):
                if db is None:
                    continue
                buf = _folded(text, folded) if fold else data
                hits += [(idx, ids[pid], -1 if fold else end) for idx, pid, end in db.lines(buf)]
        out: dict[int, set[str]] = {}
        lines: list[str] = []
        seen: set[tuple[int, int]] = set()
        passed: dict[tuple[int, str], bool] = {}  # a consumer's need, once per line
        chars = None if ascii_text or folded else _CharOffsets(data)

        def line_at(idx: int, end: int) -> str:
            if end < 0:
                if not lines:
                    lines.extend(text.split("\n"))
                return lines[idx]
            if ascii_text:  # byte offsets are character offsets
                return text[text.rfind("\n", 0, end) + 1 : _line_end(text, "\n", end)]
            start = data.rfind(b"\n", 0, end) + 1
            return data[start : _line_end(data, b"\n", end)].decode("utf-8", "surrogatepass")

        for idx, pid, end in hits:
            if (idx, pid) in seen:  # a long run matches at every end offset
                continue
            seen.add((idx, pid))
            consumers = self._consumers[pid]
            if self._needs[pid]:
                line = None
                gated = set()
                for c, test in self._needs[pid]:
                    ok = passed.get((idx, c))
                    if ok is None:
                        if line is None:
                            line = line_at(idx, end)
                        ok = passed[idx, c] = bool(test(line))
                    if not ok:
                        gated.add(c)
                consumers = consumers - gated
                if not consumers:
                    continue
            got = out.get(idx)
            if got is None:
                out[idx] = set(consumers)
                if starts is not None:
                    if ascii_text:
                        starts[idx] = text.rfind("\n", 0, end) + 1
                    elif chars is not None:
                        starts[idx] = chars(data.rfind(b"\n", 0, end) + 1)
            else:
                got |= consumers
        return out


class _CharOffsets:
    """Character offsets of non-decreasing byte offsets (at character starts) into UTF-8
    ``data``: each call decodes only the bytes since the previous one, so a document's
    candidate lines cost one decode of its bytes up to the last, not a split of the text."""

    def __init__(self, data: bytes):
        self.data = data
        self.byte = self.char = 0

    def __call__(self, byte: int) -> int:
        if byte < self.byte:
            self.byte = self.char = 0
        self.char += len(self.data[self.byte : byte].decode("utf-8", "surrogatepass"))
        self.byte = byte
        return self.char


def _folded(text: str, folded: str) -> bytes:
    """``text`` with the characters ``folded`` (of ``_FOLDED``) replaced, as UTF-8."""
    for ch in folded:
        text = text.replace(ch, _FOLDED[ch])
    return text.encode("utf-8", "surrogatepass")


def _line_end(buf: Any, newline: Any, pos: int) -> int:
    """Where the line holding ``pos`` ends in ``buf`` (a str or bytes)."""
    end = buf.find(newline, pos)
    return len(buf) if end < 0 else end
