"""The decisions barrier step: evaluate a policy on every shard and write
``RUN/decisions/<policy>/<shard>.parquet`` (``doc_uid``, ``keep``, ``drop_reason``, ``drop_rule``,
``rule_<name>``...). Reads documents metadata and attributes only, never content."""

from __future__ import annotations

import logging
from typing import Any

import polars as pl

from curate.engine import worker_cache
from curate.engine.runner import Runner
from curate.policy.config import PolicyConfig
from curate.policy.evaluate import compile_policy, decision_exprs, with_derived
from curate.policy.frame import annotated
from curate.rundir import RunDir, write_table_atomic

log = logging.getLogger(__name__)


def decide_shard(run: RunDir, cfg: PolicyConfig, shard: str) -> pl.DataFrame:
    """Decisions of one shard, in documents order."""
    frame = with_derived(annotated(run, shard=shard, attributes=cfg.attributes))
    out = frame.select("doc_uid", *_decision_exprs(cfg, dict(frame.collect_schema()))).collect()
    return out.select(
        "doc_uid",
        "keep",
        "drop_reason",
        "drop_rule",
        *(c for c in out.columns if c.startswith("rule_")),
    )


def _decision_exprs(cfg: PolicyConfig, schema: dict[str, pl.DataType]) -> list[pl.Expr]:
    """The policy's decision columns compiled for ``schema``, once per process and schema: a
    run's shards share their columns, and compiling the rules (expressions, overrides, reason
    templates) took more CPU than evaluating them on a shard. A ``ConfigError`` is not kept."""
    key = (
        "policy.decision_exprs",
        cfg.model_dump_json(),
        tuple((name, str(dtype)) for name, dtype in schema.items()),
    )
    return worker_cache.get_or_create(key, lambda: decision_exprs(compile_policy(cfg, schema)))


def _config(cfg_json: str) -> PolicyConfig:
    """The task's policy, validated once per process (validation compiles every rule too)."""
    return worker_cache.get_or_create(
        ("policy.config", cfg_json), lambda: PolicyConfig.model_validate_json(cfg_json)
    )


def _shard_task(item: tuple[RunDir, str, str]) -> dict[str, int | str]:
    run, cfg_json, shard = item
    cfg = _config(cfg_json)
    out = decide_shard(run, cfg, shard)
    write_table_atomic(out.to_arrow(), run.shard_file(run.decisions(cfg.name), shard))
    kept = int(out["keep"].sum())
    return {"shard": shard, "documents": out.height, "kept": kept}


def run_decisions(run: RunDir, cfg: PolicyConfig, runner: Runner) -> dict[str, Any]:
    """Evaluate ``cfg`` over every shard of ``run`` (one task per shard through ``runner``);
    returns the resolved policy and the counts (kept in ``stats/steps/policy.json``)."""
    shards = run.shard_ids()
    if shards:
        # Fail fast, before any task: compile against the first shard's columns.
        frame = with_derived(annotated(run, shard=shards[0], attributes=cfg.attributes))
        _decision_exprs(cfg, dict(frame.collect_schema()))
    items = [(run, cfg.model_dump_json(), s) for s in shards]
    results = runner.map(_shard_task, items, desc=f"decisions[{cfg.name}]")
    total = sum(int(r["documents"]) for r in results)
    kept = sum(int(r["kept"]) for r in results)
    log.info("policy %s: kept %d of %d documents", cfg.name, kept, total)
    return {
        "policy": cfg.model_dump(mode="json"),
        "shards": results,
        "documents": total,
        "kept": kept,
    }
