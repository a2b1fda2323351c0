"""Run a pipeline recipe end to end: plan shards, run the per-shard segment, then the barrier
steps (dedup, decisions, mixing) and the summaries (stats, card).

Everything is resumable: per-shard work is skipped when its marker matches, and each barrier step
keeps its own markers. Running the same recipe twice on the same output does no work the
second time.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import logging
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate.config import PipelineConfig
from curate.engine import markers
from curate.engine.annotator import REGISTRY
from curate.engine.runner import Runner, make_runner
from curate.engine.segment import (
    INGEST_STEP,
    ShardResult,
    ShardTask,
    annotate_step,
    run_shard,
)
from curate.engine.shards import ShardSpec, plan_shards
from curate.errors import UserError
from curate.rundir import RunDir, write_table_atomic
from curate.schema import MANIFEST, SKIPPED

log = logging.getLogger(__name__)

DISCOVERY_SHARD = "discovery"
_SHARD_FILE = re.compile(r"^[0-9a-f]{16}\.parquet$")


@dataclass(frozen=True)
class BarrierStep:
    """A step over all shards, enabled when its recipe section is present."""

    section: str
    target: str  # "module:function", called as fn(run, section_config, runner)


BARRIER_STEPS: tuple[BarrierStep, ...] = (
    BarrierStep("dedup", "curate.dedup:run_dedup"),
    BarrierStep("policy", "curate.policy:run_decisions"),
    BarrierStep("mixture", "curate.mix:run_mix"),
)


@dataclass
class RunReport:
    run_dir: Path
    shards: int = 0
    shards_ingested: int = 0
    shards_annotated: int = 0
    steps: dict[str, float] = field(default_factory=dict)
    barriers_run: list[str] = field(default_factory=list)

    @property
    def did_work(self) -> bool:
        return bool(self.shards_ingested or self.shards_annotated or self.barriers_run)


def _chain(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


def _resolve(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


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
    shards = plan_shards(sources, cfg.run.shard_target_bytes)
    manifest = pa.table(
        {
            "shard_id": [s.shard_id for s in shards],
            "source_uris": [[src.uri for src in s.sources] for s in shards],
            "source_kinds": [[src.kind for src in s.sources] for s in shards],
            "input_bytes": [s.input_bytes for s in shards],
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
                path.unlink()


def run_pipeline(cfg: PipelineConfig, runner: Runner | None = None) -> RunReport:
    if not cfg.run.output:
        raise UserError("no output: pass --output RUN (or set run.output in the recipe)")
    run = RunDir.at(cfg.run.output)
    run.root.mkdir(parents=True, exist_ok=True)
    with _exclusive(run):
        return _run_locked(cfg, run, runner)


@contextmanager
def _exclusive(run: RunDir) -> Iterator[None]:
    """One writer per run directory: a second concurrent run fails fast instead of racing."""
    with open(run.root / ".lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"{run.root}: in use by another curate run") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_locked(cfg: PipelineConfig, run: RunDir, runner: Runner | None) -> RunReport:
    if cfg.source_text and (
        not run.config_copy.is_file() or run.config_copy.read_text() != cfg.source_text
    ):
        run.config_copy.write_text(cfg.source_text)
    report = RunReport(run.root)

    started = time.perf_counter()
    shards = plan(cfg, run)
    report.shards = len(shards)
    report.steps["plan"] = time.perf_counter() - started

    tasks = [_task(cfg, run, s) for s in shards]
    stale = [t for t in tasks if not _shard_done(run, t)]
    runners = _LazyRunner(cfg, run, runner)
    try:
        if stale:
            started = time.perf_counter()
            results = runners.get().map(
                run_shard, stale, desc="shards", progress=ShardResult.progress
            )
            report.shards_ingested = sum(r.ingested for r in results)
            report.shards_annotated = sum(bool(r.annotated) for r in results)
            report.steps["shards"] = time.perf_counter() - started

        # Each barrier step's fingerprint chains its own config with everything upstream, so a
        # step reruns exactly when its inputs or its config changed.
        upstream = _chain("shards", *sorted(t.fingerprint() for t in tasks))
        for step in BARRIER_STEPS:
            section = cfg.section(step.section)
            if section is None or not getattr(section, "enabled", True):
                continue
            upstream = _chain(upstream, step.section, cfg.fingerprint(step.section))
            if markers.is_done(run, f"barrier/{step.section}", "all", upstream):
                continue
            started = time.perf_counter()
            _resolve(step.target)(run, section, runners.get())
            markers.mark_done(run, f"barrier/{step.section}", "all", upstream)
            report.steps[step.section] = time.perf_counter() - started
            report.barriers_run.append(step.section)
    finally:
        runners.close()

    summary_fp = _chain(upstream, "summary", cfg.fingerprint("card"))
    if not markers.is_done(run, "summary", "all", summary_fp):
        from curate.stats import write_summary

        write_summary(run)
        card_cfg = cfg.section("card")
        if card_cfg is not None and getattr(card_cfg, "enabled", True):
            _resolve("curate.card:write_card")(run, card_cfg, cfg.source_text)
        markers.mark_done(run, "summary", "all", summary_fp)
    shutil.rmtree(run.tmp, ignore_errors=True)
    return report


def _shard_done(run: RunDir, task: ShardTask) -> bool:
    sid = task.shard.shard_id
    return markers.is_done(run, INGEST_STEP, sid, task.ingest_fingerprint) and all(
        markers.is_done(run, annotate_step(key), sid, fp) for _, key, _, fp in task.annotators
    )


class _LazyRunner:
    """Starts the configured runner only when there is work (Ray takes seconds to start)."""

    def __init__(self, cfg: PipelineConfig, run: RunDir, given: Runner | None):
        self._cfg, self._run, self._runner, self._owned = cfg, run, given, False

    def get(self) -> Runner:
        if self._runner is None:
            c = self._cfg.run
            self._runner = make_runner(
                c.runner, address=c.address, workers=c.workers, temp_dir=self._run.tmp / "ray"
            )
            self._owned = True
        return self._runner

    def close(self) -> None:
        if self._owned and self._runner is not None:
            self._runner.close()


def ingest_only(cfg: PipelineConfig, runner: Runner | None = None) -> RunReport:
    """``curate ingest``: the shard segment with no annotators and no barrier steps."""
    bare = PipelineConfig(cfg.run, cfg.ingest, (), {}, cfg.source_text, cfg.source_path)
    return run_pipeline(bare, runner)


def _task(cfg: PipelineConfig, run: RunDir, shard: ShardSpec) -> ShardTask:
    ingest_fp = cfg.fingerprint("ingest") + ":" + shard.shard_id
    annotators = tuple(
        (name, key, acfg, f"{key}:{cfg.fingerprint(f'annotators.{name}')}:{ingest_fp}")
        for name, acfg in cfg.annotators
        for key in (REGISTRY[name].key(),)
    )
    return ShardTask(
        run_root=str(run.root),
        shard=shard,
        ingest_cfg=cfg.ingest,
        ingest_fingerprint=ingest_fp,
        annotators=annotators,
        batch_rows=cfg.run.batch_rows,
        batch_bytes=cfg.run.batch_bytes,
        annotate_batch_bytes=cfg.run.annotate_batch_bytes,
    )


__all__ = ["INGEST_STEP", "RunReport", "ingest_only", "plan", "run_pipeline"]
