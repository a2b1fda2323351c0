"""The finding record shared by the secret and PII detectors, and the hash that stands in for
a secret's value wherever findings are logged or stored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from curate.hashing import VALUE_HASH_CHARS, value_hash

__all__ = ["VALUE_HASH_CHARS", "Finding", "value_hash"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One secret or piece of personal data: ``content[start:end]`` (code-point offsets)."""

    start: int
    end: int
    kind: str
    detector: str
    value_hash: str

    @classmethod
    def of(cls, text: str, start: int, end: int, kind: str, detector: str) -> Finding:
        return cls(start, end, kind, detector, value_hash(text[start:end]))

    def as_span(self) -> dict[str, object]:
        """The ``curate.schema.SPAN`` row for this finding."""
        return {
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "detector": self.detector,
            "value_hash": self.value_hash,
        }


def merge_overlapping(
    text: str, findings: Iterable[Finding], priority: dict[str, int]
) -> list[Finding]:
    """Collapse findings whose spans overlap into one finding covering their union.

    The merged finding takes kind and detector from the member with the highest
    ``priority[detector]`` (unknown detectors rank 0), so a specific token rule wins over a
    keyword or entropy hit on the same value, and the union still covers every flagged char."""
    ordered = sorted(findings, key=lambda f: (f.start, f.end))
    out: list[Finding] = []
    group: list[Finding] = []
    group_end = -1

    def flush() -> None:
        if not group:
            return
        best = max(group, key=lambda f: (priority.get(f.detector, 0), f.end - f.start))
        start = min(f.start for f in group)
        out.append(Finding.of(text, start, group_end, best.kind, best.detector))

    for f in ordered:
        if group and f.start < group_end:
            group.append(f)
            group_end = max(group_end, f.end)
        else:
            flush()
            group = [f]
            group_end = f.end
    flush()
    return out
