"""The secret scanner: pre-filter, our rules, detect-secrets on candidate lines, false-positive
controls, overlap merge. One ``SecretScanner`` per worker process (its setup is the costly
part); ``scan`` is pure and thread-compatible apart from detect-secrets' global settings."""

from __future__ import annotations

import bisect
import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

from curate.filters.secrets import dsengine, falsepos
from curate.filters.secrets.findings import Finding, merge_overlapping
from curate.filters.secrets.prefilter import Prefilter, Trigger
from curate.filters.secrets.rules import RULES, Rule, iter_rule_matches

_RULES_BY_NAME = {r.name: r for r in RULES}

# Which detector wins when spans overlap (higher wins); unlisted detectors rank 0.
PRIORITY: dict[str, int] = {
    **{
        f"curate.{r.name}": 100
        for r in RULES
        if r.name not in {"assignment", "url_credentials", "aws_secret_access_key"}
    },
    "curate.url_credentials": 80,
    "curate.aws_secret_access_key": 80,
    **{f"detect_secrets.{n}": 90 for n in dsengine.PLUGIN_TRIGGERS},
    "detect_secrets.BasicAuthDetector": 70,
    "curate.assignment": 50,
    "detect_secrets.KeywordDetector": 40,
    "detect_secrets.Base64HighEntropyString": 10,
    "detect_secrets.HexHighEntropyString": 10,
}

PASSWORD_KINDS = frozenset({"password", "url_password"})
URL_KINDS = falsepos.URL_KINDS
_URL_USER = re.compile(r"://([^\s:@/\"'`<>]{1,100}):\Z")
CONTEXT_CHARS = 160
"""How much of the line around a candidate the false-positive rules look at."""


@dataclass
class ScanResult:
    findings: list[Finding]
    status: str = "ok"  # ok | timeout
    rejected: dict[str, int] = field(default_factory=dict)
    """Candidates dropped by each false-positive rule."""
    candidate_lines: int = 0
    long_lines: int = 0
    """Candidate lines longer than ``max_line_chars``: our rules only, no detect-secrets."""


def _rule_triggers() -> list[Trigger]:
    return [
        Trigger(f"rule:{r.name}", literals=r.anchors, shapes=r.shapes, nocase=r.nocase, need=r.need)
        for r in RULES
    ]


