"""The statistics sink: counters a step adds while it works, mergeable by addition.

Every unit of every step (a shard's ingest, its annotators, a dedup partition, the policy, ...)
gets a ``StepStats``; the engine adds the unit's CPU and wall seconds and stores the counters in
the unit's marker. ``stats/steps/<step>.json`` is the merge of all units' counters, and
``stats/summary.json`` holds every step's merge (see ``curate.engine.step``). Numbers add up;
a key starting with ``max_`` merges by maximum (peak RSS); nested dicts merge key by key, so
totals over shards, workers and nodes are one ``merge_counts`` away.
"""

from __future__ import annotations

import resource
from collections.abc import Iterable, Mapping
from typing import Any

Counters = dict[str, Any]


def merge_counts(items: Iterable[Mapping[str, Any]]) -> Counters:
    """Add stats dicts: numbers are summed (``max_*`` keys: maximum), nested dicts merged
    recursively; other values are ignored."""
    merged: Counters = {}
    for item in items:
        for key, value in item.items():
            if isinstance(value, Mapping):
                merged[key] = merge_counts([merged.get(key, {}), value])
            elif isinstance(value, bool):
                continue
            elif isinstance(value, int | float):
                if key.startswith("max_"):
                    merged[key] = max(merged.get(key, value), value)
                else:
                    merged[key] = merged.get(key, 0) + value
    return merged


def peak_rss_mb() -> float:
    """This process's own peak RSS in MB: ``VmHWM`` of ``/proc/self/status`` on Linux, else
    ``ru_maxrss``. Linux's ``ru_maxrss`` also counts the parent's peak RSS from before ``exec``
    (measured: a child of a process that once held 1 GiB reports 1036 MB from its first line,
    ``VmHWM`` 11 MB), so a driver started by a large benchmark process looked 1 GB large."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class StepStats:
    """Counters of one unit of work. ``add("files", 3)``; ``child("parse@1").add(...)``."""

    def __init__(self) -> None:
        self._counters: Counters = {}
        self._children: dict[str, StepStats] = {}

    def add(self, name: str, value: int | float = 1) -> None:
        self._counters[name] = self._counters.get(name, 0) + value

    def peak(self, name: str, value: int | float) -> None:
        """A maximum, not a sum (``name`` should start with ``max_``)."""
        self._counters[name] = max(self._counters.get(name, value), value)

    def update(self, counters: Mapping[str, Any]) -> None:
        """Merge a whole counters dict (e.g. a reader's statistics) into these."""
        merged = merge_counts([self.to_dict(), counters])
        self._counters, self._children = {}, {}
        self._load(merged)

    def child(self, name: str) -> StepStats:
        """Counters of a part of this unit (one annotator of the fused annotate step)."""
        return self._children.setdefault(name, StepStats())

    def to_dict(self) -> Counters:
        out: Counters = dict(self._counters)
        for name, child in self._children.items():
            out[name] = child.to_dict()
        return out

    def _load(self, data: Mapping[str, Any]) -> None:
        for key, value in data.items():
            if isinstance(value, Mapping):
                self.child(key)._load(value)
            else:
                self._counters[key] = value
