"""Run statistics: per-shard numbers merged by addition, and summaries computed from tables."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import polars as pl

from curate.engine.stats import merge_counts
from curate.inspect import Run, open_run
from curate.rundir import RunDir, write_json_atomic

__all__ = ["merge_counts", "step_counters", "step_table", "summary", "write_summary"]


def step_counters(run: RunDir) -> dict[str, dict[str, Any]]:
    """Every step's merged counters (``stats/steps/<step>.json``), by step name."""
    out: dict[str, dict[str, Any]] = {}
    folder = run.stats / "steps"
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "step" in data:
            out[data["step"]] = data.get("counters", {})
    return out


STEP_ORDER = ("ingest", "annotate", "dedup", "policy", "mixture", "card", "summary")


def step_table(
    counters: dict[str, dict[str, Any]], *, sub_steps: bool = False
) -> list[dict[str, Any]]:
    """One row per step in pipeline order, one row per annotator under ``annotate``, and with
    ``sub_steps`` the phases of a whole-run step under it (their time is part of the parent's;
    the rounds of an iteration such as ``dedup/near/cc/r003-ls`` are merged into one row)."""

    def rank(name: str) -> tuple[int, str]:
        top = name.split("/")[0]
        return (STEP_ORDER.index(top) if top in STEP_ORDER else len(STEP_ORDER), name)

    merged: dict[str, dict[str, Any]] = {}
    for name, c in counters.items():
        if "/" in name and not sub_steps:
            continue
        key = _ROUND.sub("", name)
        merged[key] = merge_counts([merged.get(key, {}), c])
    rows = []
    for name in sorted(merged, key=rank):
        c = merged[name]
        rows.append(_row("  " * name.count("/") + name, c))
        if name == "annotate":
            for key, sub in sorted(c.items()):
                if isinstance(sub, dict) and "cpu_s" in sub:
                    rows.append(_row(f"  {key}", sub))
    return rows


_ROUND = re.compile(r"/r\d+-\w+$")


def _row(name: str, c: dict[str, Any]) -> dict[str, Any]:
    mb = float(c.get("bytes", 0)) / 2**20
    cpu = float(c.get("cpu_s", 0.0))
    return {
        "step": name,
        "units": int(c.get("units", 0)),
        "files": int(c.get("files", c.get("documents", 0))),
        "mb": round(mb, 2),
        "cpu_s": round(cpu, 3),
        "wall_s": round(float(c.get("wall_s", 0.0)), 3),
        "mb_per_cpu_s": round(mb / cpu, 2) if cpu > 0 and mb > 0 else None,
        "max_rss_mb": c.get("max_rss_mb"),  # peak over the step's units (None if not recorded)
    }


def redacted_repo_names(run: Run) -> dict[str, str]:
    """Repository names in which the secrets annotator found a secret -> the name with the
    secret redacted plus a short hash of the original (so names stay distinct): what the
    statistics show instead, since nothing outside ``documents/`` may hold a secret."""
    from curate.hashing import value_hash
    from curate.mix.redact import apply_redactions

    if not any(k.split("@")[0] == "secrets" for k in run.attribute_keys()):
        return {}
    spans = run.attributes("secrets")
    if "secret_metadata_spans" not in spans.collect_schema().names():
        return {}
    flagged = (
        spans.select("doc_uid", "secret_metadata_spans")
        .explode("secret_metadata_spans")
        .unnest("secret_metadata_spans")
        .filter(pl.col("field") == "repo")
        .join(run.documents.select("doc_uid", "repo"), on="doc_uid")
        .select("repo", "start", "end", "kind")
        .unique()
        .collect()
    )
    return {
        name: f"{apply_redactions(name, group.to_dicts())}~{value_hash(name)[:8]}"
        for (name,), group in flagged.group_by("repo")
    }


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
    hidden = redacted_repo_names(run)
    if hidden:
        by_repo = by_repo.with_columns(pl.col("repo").replace(hidden))
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
    steps = step_counters(run.dir)
    ingest = steps.get("ingest", {})
    out: dict[str, Any] = {
        "run": str(run.root),
        "shards": run.manifest.select(pl.len()).collect().item(),
        "documents": int(by_language["files"].sum()) if by_language.height else 0,
        "document_bytes": int(by_language["bytes"].sum()) if by_language.height else 0,
        "skipped": int(by_reason["files"].sum()) if by_reason.height else 0,
        # Skip rows that count no file (files == 0): a whole archive or export that could not be
        # read, a truncated archive's tail, an empty input folder.
        "skipped_uncounted": int(
            skipped.filter(pl.col("files") == 0).select(pl.len()).collect().item()
        ),
        "ingest_seconds": round(float(ingest.get("wall_s", 0.0)), 3),
        "steps": steps,
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
