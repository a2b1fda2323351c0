"""Run statistics: per-shard numbers merged by addition, and summaries computed from tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import polars as pl

from curate.engine import markers
from curate.engine.segment import INGEST_STEP
from curate.inspect import Run, open_run
from curate.rundir import RunDir, write_json_atomic


def merge_counts(items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Add per-shard stats dicts: numbers are summed, nested dicts merged recursively."""
    merged: dict[str, Any] = {}
    for item in items:
        for key, value in item.items():
            if isinstance(value, dict):
                merged[key] = merge_counts([merged.get(key, {}), value])
            elif isinstance(value, int | float):
                merged[key] = merged.get(key, 0) + value
    return merged


def _shard_ids(run: Run) -> list[str]:
    return run.manifest.select("shard_id").collect().to_series().to_list()


def summary(run: Run, *, rules_by_language: bool = False) -> dict[str, Any]:
    """What `curate stats` prints: totals, by language, by repo, skips by reason."""
    docs = run.documents.select("repo", "language", "size_bytes")
    skipped = run.skipped.select("reason", "size_bytes", "files")
    by_language = (
        docs.group_by(pl.col("language").fill_null("unknown"))
        .agg(files=pl.len(), bytes=pl.col("size_bytes").sum())
        .sort(["bytes", "language"], descending=[True, False])
        .collect()
    )
    by_repo = (
        docs.group_by("repo")
        .agg(files=pl.len(), bytes=pl.col("size_bytes").sum())
        .sort(["bytes", "repo"], descending=[True, False])
        .collect()
    )
    by_reason = (
        skipped.group_by("reason")
        .agg(
            files=pl.col("files").sum(),
            rows=pl.len(),
            bytes=pl.col("size_bytes").fill_null(0).sum(),
        )
        .sort(["files", "reason"], descending=[True, False])
        .collect()
    )
    shard_stats = [
        (m or {}).get("stats", {})
        for m in (markers.read_marker(run.dir, INGEST_STEP, s) for s in _shard_ids(run))
    ]
    merged = merge_counts(shard_stats)
    out: dict[str, Any] = {
        "run": str(run.root),
        "shards": len(shard_stats),
        "documents": int(by_language["files"].sum()) if by_language.height else 0,
        "document_bytes": int(by_language["bytes"].sum()) if by_language.height else 0,
        "skipped": int(by_reason["files"].sum()) if by_reason.height else 0,
        # Skip rows that count no file (files == 0): a whole archive or export that could not be
        # read, a truncated archive's tail, an empty input folder.
        "skipped_uncounted": int(
            skipped.filter(pl.col("files") == 0).select(pl.len()).collect().item()
        ),
        "ingest_seconds": round(merged.get("seconds", 0.0), 3),
        "by_language": by_language.to_dicts(),
        "by_repo": by_repo.to_dicts(),
        "skipped_by_reason": by_reason.to_dicts(),
    }
    for policy in run.policies():
        from curate.policy.stats import policy_stats

        decisions = run.decisions(policy).select("keep", "drop_reason").collect()
        reasons = Counter(
            r.split("(")[0] for r in decisions.filter(~pl.col("keep"))["drop_reason"].to_list() if r
        )
        out.setdefault("policies", {})[policy] = {
            "kept": int(decisions["keep"].sum()),
            "dropped": int((~decisions["keep"]).sum()),
            "dropped_by_reason": dict(reasons.most_common()),
            "rules": policy_stats(run.dir, policy, by=None).to_dicts(),
            "rules_by_language": (
                policy_stats(run.dir, policy, by="language")
                .filter(pl.col("files_failing") > 0)
                .to_dicts()
                if rules_by_language
                else None
            ),
        }
    return out


def write_summary(run_dir: RunDir) -> dict[str, Any]:
    data = summary(open_run(run_dir.root))
    write_json_atomic(data, run_dir.stats / "summary.json")
    return data