class SecretScanner:
    def __init__(
        self,
        *,
        use_detect_secrets: bool = True,
        prefilter: bool = True,
        false_positive_filters: bool = True,
        max_line_chars: int = 10_000,
    ):
        self.use_detect_secrets = use_detect_secrets
        self.use_prefilter = prefilter
        self.false_positive_filters = false_positive_filters
        self.max_line_chars = max_line_chars
        triggers = _rule_triggers()
        if use_detect_secrets:
            dsengine.configure()
            triggers += dsengine.triggers(max_line_chars)
            from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

            self._plugin_by_type = {
                t: cls.__name__ for t, cls in get_mapping_from_secret_type_to_class().items()
            }
        self._all_consumers = frozenset(t.consumer for t in triggers)
        self.prefilter = Prefilter(triggers)

    def candidates(
        self, text: str, data: bytes | None = None, starts: dict[int, int] | None = None
    ) -> dict[int, set[str]]:
        """Candidate lines and their consumers (``Prefilter.candidates``; every line with every
        consumer without the pre-filter)."""
        if self.use_prefilter:
            return self.prefilter.candidates(text, data, starts)
        return {i: set(self._all_consumers) for i in range(text.count("\n") + 1)}

    def scan(
        self,
        text: str,
        path: str = "",
        *,
        data: bytes | None = None,
        time_budget_s: float | None = None,
    ) -> ScanResult:
        """Findings in ``text``; ``data``: ``text`` as UTF-8, when the caller has it."""
        deadline = None if time_budget_s is None else time.monotonic() + time_budget_s
        known: dict[int, int] = {}
        cands = self.candidates(text, data, known)
        result = ScanResult([], candidate_lines=len(cands))
        if not cands:
            return result
        lines = TextLines(text, known)
        starts = {idx: lines.start(idx) for idx in sorted(cands)}
        raw: list[tuple[int, int, str, str]] = []  # start, end, kind, detector
        block_rules: set[str] = set()
        for idx, consumers in cands.items():
            for c in consumers:
                if not c.startswith("rule:"):
                    continue
                rule = _RULES_BY_NAME[c[5:]]
                if rule.block:
                    block_rules.add(rule.name)
                    continue
                for s, e, kind in iter_rule_matches(rule, lines[idx], starts[idx], path):
                    raw.append((s, e, kind, rule.detector))
        for name in sorted(block_rules):
            rule: Rule = _RULES_BY_NAME[name]
            for s, e, kind in iter_rule_matches(rule, text, 0, path):
                raw.append((s, e, kind, rule.detector))
        if self.use_detect_secrets:
            try:
                hits = dsengine.gated_scan(
                    lines, self._ds_lines(lines, cands, result), path, deadline
                )
            except dsengine.GuardTimeout as err:
                hits = err.args[0]
                result.status = "timeout"
            for hit in hits:
                kind = dsengine.kind_of(hit)
                if kind is None:
                    continue
                detector = f"detect_secrets.{self._plugin_by_type.get(hit.type, 'unknown')}"
                idx = hit.line - 1
                expand = detector not in _VALUE_EXACT
                for s, e in locate(lines[idx], hit.value, expand=expand):
                    if kind in URL_KINDS:
                        s = with_url_user(lines[idx], s)
                    raw.append((starts[idx] + s, starts[idx] + e, kind, detector))
        result.findings = self._finish(text, raw, path, result.rejected)
        return result

    def _ds_lines(
        self, lines: Sequence[str], cands: dict[int, set[str]], result: ScanResult
    ) -> dict[int, set[str]]:
        """Candidates for detect-secrets, without over-long lines: its keyword regexes and
        filters are quadratic in the line length (a minified bundle line would take minutes,
        in the full scan too). Our rules still scan those lines."""
        out = {}
        for idx, consumers in cands.items():
            if len(lines[idx]) > self.max_line_chars:
                result.long_lines += 1
            else:
                out[idx] = consumers
        return out

    def _finish(
        self,
        text: str,
        raw: list[tuple[int, int, str, str]],
        path: str,
        rejected: dict[str, int],
    ) -> list[Finding]:
        """False-positive controls on each raw hit, then the overlap merge."""
        kept: list[Finding] = []
        for s, e, kind, detector in raw:
            if e <= s:
                continue
            if self.false_positive_filters:
                start = text.rfind("\n", 0, s) + 1  # of the finding's line
                stop = text.find("\n", s)
                stop = len(text) if stop < 0 else stop
                col = s - start
                # context is the value's neighbourhood: bounded work on minified one-liners
                left = max(0, col - CONTEXT_CHARS)
                prev_start = text.rfind("\n", 0, start - 1) + 1 if start else 0
                why = falsepos.reject(
                    kind=kind,
                    value=text[s:e],
                    line=text[start + left : min(stop, s + (e - s) + CONTEXT_CHARS)],
                    path=path,
                    value_col=col - left,
                    prev_line=(
                        text[max(prev_start, start - 1 - CONTEXT_CHARS) : start - 1]
                        if start
                        else ""
                    ),
                )
                if why is not None:
                    rejected[why] = rejected.get(why, 0) + 1
                    continue
            kept.append(Finding.of(text, s, e, kind, detector))
        return merge_overlapping(text, kept, PRIORITY)


