"""One kind of step, one engine function that runs steps.

Every unit of pipeline work — a shard's ingest, the fused annotate pass, each dedup phase, the
policy, the mixture, the card — is a ``Step``: a name, one or more *units* (shard ids, partition
numbers, or the single unit ``all``), and for each unit a fingerprint per resumable *part* (the
annotate step has one part per annotator, so adding an annotator only runs that one). Outputs
are written atomically by the step; ``run_steps`` owns everything else:

1. skip every (step, unit) whose marker holds the current fingerprints;
2. clear a step's outputs when none of its units is done (a fresh start, not a resume);
3. run the stale units through the runner (consecutive per-shard steps over the same units are
   fused into one task per unit, so a shard is ingested and annotated by one worker);
4. time each unit (CPU and wall seconds, peak RSS) into its ``StepStats`` and write the marker
   last — ``_markers/<step>/<unit>.json`` with the fingerprints, the counters and the result;
5. merge the counters of all units into ``stats/steps/<step>.json`` (with the result of a
   whole-run step: dedup rates, policy counts, the mixture manifest).

A step that runs on the driver (``on_driver``: dedup, policy, mixture, card) gets the runner in
its context and may run sub-steps with ``ctx.run_steps`` — the same function, the same markers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import socket
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from curate import objstore
from curate.engine import markers, worker_cache
from curate.engine.runner import Runner, Warmup
from curate.engine.stats import Counters, StepStats, merge_counts, peak_rss_mb
from curate.rundir import RunDir, remove, write_json_atomic

WHOLE = ""
"""The part name of a step that has a single resumable part."""
ALL = "all"
"""The unit name of a whole-run step."""

RunnerSource = Runner | Callable[[], Runner]


@dataclass
class UnitContext:
    """What a step's ``run_unit`` gets: the run, its unit, the parts to redo, the counters."""

    run: RunDir
    unit: str
    stale: frozenset[str]
    stats: StepStats
    runner_source: RunnerSource | None = None

    @property
    def runner(self) -> Runner:
        """The runner (driver steps only; started on first use)."""
        if self.runner_source is None:
            raise RuntimeError("only a step that runs on the driver has a runner")
        return _runner(self.runner_source)

    def run_steps(self, steps: Sequence[Step]) -> list[StepReport]:
        """Run sub-steps (e.g. the phases of dedup) with the same engine."""
        if self.runner_source is None:
            raise RuntimeError("only a step that runs on the driver runs sub-steps")
        return run_steps(self.run, self.runner_source, steps)


class Step(ABC):
    """A unit of pipeline work; see the module docstring."""

    name: str
    on_driver: ClassVar[bool] = False
    memory_bytes: int | None = None
    """Memory to reserve per task on Ray (None: Ray's default)."""
    worker_pool: ClassVar[str] = "shards"
    """The Ray worker processes the step's tasks run in. Workers keep per-process caches
    (``worker_cache``: parsers, queries, detectors, the license corpus: ~600 MB after a shard
    is annotated), so the per-shard steps get their own pool, and whole-run phases (``MapStep``,
    pool ``""``; the policy's and mixer's ``runner.map``) start fresh, small processes instead
    of working on top of those caches; Ray ends the idle ones."""
    imports: tuple[str, ...] = ()
    """Modules the step's tasks import: the processes started for it ahead of time (while the
    step before it finishes) import them first."""
    needs_runner: bool = True
    """False for a driver step that never uses ``ctx.runner``: the runner may be shutting
    down while it runs."""

    @abstractmethod
    def units(self) -> Sequence[str]:
        """The step's units, in a stable order."""

    @abstractmethod
    def parts(self, unit: str) -> Mapping[str, str]:
        """Resumable part -> fingerprint of its config and inputs (``{WHOLE: fp}`` for most)."""

    @abstractmethod
    def run_unit(self, ctx: UnitContext) -> Any:
        """Do the work of ``ctx.unit`` for the parts in ``ctx.stale``, adding counters to
        ``ctx.stats``; return a JSON-able result (kept in the marker)."""

    def for_unit(self, unit: str) -> Step:
        """A copy holding only what ``unit`` needs (what is sent to a worker)."""
        return self

    def unit_weight(self, unit: str) -> int:
        """Expected size of ``unit``'s work (e.g. its input bytes; 0: unknown). Units are
        started largest first, so one big shard started last does not leave the other workers
        idle at the end of a step (longest-processing-time-first). Outputs do not depend on it."""
        return 0

    def clear(self, run: RunDir) -> None:  # noqa: B027 - optional hook
        """Remove the step's outputs before it runs from scratch."""

    def warmup(self) -> Warmup:
        """The worker processes to start before this step begins."""
        return Warmup(self.worker_pool, tuple(self.imports))


