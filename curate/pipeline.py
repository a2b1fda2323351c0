"""Run a pipeline recipe end to end: plan shards, then every step of the recipe through the
engine (``curate.engine.step.run_steps``): ingest and the fused annotate pass per shard, then
the whole-run steps (dedup, policy, mixture, card, summary).

Everything is resumable: a (step, unit) whose marker matches is skipped. Running the same
recipe twice on the same output does no work the second time.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate import objstore
from curate.config import PipelineConfig
from curate.engine.annotate import STEP as ANNOTATE_STEP
from curate.engine.annotate import AnnotateStep
from curate.engine.runner import Runner, RunnerThread, check_address, make_runner
from curate.engine.shards import ShardSpec, fan_out, plan_shards
from curate.engine.step import DriverStep, Step, StepReport, UnitContext, run_steps
from curate.errors import UserError
from curate.ingest.step import STEP as INGEST_STEP
from curate.ingest.step import IngestStep
from curate.recipe_check import check_policy_columns
from curate.rundir import RunDir, remove, write_bytes_atomic, write_table_atomic
from curate.schema import MANIFEST, SKIPPED

log = logging.getLogger(__name__)

DISCOVERY_SHARD = "discovery"
_SHARD_FILE = re.compile(r"^[0-9a-f]{16}\.parquet$")

BARRIER_SECTIONS = ("dedup", "policy", "mixture")
"""Recipe sections that enable a whole-run step, in pipeline order."""


@dataclass
class RunReport:
    run_dir: Path
    shards: int = 0
    steps: list[StepReport] = field(default_factory=list)
    plan_seconds: float = 0.0
    url: str | None = None
    """The run directory's URL when it is on an object store (``run_dir`` is its mirror)."""

    @property
    def location(self) -> str:
        return self.url or str(self.run_dir)

    def step(self, name: str) -> StepReport | None:
        return next((s for s in self.steps if s.name == name), None)

    @property
    def shards_ingested(self) -> int:
        report = self.step(INGEST_STEP)
        return report.ran if report else 0

    @property
    def shards_annotated(self) -> int:
        report = self.step(ANNOTATE_STEP)
        return report.ran if report else 0

    @property
    def barriers_run(self) -> list[str]:
        return [s.name for s in self.steps if s.name in BARRIER_SECTIONS and s.ran]

    @property
    def did_work(self) -> bool:
        return any(s.ran for s in self.steps)