class TextLines(Sequence[str]):
    """``text.split("\\n")`` read lazily: a line is cut out of ``text`` from its start, found
    from the nearest line whose start is known (``known``: line index -> character offset, the
    pre-filter's candidate lines) a few ``str.find`` steps away, so a large document with a few
    candidate lines (and detect-secrets' context around them) is never split whole. Without a
    known start close by it splits once."""

    NEAR = 32
    """How many lines a start is walked from a known one before the text is split instead."""

    def __init__(self, text: str, known: dict[int, int] | None = None):
        self.text = text
        self._starts = dict(known or {})
        self._known = sorted(self._starts)
        self._split: list[str] | None = None
        self._split_starts: list[int] = []
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self.text.count("\n") + 1
        return self._count

    def start(self, idx: int) -> int:
        """Character offset of line ``idx``."""
        got = self._starts.get(idx)
        if got is not None:
            return got
        if not 0 <= idx < len(self):
            raise IndexError(idx)
        at = bisect.bisect_left(self._known, idx)
        near = min(self._known[max(0, at - 1) : at + 1], key=lambda k: abs(k - idx), default=None)
        if idx == 0:
            pos = 0
        elif near is not None and abs(near - idx) <= self.NEAR:
            pos, text = self._starts[near], self.text
            for _ in range(near, idx):
                pos = text.index("\n", pos) + 1
            for _ in range(idx, near):
                pos = text.rfind("\n", 0, pos - 1) + 1
        else:
            if self._split is None:
                self._split = self.text.split("\n")
                self._split_starts = [0, *itertools.accumulate(len(x) + 1 for x in self._split)]
            pos = self._split_starts[idx]
        self._starts[idx] = pos
        return pos

    def _line(self, idx: int) -> str:
        if self._split is not None:
            return self._split[idx]
        start = self.start(idx)
        end = self.text.find("\n", start)
        if end < 0:
            return self.text[start:]
        self._starts.setdefault(idx + 1, end + 1)  # the next line's start, for a run of lines
        return self.text[start:end]

    @overload
    def __getitem__(self, key: int) -> str: ...

    @overload
    def __getitem__(self, key: slice) -> list[str]: ...

    def __getitem__(self, key: int | slice) -> str | list[str]:
        if isinstance(key, slice):
            return [self._line(i) for i in range(*key.indices(len(self)))]
        if key < 0:
            key += len(self)
            if key < 0:
                raise IndexError(key)
        # a line with a known start exists; ``start`` checks the others (``len`` counts every
        # newline of the text: not for the candidate lines, which are all known)
        return self._line(key)


_VALUE_EXACT = frozenset(
    {
        "detect_secrets.KeywordDetector",
        "detect_secrets.Base64HighEntropyString",
        "detect_secrets.HexHighEntropyString",
        "detect_secrets.BasicAuthDetector",
    }
)
_WORD_ASCII = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_TOKEN_CHAR = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def with_url_user(line: str, s: int) -> int:
    """Start of ``user:password`` for a password at ``s`` in ``scheme://user:password@host``
    (detect-secrets reports the password only; the user name is part of the credential)."""
    m = _URL_USER.search(line, max(0, s - 104), s)
    return m.start(1) if m else s


def _grow(line: str, s: int, e: int) -> tuple[int, int]:
    while s > 0 and line[s - 1] in _TOKEN_CHAR:
        s -= 1
    while e < len(line) and line[e] in _TOKEN_CHAR:
        e += 1
    return s, e


def locate(line: str, value: str, *, expand: bool = False) -> list[tuple[int, int]]:
    """Where detect-secrets' reported ``value`` sits in ``line``: every occurrence not glued to
    a word character on a side where the value itself starts/ends with one, else the first.

    ``expand``: some plugins report only a regex group (the GitHub plugin reports ``ghp`` for
    a whole ``ghp_...`` token); grow such spans to the surrounding token characters."""
    if not value:
        return []
    if expand:
        i = line.find(value)
        if i < 0:
            return []
        spans = []
        while i >= 0:
            spans.append(_grow(line, i, i + len(value)))
            i = line.find(value, spans[-1][1])
        return spans
    # the spans of ``(?<![A-Za-z0-9_])value(?![A-Za-z0-9_])`` (each guard only where the value
    # ends in a word character), found with ``str.find``: no regex compiled per value
    left = value[0].isalnum() or value[0] == "_"
    right = value[-1].isalnum() or value[-1] == "_"
    n = len(value)
    spans = []
    i = line.find(value)
    first = i
    while i >= 0:
        if not (left and i > 0 and line[i - 1] in _WORD_ASCII) and not (
            right and i + n < len(line) and line[i + n] in _WORD_ASCII
        ):
            spans.append((i, i + n))
            i = line.find(value, i + n)
        else:
            i = line.find(value, i + 1)
    if spans:
        return spans
    return [(first, first + n)] if first >= 0 else []