@dataclass(frozen=True)
class MapStep(Step):
    """A top-level function over items, one unit per item: a dedup phase, the policy."""

    name: str
    fingerprint: str
    fn: Callable[[Any], Any]
    items: tuple[Any, ...]
    outputs: tuple[Path, ...] = ()
    memory_bytes: int | None = None
    worker_pool: ClassVar[str] = ""
    ids: tuple[str, ...] = ()
    """Unit ids (default: the item's index, zero-padded)."""
    weights: tuple[int, ...] = ()
    """Per item, the expected size of its work (``unit_weight``; default: unknown)."""

    def units(self) -> Sequence[str]:
        return self.ids or tuple(f"{i:05d}" for i in range(len(self.items)))

    def unit_weight(self, unit: str) -> int:
        return self.weights[list(self.units()).index(unit)] if self.weights else 0

    def parts(self, unit: str) -> Mapping[str, str]:
        return {WHOLE: self.fingerprint}

    def for_unit(self, unit: str) -> Step:
        index = list(self.units()).index(unit)
        weights = self.weights[index : index + 1]
        return dataclasses.replace(self, items=(self.items[index],), ids=(unit,), weights=weights)

    def run_unit(self, ctx: UnitContext) -> Any:
        return self.fn(self.items[list(self.units()).index(ctx.unit)])

    def warmup(self) -> Warmup:
        return Warmup(self.worker_pool, (self.fn.__module__,))

    def clear(self, run: RunDir) -> None:
        for out in self.outputs:
            remove(out)


@dataclass(frozen=True)
class DriverStep(Step):
    """A whole-run step executed on the driver: ``fn(ctx)`` with the runner at hand;
    ``counters(result)`` turns its result into counters (files, bytes, dropped, ...)."""

    name: str
    fingerprint: str
    fn: Callable[[UnitContext], Any]
    counters: Callable[[Any], Mapping[str, Any]] | None = None
    imports: tuple[str, ...] = ()
    """Modules of the tasks ``fn`` runs (``ctx.runner.map``, sub-steps)."""
    needs_runner: bool = True
    on_driver: ClassVar[bool] = True
    worker_pool: ClassVar[str] = ""

    def units(self) -> Sequence[str]:
        return (ALL,)

    def parts(self, unit: str) -> Mapping[str, str]:
        return {WHOLE: self.fingerprint}

    def run_unit(self, ctx: UnitContext) -> Any:
        result = self.fn(ctx)
        if self.counters is not None:
            ctx.stats.update(self.counters(result))
        return result


@dataclass
class StepReport:
    """What ``run_steps`` did for one step."""

    name: str
    units: int
    ran: int
    results: list[Any]
    """Per unit, in unit order (from the markers for units that were already done)."""
    stats: Counters = field(default_factory=dict)
    """Counters of the units run now (``cpu_s``, ``wall_s``, the step's own counters)."""

    @property
    def cpu_s(self) -> float:
        return float(self.stats.get("cpu_s", 0.0))

    @property
    def wall_s(self) -> float:
        return float(self.stats.get("wall_s", 0.0))


@dataclass(frozen=True)
class _UnitTask:
    run: RunDir
    steps: tuple[Step, ...]
    unit: str
    stale: tuple[tuple[str, tuple[str, ...]], ...]  # (step name, stale parts)


