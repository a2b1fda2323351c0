"""What-if analysis: the effect of a policy change, from stored attributes only (no recompute).

``--set`` keys (``RULE.KEY=VALUE``):

- ``RULE.threshold=V``: replace the rule's only number (e.g. ``max_line_length <= 1000``)
- ``RULE.<param>=V``: set a named parameter of the rule (``params`` in the TOML)
- ``RULE.expr=EXPR``: replace the expression
- ``RULE.enabled=false`` / ``RULE.on_null=fail`` / ``RULE.optional=true``
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl
from pydantic import ValidationError

from curate.errors import ConfigError
from curate.policy.config import PolicyConfig, RuleConfig, _format_validation
from curate.policy.evaluate import compile_policy, decision_exprs, with_derived
from curate.policy.expr import replace_threshold
from curate.policy.frame import annotated
from curate.rundir import RunDir


def _value(text: str) -> int | float | str | bool | None:
    lowered = text.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered in {"none", "null"}:
        return None
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, int | float | str) else text


def parse_sets(sets: Iterable[str] | Mapping[str, object]) -> dict[str, object]:
    if isinstance(sets, Mapping):
        return dict(sets)
    out: dict[str, object] = {}
    for item in sets:
        key, sep, value = item.partition("=")
        if not sep or "." not in key:
            raise ConfigError(
                f"--set {item!r}: expected RULE.KEY=VALUE (e.g. max_line_length.threshold=2000)"
            )
        out[key.strip()] = _value(value)
    return out


def apply_sets(cfg: PolicyConfig, sets: Iterable[str] | Mapping[str, object]) -> PolicyConfig:
    """A copy of ``cfg`` with the ``--set`` changes applied."""
    rules = {r.name: r for r in cfg.rules}
    for key, value in parse_sets(sets).items():
        name, _, attr = key.partition(".")
        if name not in rules:
            raise ConfigError(
                f"--set {key}: policy {cfg.name!r} has no rule {name!r} (rules: {', '.join(rules)})"
            )
        rule = rules[name]
        if attr == "threshold":
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"--set {key}: threshold must be a number, got {value!r}")
            if len(rule.params) == 1:
                rule = rule.model_copy(update={"params": {next(iter(rule.params)): value}})
            else:
                rule = rule.model_copy(update={"expr": replace_threshold(name, rule.expr, value)})
        elif attr in {"expr", "reason"}:
            rule = rule.model_copy(update={attr: str(value)})
        elif attr in {"enabled", "optional"}:
            if not isinstance(value, bool):
                raise ConfigError(f"--set {key}: expected true or false, got {value!r}")
            rule = rule.model_copy(update={attr: value})
        elif attr == "on_null":
            if value not in {"pass", "fail"}:
                raise ConfigError(f"--set {key}: expected pass or fail, got {value!r}")
            rule = rule.model_copy(update={attr: value})
        elif attr in rule.params:
            rule = rule.model_copy(update={"params": {**rule.params, attr: value}})
        else:
            raise ConfigError(
                f"--set {key}: rule {name!r} has no key {attr!r} "
                f"(use threshold, expr, reason, enabled, on_null, optional{', ' if rule.params else ''}"
                f"{', '.join(rule.params)})"
            )
        try:
            rules[name] = RuleConfig.model_validate(rule.model_dump())
        except ValidationError as err:
            raise ConfigError(_format_validation(err, f"--set {key}")) from None
    return cfg.model_copy(update={"rules": list(rules.values())})


@dataclass(frozen=True)
class WhatIf:
    by_language: pl.DataFrame
    """language, files, files_kept_before/after, bytes_kept_before/after, newly_dropped,
    newly_kept (files), bytes_newly_dropped, bytes_newly_kept."""
    flips: pl.DataFrame
    """A sample of documents whose decision changes, with both reasons."""
    totals: dict[str, int]


def _decide(frame: pl.LazyFrame, cfg: PolicyConfig, schema: dict) -> pl.LazyFrame:
    rules = compile_policy(cfg, schema)
    exprs = decision_exprs(rules)
    return frame.select(
        "doc_uid", *[e for e in exprs if e.meta.output_name() in {"keep", "drop_reason"}]
    )


def whatif_frame(
    frame: pl.LazyFrame | pl.DataFrame,
    before: PolicyConfig,
    after: PolicyConfig,
    *,
    sample: int = 10,
    seed: int = 0,
) -> WhatIf:
    """Compare two policies on an annotated frame (documents metadata + attributes)."""
    lazy = with_derived(frame.lazy())
    schema = dict(lazy.collect_schema())
    a = _decide(lazy, before, schema).rename(
        {"keep": "keep_before", "drop_reason": "reason_before"}
    )
    b = _decide(lazy, after, schema).rename({"keep": "keep_after", "drop_reason": "reason_after"})
    meta = lazy.select("doc_uid", "path", "language", pl.col("size_bytes").cast(pl.Int64))
    both = meta.join(a, on="doc_uid").join(b, on="doc_uid").collect()
    size = pl.col("size_bytes")
    lost = pl.col("keep_before") & ~pl.col("keep_after")
    gained = ~pl.col("keep_before") & pl.col("keep_after")
    by_language = (
        both.group_by("language")
        .agg(
            pl.len().cast(pl.Int64).alias("files"),
            pl.col("keep_before").sum().cast(pl.Int64).alias("files_kept_before"),
            pl.col("keep_after").sum().cast(pl.Int64).alias("files_kept_after"),
            size.filter(pl.col("keep_before")).sum().alias("bytes_kept_before"),
            size.filter(pl.col("keep_after")).sum().alias("bytes_kept_after"),
            lost.sum().cast(pl.Int64).alias("newly_dropped"),
            gained.sum().cast(pl.Int64).alias("newly_kept"),
            size.filter(lost).sum().alias("bytes_newly_dropped"),
            size.filter(gained).sum().alias("bytes_newly_kept"),
        )
        .sort("files", descending=True)
    )
    flipped = both.filter(lost | gained)
    flips = (
        flipped.sample(n=min(sample, flipped.height), seed=seed).sort("doc_uid")
        if sample > 0
        else flipped.head(0)
    )
    totals = {
        "files": both.height,
        "files_kept_before": int(both["keep_before"].sum()),
        "files_kept_after": int(both["keep_after"].sum()),
        "bytes_kept_before": int(both.filter("keep_before")["size_bytes"].sum()),
        "bytes_kept_after": int(both.filter("keep_after")["size_bytes"].sum()),
        "newly_dropped": int(both.select(lost.sum()).item()),
        "newly_kept": int(both.select(gained.sum()).item()),
    }
    return WhatIf(by_language=by_language, flips=flips, totals=totals)


def whatif(
    run: RunDir,
    cfg: PolicyConfig,
    sets: Iterable[str] | Mapping[str, object],
    *,
    sample: int = 10,
    seed: int = 0,
) -> WhatIf:
    """What ``sets`` would change relative to ``cfg`` on ``run``'s stored attributes."""
    frame = annotated(run, attributes=cfg.attributes)  # a bad run directory is reported first
    after = apply_sets(cfg, sets)
    return whatif_frame(frame, cfg, after, sample=sample, seed=seed)
