"""Turn a ``PolicyConfig`` into polars expressions and apply them to an annotated frame.

Output columns: ``rule_<name>`` (True = passed; null only for an optional rule whose columns
are absent), ``keep`` (all evaluated rules passed), ``drop_rule`` and ``drop_reason`` (the first
failing rule in policy order and its reason text).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import polars as pl

from curate.errors import ConfigError
from curate.policy.config import OverrideConfig, PolicyConfig, RuleConfig
from curate.policy.expr import compile_expr, replace_threshold

DERIVED = ("extension", "filename")
"""Columns the policy derives from ``path`` when absent: lower-case ``.ext`` and base name."""


def with_derived(frame: pl.LazyFrame) -> pl.LazyFrame:
    names = frame.collect_schema().names()
    if "path" not in names:
        return frame
    extra = []
    if "extension" not in names:
        extra.append(
            pl.col("path").str.extract(r"(\.[^./]+)$").str.to_lowercase().alias("extension")
        )
    if "filename" not in names:
        extra.append(pl.col("path").str.extract(r"([^/]*)$").alias("filename"))
    return frame.with_columns(extra) if extra else frame


@dataclass(frozen=True)
class CompiledRule:
    name: str
    passed: pl.Expr | None
    """None: optional rule whose columns are missing (not evaluated)."""
    reason: pl.Expr
    columns: frozenset[str]
    skipped_missing: tuple[str, ...] = ()


def _override_condition(ov: OverrideConfig) -> pl.Expr:
    cond = pl.lit(False)
    if ov.languages:
        cond = cond | pl.col("language").str.to_lowercase().is_in(
            [x.lower() for x in ov.languages]
        ).fill_null(False)
    if ov.extensions:
        cond = cond | pl.col("extension").is_in(ov.extensions).fill_null(False)
    if ov.filenames:
        cond = cond | pl.col("filename").is_in(ov.filenames).fill_null(False)
    return cond


def override_columns(ov: OverrideConfig) -> set[str]:
    return {
        name
        for name, used in (
            ("language", ov.languages),
            ("extension", ov.extensions),
            ("filename", ov.filenames),
        )
        if used
    }


def override_expr(rule: RuleConfig, ov: OverrideConfig) -> str | None:
    """The expression a rule has under an override (None: disabled)."""
    if ov.disable:
        return None
    if ov.expr is not None:
        return ov.expr
    if ov.threshold is not None:
        return replace_threshold(rule.name, rule.expr, ov.threshold)
    return rule.expr


def reason_expr(
    rule: RuleConfig, schema: dict[str, pl.DataType] | None = None
) -> tuple[pl.Expr, set[str]]:
    """Compile a reason template: ``{col}`` becomes the column's value (floats rounded to 3
    digits, or ``{col:.Nf}`` digits), ``null`` when missing."""
    template = rule.reason or rule.name
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as err:
        raise ConfigError(
            f"policy rule {rule.name!r}: bad reason template {template!r}: {err}"
        ) from None
    parts: list[pl.Expr] = []
    columns: set[str] = set()
    for literal, field, spec, _ in parsed:
        if literal:
            parts.append(pl.lit(literal))
        if field is None:
            continue
        if not field.isidentifier():
            raise ConfigError(
                f"policy rule {rule.name!r}: bad field {{{field}}} in reason {template!r}"
            )
        columns.add(field)
        value = pl.col(field)
        dtype = (schema or {}).get(field)
        if dtype is not None and dtype.is_float():
            digits = int(spec[1:].rstrip("f")) if spec and spec[1:].rstrip("f").isdigit() else 3
            value = value.round(digits)
        parts.append(value.cast(pl.String).fill_null("null"))
    if not parts:
        return pl.lit(""), columns
    return pl.concat_str(parts), columns


def compile_rule(
    rule: RuleConfig, overrides: list[OverrideConfig], schema: dict[str, pl.DataType] | None
) -> CompiledRule:
    """Compile a rule and the overrides that apply to it into one pass/fail expression.

    ``schema``: the frame's columns and types; None skips the presence check."""
    available = set(schema) if schema is not None else None
    base = compile_expr(rule.name, rule.expr, rule.params)
    columns = set(base.columns)
    branches: list[tuple[pl.Expr, pl.Expr]] = []
    for ov in overrides:
        if ov.rule != rule.name:
            continue
        columns |= override_columns(ov)
        source = override_expr(rule, ov)
        if source is None:
            branches.append((_override_condition(ov), pl.lit(True)))
            continue
        compiled = compile_expr(rule.name, source, {**rule.params, **ov.params})
        columns |= compiled.columns
        branches.append((_override_condition(ov), compiled.expr))
    reason, reason_cols = reason_expr(rule, schema)
    if available is not None:
        missing = sorted((columns | reason_cols) - available)
        if missing:
            if rule.optional:
                return CompiledRule(rule.name, None, reason, frozenset(columns), tuple(missing))
            raise ConfigError(
                f"policy rule {rule.name!r} reads column(s) {', '.join(missing)} that no table of "
                "this run provides (run the annotator that adds them, or set optional = true)"
            )
    expr = base.expr
    if branches:
        chain = pl.when(branches[0][0]).then(branches[0][1])
        for cond, value in branches[1:]:
            chain = chain.when(cond).then(value)
        expr = chain.otherwise(base.expr)
    passed = expr.cast(pl.Boolean).fill_null(rule.on_null == "pass")
    return CompiledRule(rule.name, passed, reason, frozenset(columns | reason_cols))


def compile_policy(
    cfg: PolicyConfig, schema: dict[str, pl.DataType] | None = None
) -> list[CompiledRule]:
    overrides = cfg.effective_overrides()
    return [compile_rule(r, overrides, schema) for r in cfg.rules if r.enabled]


def decision_exprs(rules: list[CompiledRule]) -> list[pl.Expr]:
    """Columns ``rule_<name>``, ``keep``, ``drop_rule``, ``drop_reason`` (in that order)."""
    evaluated = [r for r in rules if r.passed is not None]
    out = [
        (r.passed if r.passed is not None else pl.lit(None, pl.Boolean)).alias(f"rule_{r.name}")
        for r in rules
    ]
    keep = pl.all_horizontal([r.passed for r in evaluated]) if evaluated else pl.lit(True)
    if evaluated:
        first = evaluated[0]
        drop_rule = pl.when(~first.passed).then(pl.lit(first.name))
        drop_reason = pl.when(~first.passed).then(first.reason)
        for r in evaluated[1:]:
            drop_rule = drop_rule.when(~r.passed).then(pl.lit(r.name))
            drop_reason = drop_reason.when(~r.passed).then(r.reason)
        drop_rule = drop_rule.otherwise(pl.lit(None, pl.String))
        drop_reason = drop_reason.otherwise(pl.lit(None, pl.String))
    else:
        drop_rule = drop_reason = pl.lit(None, pl.String)
    return [
        *out,
        keep.alias("keep"),
        drop_rule.alias("drop_rule"),
        drop_reason.alias("drop_reason"),
    ]


def decide(frame: pl.LazyFrame | pl.DataFrame, cfg: PolicyConfig) -> pl.LazyFrame:
    """``frame`` plus the decision columns. Raises ConfigError for rules over absent columns."""
    lazy = with_derived(frame.lazy())
    rules = compile_policy(cfg, dict(lazy.collect_schema()))
    return lazy.with_columns(decision_exprs(rules))