def stats_path(run: RunDir, step: str) -> Path:
    """``stats/steps/<step>.json`` (``/`` in sub-step names becomes ``__``)."""
    return run.stats / "steps" / f"{step.replace('/', '__')}.json"


def run_steps(run: RunDir, runner: RunnerSource, steps: Sequence[Step]) -> list[StepReport]:
    """Run ``steps`` in order: skip what is done, run the rest, record statistics and markers."""
    reports: list[StepReport] = []
    groups = list(_fused(steps))
    for group, after in zip(groups, [*groups[1:], None], strict=True):
        reports.extend(_run_group(run, runner, group, after[0] if after else None))
    return reports


def pending(run: RunDir, steps: Sequence[Step]) -> bool:
    """Whether any unit of ``steps`` would run (without running anything)."""
    for step in steps:
        for unit in step.units():
            if _stale_parts(run, step, unit, _read(run, step, unit)):
                return True
    return False


def _fused(steps: Sequence[Step]) -> Iterator[list[Step]]:
    group: list[Step] = []
    for step in steps:
        if (
            group
            and not step.on_driver
            and not group[-1].on_driver
            and list(step.units()) == list(group[-1].units())
        ):
            group.append(step)
            continue
        if group:
            yield group
        group = [step]
    if group:
        yield group


def _read(run: RunDir, step: Step, unit: str) -> dict[str, Any] | None:
    return markers.read_marker(run, step.name, unit)


def _stale_parts(run: RunDir, step: Step, unit: str, record: dict[str, Any] | None) -> list[str]:
    done = (record or {}).get("parts", {})
    return [part for part, fp in step.parts(unit).items() if done.get(part) != fp]


def _run_group(
    run: RunDir, runner: RunnerSource, group: list[Step], after: Step | None = None
) -> list[StepReport]:
    """Run one fused group; ``after`` (the next step) gets its worker processes started while
    this group's last units run, when it uses another pool and has work to do."""
    if run.url is not None:  # plan on what every node stored so far, not this mirror's view
        objstore.refresh(str(run.root), full=True)
    units = list(group[0].units())
    records: dict[tuple[str, str], dict[str, Any] | None] = {}
    stale: dict[str, dict[str, list[str]]] = {}
    for step in group:
        for unit in units:
            record = records[step.name, unit] = _read(run, step, unit)
            parts = _stale_parts(run, step, unit, record)
            if parts:
                stale.setdefault(unit, {})[step.name] = parts
    todo = sorted((u for u in units if u in stale), key=lambda u: -group[0].unit_weight(u))
    fresh: dict[tuple[str, str], dict[str, Any]] = {}
    if todo:
        for step in group:
            if all(step.name in stale.get(u, {}) for u in units):
                step.clear(run)
        tasks = [
            _UnitTask(
                run,
                tuple(step.for_unit(unit) for step in group),
                unit,
                tuple((name, tuple(parts)) for name, parts in stale[unit].items()),
            )
            for unit in todo
        ]
        if group[0].on_driver:
            outputs = [_execute(task, runner) for task in tasks]
        else:
            memory = max((s.memory_bytes or 0 for s in group), default=0) or None
            # (passed only when there is one: a runner written before ``warmup`` still works)
            extra: dict[str, Any] = {}
            other_pool = after is not None and after.worker_pool != group[0].worker_pool
            if after is not None and other_pool and pending(run, [after]):
                extra["warmup"] = after.warmup()
            outputs = _runner(runner).map(
                _execute,
                tasks,
                desc=" + ".join(s.name for s in group),
                memory_bytes=memory,
                progress=_progress,
                pool=group[0].worker_pool,
                **extra,
            )
        for task, output in zip(tasks, outputs, strict=True):
            for name, record in output.items():
                fresh[name, task.unit] = record
                records[name, task.unit] = record
    reports = []
    for step in group:
        ran = [fresh[step.name, u] for u in units if (step.name, u) in fresh]
        results = [(records[step.name, u] or {}).get("result") for u in units]
        report = StepReport(
            step.name, len(units), len(ran), results, merge_counts(r["stats"] for r in ran)
        )
        if ran:
            all_stats = [(records[step.name, u] or {}).get("stats", {}) for u in units]
            record: dict[str, Any] = {
                "step": step.name,
                "units": len(units),
                "counters": merge_counts(all_stats),
            }
            if step.on_driver:
                record["result"] = results[0]
            write_json_atomic(record, stats_path(run, step.name))
        reports.append(report)
    return reports


