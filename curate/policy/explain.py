"""Explain one document: its signals and, rule by rule, the expression that applied to it (after
per-language overrides), whether it passed, and the reason text."""

from __future__ import annotations

from typing import Any

import polars as pl

from curate.policy.config import OverrideConfig, PolicyConfig
from curate.policy.evaluate import compile_policy, decision_exprs, override_expr, with_derived
from curate.policy.frame import annotated, find_shard
from curate.rundir import RunDir


def _matches(ov: OverrideConfig, row: dict[str, Any]) -> bool:
    language = (row.get("language") or "").lower()
    return (
        language in {x.lower() for x in ov.languages}
        or (row.get("extension") or None) in ov.extensions
        or (row.get("filename") or None) in ov.filenames
    )


def explain_frame(
    frame: pl.LazyFrame | pl.DataFrame, doc_uid: str, cfg: PolicyConfig
) -> dict[str, Any]:
    lazy = with_derived(frame.lazy()).filter(pl.col("doc_uid") == doc_uid)
    schema = dict(lazy.collect_schema())
    rules = compile_policy(cfg, schema)
    row_frame = lazy.with_columns(decision_exprs(rules)).collect()
    if row_frame.height == 0:
        from curate.errors import UserError

        raise UserError(f"no document with doc_uid {doc_uid!r}")
    row = row_frame.row(0, named=True)
    overrides = cfg.effective_overrides()
    enabled = [r for r in cfg.rules if r.enabled]
    report = []
    for rule, compiled in zip(enabled, rules, strict=True):
        applied = next((ov for ov in overrides if ov.rule == rule.name and _matches(ov, row)), None)
        expr = rule.expr if applied is None else override_expr(rule, applied)
        passed = row[f"rule_{rule.name}"]
        report.append(
            {
                "rule": rule.name,
                "expr": expr if expr is not None else "(disabled for this file)",
                "params": {**rule.params, **(applied.params if applied else {})},
                "override": applied.why or "yes" if applied else None,
                "passed": passed,
                "status": "skipped (columns absent)"
                if passed is None
                else ("pass" if passed else "FAIL"),
                "values": {c: row.get(c) for c in sorted(compiled.columns)},
            }
        )
    meta = {
        "doc_uid",
        "path",
        "language",
        "size_bytes",
        "repo",
        "ref",
        "encoding",
        "source_uri",
        "shard_id",
    }
    decision = {"keep", "drop_rule", "drop_reason"}
    signals = {
        k: v
        for k, v in row.items()
        if k not in meta and k not in decision and not k.startswith("rule_") and k != "content"
    }
    return {
        **{
            k: row.get(k) for k in ("doc_uid", "repo", "path", "language", "size_bytes", "shard_id")
        },
        "keep": row["keep"],
        "drop_rule": row["drop_rule"],
        "drop_reason": row["drop_reason"],
        "rules": report,
        "signals": signals,
    }


def explain(run: RunDir, doc_uid: str, cfg: PolicyConfig) -> dict[str, Any]:
    """Signals and rule-by-rule results of ``doc_uid``; adds the stored decision if present."""
    shard = find_shard(run, doc_uid)
    out = explain_frame(annotated(run, shard=shard, attributes=cfg.attributes), doc_uid, cfg)
    stored = run.shard_file(run.decisions(cfg.name), shard)
    if stored.exists():
        hit = pl.read_parquet(stored).filter(pl.col("doc_uid") == doc_uid)
        if hit.height:
            out["stored_decision"] = {"keep": hit["keep"][0], "drop_reason": hit["drop_reason"][0]}
    return out
