"""A dedup kind (exact, near) as three phases, so ``run_dedup`` fuses the kinds' per-shard steps.

Each kind starts with one step over the run's shards (exact: group keys; near: signatures and
bands), runs whole-run barrier steps over partitions, and ends with one step over the shards
(the attribute files). ``run_phases`` runs every kind's first step in one ``run_steps`` call,
where consecutive steps over the same units become one task per shard (``engine.step``): a
shard's documents are opened by one worker for both kinds, and the run waits at one barrier
instead of one per kind; the same for the last steps. Each step keeps its own name, markers and
statistics, so a resumed run skips what is done exactly as when the kinds ran one after the
other, and the outputs are the same (no kind reads another's files).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from curate.engine.runner import Runner
from curate.engine.step import MapStep, run_steps
from curate.rundir import RunDir


@dataclass(frozen=True)
class Phases:
    first: MapStep
    """Over the run's shards (unit ``i``: shard ``i``)."""
    middle: Callable[[list[Any]], Any]
    """The barrier steps, given ``first``'s per-unit results; returns what ``report`` needs."""
    last: MapStep
    """Over the run's shards, after ``middle``."""
    report: Callable[[Any, list[Any]], dict[str, Any]]
    """``(middle's return, last's per-unit results)`` -> the kind's counts."""


def run_phases(run: RunDir, runner: Runner, kinds: Sequence[Phases]) -> list[dict[str, Any]]:
    """Run ``kinds`` with their first steps fused and their last steps fused; their reports."""
    firsts = run_steps(run, runner, [k.first for k in kinds])
    states = [k.middle(r.results) for k, r in zip(kinds, firsts, strict=True)]
    lasts = run_steps(run, runner, [k.last for k in kinds])
    return [k.report(s, r.results) for k, s, r in zip(kinds, states, lasts, strict=True)]