def _execute(task: _UnitTask, runner: RunnerSource | None = None) -> dict[str, dict[str, Any]]:
    """Run one unit of each step of a fused group (on a worker, or on the driver)."""
    worker_cache.tune_allocator()
    stale = dict(task.stale)
    out: dict[str, dict[str, Any]] = {}
    upstream_ran = False
    for step in task.steps:
        parts = dict(step.parts(task.unit))
        todo = list(parts) if upstream_ran else list(stale.get(step.name, ()))
        if not todo:
            continue
        stats = StepStats()
        started = time.time()
        cpu, wall = time.process_time(), time.perf_counter()
        ctx = UnitContext(task.run, task.unit, frozenset(todo), stats, runner)
        result = step.run_unit(ctx)
        worker_cache.release_arrow_pool()
        stats.add("cpu_s", round(time.process_time() - cpu, 4))
        stats.add("wall_s", round(time.perf_counter() - wall, 4))
        stats.add("units", 1)
        stats.peak("max_rss_mb", peak_rss_mb())
        counters = stats.to_dict()
        previous = markers.read_marker(task.run, step.name, task.unit) or {}
        for part in parts:  # keep the counters of parts that did not rerun
            old = previous.get("stats", {}).get(part)
            if part not in todo and isinstance(old, Mapping) and part not in counters:
                counters[part] = old
        record = {
            "fingerprint": _combined(parts),
            "parts": parts,
            "stats": counters,
            "result": result,
            "worker": _worker(),
            "time": {"start": round(started, 3), "end": round(time.time(), 3)},
        }
        markers.write_marker(task.run, step.name, task.unit, record)
        out[step.name] = record
        upstream_ran = True
    return out


def _worker() -> dict[str, Any]:
    """Where a unit ran (host, process, Ray node, the curate package it imported): for
    finding a slow or failing node, and for checking what a cluster's workers run."""
    where: dict[str, Any] = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "curate": str(Path(__file__).resolve().parents[1]),
    }
    ray = sys.modules.get("ray")
    # (a driver step may run while the runner shuts Ray down in another thread)
    with contextlib.suppress(Exception):
        if ray is not None and ray.is_initialized():
            where["ray_node"] = ray.get_runtime_context().get_node_id()
    return where


def _combined(parts: Mapping[str, str]) -> str:
    text = "\x00".join(f"{k}={v}" for k, v in sorted(parts.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _progress(output: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Progress-bar counters of one finished task: the first step's files and MB (later steps
    of a fused group see the same files)."""
    first = next(iter(output.values()), {"stats": {}})["stats"]
    return {"files": int(first.get("files", 0)), "MB": round(first.get("bytes", 0) / 2**20, 1)}


def _runner(source: RunnerSource) -> Runner:
    return source() if callable(source) and not hasattr(source, "map") else source  # type: ignore[return-value]


def map_step(
    run: RunDir,
    runner: RunnerSource,
    name: str,
    fingerprint: str,
    fn: Callable[[Any], Any],
    items: Sequence[Any],
    *,
    outputs: Sequence[Path] = (),
    memory_bytes: int | None = None,
    weights: Sequence[int] = (),
) -> list[Any]:
    """Run ``fn`` over ``items`` as the step ``name`` (one unit per item); the per-item
    results, also for items already done. ``weights``: each item's expected size of work
    (items start largest first)."""
    step = MapStep(
        name, fingerprint, fn, tuple(items), tuple(outputs), memory_bytes, weights=tuple(weights)
    )
    (report,) = run_steps(run, runner, [step])
    return report.results