def _chain(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


def plan(cfg: PipelineConfig, run: RunDir) -> list[ShardSpec]:
    """Discover sources, cut shards, write the manifest and the discovery-time skips."""
    from curate.ingest import discover_sources

    if not cfg.run.input:
        raise UserError("no input: pass --input PATH (or set run.input in the recipe)")
    sources, skips = discover_sources(list(cfg.run.input), cfg.ingest)
    if not sources:
        reasons = ", ".join(sorted({f"{r.reason}: {r.source_uri}" for r in skips})[:5])
        raise UserError(
            f"nothing to ingest in {', '.join(cfg.run.input)}"
            + (f" ({reasons})" if reasons else "")
        )
    shards = plan_shards(sources, cfg.run.shard_target_bytes, fan_out(cfg.run.workers))
    manifest = pa.table(
        {
            "shard_id": [s.shard_id for s in shards],
            "source_uris": [[src.uri for src in s.sources] for s in shards],
            "source_kinds": [[src.kind for src in s.sources] for s in shards],
            "input_bytes": [s.input_bytes for s in shards],
            "source_names": [[src.name or src.uri for src in s.sources] for s in shards],
        },
        schema=MANIFEST,
    )
    _write_if_changed(manifest, run.manifest)
    rows = [{**r.__dict__, "shard_id": DISCOVERY_SHARD} for r in skips]
    _write_if_changed(
        pa.Table.from_pylist(rows, schema=SKIPPED), RunDir.shard_file(run.skipped, DISCOVERY_SHARD)
    )
    _remove_orphans(run, {s.shard_id for s in shards})
    _remove_stale_temp_files(run)
    return shards


def _write_if_changed(table: pa.Table, path: Path) -> None:
    """Leave an identical table untouched, so a rerun with nothing to do writes nothing."""
    if path.is_file():
        try:
            if pq.read_table(path).equals(table):
                return
        except (OSError, pa.ArrowException):
            pass
    write_table_atomic(table, path)


def _remove_stale_temp_files(run: RunDir) -> None:
    """Temporary files of a killed run (writes go to ``.<name>.<uuid>.tmp`` then rename)."""
    for path in run.root.rglob(".*.tmp"):
        if path.is_file() and "_tmp" not in path.parts:
            path.unlink(missing_ok=True)


def _remove_orphans(run: RunDir, live: set[str]) -> None:
    """Drop shard outputs of an earlier plan whose shard no longer exists (inputs changed)."""
    folders = [run.documents, run.skipped]
    if run.attributes_root.is_dir():
        folders += [p for p in run.attributes_root.iterdir() if p.is_dir()]
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if _SHARD_FILE.match(path.name) and path.stem not in live:
                log.info("removing output of retired shard %s", path)
                remove(path)


def run_pipeline(
    cfg: PipelineConfig, runner: Runner | None = None, *, started: RunnerThread | None = None
) -> RunReport:
    """Run the recipe. ``runner``: one to use (the caller's to close); else ``started``, the
    runner of ``cfg.run`` already starting in the background (``curate run`` starts Ray
    before it loads the recipe), which is closed here; else the runner is started when a step
    first needs it."""
    if not cfg.run.output:
        raise UserError("no output: pass --output RUN (or set run.output in the recipe)")
    run = RunDir.at(cfg.run.output)
    if run.url is None:
        check_policy_columns(cfg, run)  # before anything is written
    if cfg.run.runner == "ray" and cfg.run.address and runner is None:
        check_address(cfg.run.address)
    with run_lock(run):
        if run.url is not None:  # the store is the truth: the mirror starts as its copy
            check_policy_columns(cfg, run)
        return _run_locked(cfg, run, runner, started)


def _lock_file(run: RunDir) -> Path:
    try:
        run.root.mkdir(parents=True, exist_ok=True)
        open(run.root / ".lock", "a").close()  # (opening for append leaves the mtime alone)
    except OSError as err:  # read-only folder or filesystem, a path under /sys, ...
        raise UserError(f"{run.root}: cannot write the run directory ({err.strerror})") from None
    return run.root / ".lock"


@contextmanager
def run_lock(run: RunDir) -> Iterator[None]:
    """One writer per run directory (``RUN/.lock``): a second concurrent ``curate run`` or
    ``curate mix`` on it fails fast instead of racing. On an object store the lock is the
    ``RUN/.lock`` object, created with a conditional PUT (``curate.objstore.acquire_lock``);
    holding it, the local mirror is checked out from the store, and on the way out (also after
    an error) what changed locally is flushed to the store before the lock is released."""
    mirror = run.mirror
    owner = None
    if mirror is not None:
        owner = _store_lock(run, mirror)
    try:
        with open(_lock_file(run), "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UserError(f"{run.location}: in use by another curate run") from None
            try:
                if mirror is not None:
                    mirror.checkout()
                try:
                    yield
                finally:
                    if mirror is not None and mirror.checked_out:
                        mirror.flush()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        if mirror is not None and owner is not None:
            objstore.release_lock(mirror.fs, mirror.key(".lock"), owner)


def _store_lock(run: RunDir, mirror: objstore.Mirror) -> str:
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    try:
        return objstore.acquire_lock(mirror.fs, mirror.key(".lock"), owner)
    except UserError:
        raise UserError(
            f"{run.location}: in use by another curate run (the lock object {run.location}/.lock "
            "is held; delete it only if that run is dead)"
        ) from None
    except OSError as err:
        raise UserError(f"{run.location}: cannot write the run directory ({err})") from None


def _run_locked(
    cfg: PipelineConfig, run: RunDir, runner: Runner | None, starting: RunnerThread | None
) -> RunReport:
    if cfg.source_text and (
        not run.config_copy.is_file() or run.config_copy.read_text() != cfg.source_text
    ):
        write_bytes_atomic(cfg.source_text.encode(), run.config_copy)
    report = RunReport(run.root, url=run.url)

    started = time.perf_counter()
    shards = plan(cfg, run)
    report.shards = len(shards)
    report.plan_seconds = time.perf_counter() - started

    runners = _LazyRunner(cfg, run, runner, starting)
    steps = pipeline_steps(cfg, shards)
    # the steps after the last one that needs the runner run while it shuts down
    cut = max((i + 1 for i, s in enumerate(steps) if s.needs_runner), default=0)
    try:
        report.steps = run_steps(run, runners.get, steps[:cut])
        runners.close(wait=False)
        report.steps += run_steps(run, runners.get, steps[cut:])
    finally:
        runners.close()
    shutil.rmtree(run.tmp, ignore_errors=True)
    return report


def pipeline_steps(cfg: PipelineConfig, shards: list[ShardSpec]) -> list[Step]:
    """Every step of the recipe, in order. Each whole-run step's fingerprint chains its own
    config with everything upstream, so a step reruns exactly when its inputs or its config
    changed."""
    ingest = IngestStep(
        tuple(shards),
        cfg.ingest,
        cfg.fingerprint("ingest"),
        cfg.run.batch_rows,
        cfg.run.batch_bytes,
    )
    steps: list[Step] = [ingest]
    specs = cfg.annotator_specs()
    if specs:
        steps.append(
            AnnotateStep(
                specs,
                tuple(s.shard_id for s in shards),
                {s.shard_id: ingest.shard_fingerprint(s.shard_id) for s in shards},
                cfg.run.batch_rows,
                cfg.run.annotate_batch_bytes,
            )
        )
    per_shard = [fp for step in steps for u in step.units() for fp in step.parts(u).values()]
    upstream = _chain("shards", *sorted(per_shard))
    for name in BARRIER_SECTIONS:
        section = cfg.section(name)
        if section is None or not getattr(section, "enabled", True):
            continue
        upstream = _chain(upstream, name, cfg.fingerprint(name))
        fn = _barrier(name, section)
        steps.append(DriverStep(name, upstream, fn, _COUNTERS[name], _TASK_MODULES[name]))
    card_cfg = cfg.section("card")
    if card_cfg is not None and getattr(card_cfg, "enabled", True):
        upstream = _chain(upstream, "card", cfg.fingerprint("card"))
        card = _card(card_cfg, cfg.source_text)
        steps.append(DriverStep("card", upstream, card, needs_runner=False))
    steps.append(
        DriverStep("summary", _chain(upstream, "summary"), _summary, dict, needs_runner=False)
    )
    return steps


def _barrier(name: str, section: Any) -> Callable[[UnitContext], Any]:
    if name == "dedup":
        from curate.dedup import run_dedup as fn
    elif name == "policy":
        from curate.policy import run_decisions as fn
    else:
        from curate.mix import run_mix as fn
    return lambda ctx: fn(ctx.run, section, ctx.runner)


def _dedup_counters(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "files": report.get("exact", report.get("near", {})).get("docs", 0),
        "exact_dropped": report.get("exact", {}).get("dropped", 0),
        "near_dropped": report.get("near", {}).get("dropped", 0),
    }


def _policy_counters(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "files": report["documents"],
        "kept": report["kept"],
        "dropped": report["documents"] - report["kept"],
    }


def _mixture_counters(manifest: dict[str, Any]) -> dict[str, Any]:
    totals = manifest.get("totals", {})
    return {
        "files": totals.get("rows", 0),
        "bytes": totals.get("content_bytes", 0),
        "tokens": totals.get("tokens", 0),
    }


_COUNTERS = {"dedup": _dedup_counters, "policy": _policy_counters, "mixture": _mixture_counters}
_TASK_MODULES = {
    "dedup": ("curate.dedup.exact", "curate.dedup.near"),
    "policy": ("curate.policy.decisions",),
    "mixture": ("curate.mix.mixer",),
}
"""The modules of each whole-run step's tasks (its workers import them while started early)."""


def _card(card_cfg: Any, source_text: str) -> Callable[[UnitContext], Any]:
    def write(ctx: UnitContext) -> dict[str, Any]:
        from curate.card import write_card

        return {"path": str(write_card(ctx.run, card_cfg, source_text))}

    return write


def _summary(ctx: UnitContext) -> dict[str, Any]:
    """``stats/summary.json``: the tables' totals and every step's counters."""
    from curate.stats import write_summary

    data = write_summary(ctx.run)
    return {"documents": data["documents"], "skipped": data["skipped"]}


class _LazyRunner:
    """Starts the configured runner only when there is work (Ray takes seconds to start), or
    takes the one ``started`` in the background, and can end it in the background (Ray's
    shutdown waits ~1 s for its processes)."""

    def __init__(
        self,
        cfg: PipelineConfig,
        run: RunDir,
        given: Runner | None,
        started: RunnerThread | None = None,
    ):
        self._cfg, self._run, self._runner = cfg, run, given
        self._started = None if given is not None else started
        self._closed = False

    def get(self) -> Runner:
        if self._closed:
            raise RuntimeError("the runner was closed: a step that uses it has needs_runner=False")
        if self._runner is None:
            if self._started is None:
                c = self._cfg.run
                self._started = RunnerThread(
                    lambda: make_runner(
                        c.runner,
                        address=c.address,
                        workers=c.workers,
                        temp_dir=self._run.tmp / "ray",
                        dashboard=c.dashboard,
                    )
                )
            self._runner = self._started.get()
        return self._runner

    def close(self, *, wait: bool = True) -> None:
        """Close the runner this object started or was handed started (in the thread that
        built it); ``wait=False`` returns at once, and a later ``close()`` waits."""
        self._closed = True
        if self._started is not None:
            self._started.close(wait=wait)


def ingest_only(cfg: PipelineConfig, runner: Runner | None = None) -> RunReport:
    """``curate ingest``: the shard segment with no annotators and no barrier steps."""
    bare = PipelineConfig(cfg.run, cfg.ingest, (), {}, cfg.source_text, cfg.source_path)
    return run_pipeline(bare, runner)


__all__ = [
    "INGEST_STEP",
    "RunReport",
    "ingest_only",
    "pipeline_steps",
    "plan",
    "run_lock",
    "run_pipeline",
]
