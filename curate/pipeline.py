"""Run a pipeline recipe end to end: plan shards, run the per-shard segment, then the barrier
steps (dedup, decisions, mixing) and the summaries (stats, card).

Everything is resumable: per-shard work is skipped when its marker matches, and each barrier step
keeps its own markers. Running the same recipe twice on the same output does no work the
second time.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from curate.config import PipelineConfig
from curate.engine import markers
from curate.engine.annotator import REGISTRY
from curate.engine.runner import Runner, make_runner
from curate.engine.segment import INGEST_STEP, ShardResult, ShardTask, run_shard
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
    write_table_atomic(manifest, run.manifest)
    rows = [{**r.__dict__, "shard_id": DISCOVERY_SHARD} for r in skips]
    write_table_atomic(
        pa.Table.from_pylist(rows, schema=SKIPPED), RunDir.shard_file(run.skipped, DISCOVERY_SHARD)
    )
    _remove_orphans(run, {s.shard_id for s in shards})
    _remove_stale_temp_files(run)
    return shards


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
    if cfg.source_text:
        run.config_copy.write_text(cfg.source_text)
    report = RunReport(run.root)

    started = time.perf_counter()
    shards = plan(cfg, run)
    report.shards = len(shards)
    report.steps["plan"] = time.perf_counter() - started

    own_runner = runner is None
    if runner is None:
        runner = make_runner(
            cfg.run.runner,
            address=cfg.run.address,
            workers=cfg.run.workers,
            temp_dir=run.tmp / "ray",
        )
    try:
        started = time.perf_counter()
        tasks = [_task(cfg, run, s) for s in shards]
        results = runner.map(
            run_shard,
            tasks,
            desc="shards",
            progress=ShardResult.progress,
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
            _resolve(step.target)(run, section, runner)
            markers.mark_done(run, f"barrier/{step.section}", "all", upstream)
            report.steps[step.section] = time.perf_counter() - started
            report.barriers_run.append(step.section)
    finally:
        if own_runner:
            runner.close()

    from curate.stats import write_summary

    write_summary(run, [r for r in results if isinstance(r, ShardResult)])
    card_cfg = cfg.section("card")
    if card_cfg is not None and getattr(card_cfg, "enabled", True):
        _resolve("curate.card:write_card")(run, card_cfg, cfg.source_text)
    shutil.rmtree(run.tmp, ignore_errors=True)
    return report


def ingest_only(cfg: PipelineConfig, runner: Runner | None = None) -> RunReport:
    """``curate ingest``: the shard segment with no annotators and no barrier steps."""
    bare = PipelineConfig(cfg.run, cfg.ingest, (), {}, cfg.source_text, cfg.source_path)
    return run_pipeline(bare, runner)


def _task(cfg: PipelineConfig, run: RunDir, shard: ShardSpec) -> ShardTask:
    ingest_fp = cfg.fingerprint("ingest") + ":" + shard.shard_id
    annotators = tuple(
        (name, REGISTRY[name].key(), acfg, cfg.fingerprint(f"annotators.{name}") + ":" + ingest_fp)
        for name, acfg in cfg.annotators
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
