"""What a recipe's policy reads, checked against what its run will have, before any work.

``curate run`` refuses a recipe whose (non-optional) policy rule reads a column that nothing
provides — no documents column, no enabled annotator or dedup step of the recipe, no attribute
folder already in the run — instead of failing after ingest, annotate and dedup have run;
``curate check`` reports the same as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from curate.errors import ConfigError
from curate.rundir import RunDir


def provided_columns(cfg: Any, run: RunDir | None = None) -> set[str]:
    """Columns a run of ``cfg`` will have: documents metadata, the policy's derived columns,
    the declared outputs of every enabled annotator and dedup step, and the attribute columns
    already in ``run``."""
    from curate.dedup import exact, near, repos
    from curate.engine.annotator import REGISTRY
    from curate.schema import DOCUMENTS

    names = {*DOCUMENTS.names, "extension", "filename"}
    for name, section in cfg.annotators:
        if getattr(section, "enabled", True) and name in REGISTRY:
            names |= REGISTRY[name].provided_columns(section)
    dedup = cfg.section("dedup")
    if dedup is not None and dedup.enabled:
        names |= set(exact.SCHEMA.names) if dedup.exact.enabled else set()
        names |= set(near.SCHEMA.names) if dedup.near.enabled else set()
        names |= set(repos.SCHEMA.names) if dedup.near.enabled and dedup.near.repos else set()
    if run is not None and run.attributes_root.is_dir():
        names |= set(run.attribute_columns())
    return names


def read_columns(cfg: Any) -> set[str]:
    """Columns the recipe's later steps read: enabled policy rules and the expressions of its
    overrides (built-in ones included), mixture columns, the dedup keep column."""
    from curate.policy.expr import compile_expr

    names: set[str] = set()
    policy = cfg.section("policy")
    if policy is not None:
        for rule in policy.rules:
            if rule.enabled:
                names |= compile_expr(rule.name, rule.expr, rule.params).columns
        overrides = list(policy.overrides)
        if policy.builtin_overrides:
            from curate.policy.config import builtin_overrides

            overrides += builtin_overrides()
        for override in overrides:
            if override.expr is not None:
                names |= compile_expr(override.rule, override.expr, override.params).columns
    mixture = cfg.section("mixture")
    if mixture is not None:
        names |= set(mixture.columns)
    from curate.dedup.keep import AUTO

    keep = getattr(cfg.section("dedup"), "keep", None)
    if keep is not None and keep.quality_column and keep.quality_column != AUTO:
        names.add(keep.quality_column)
    return names


def resolve_on_demand(cfg: Any) -> tuple[tuple[str, Any], ...]:
    """The recipe's annotator configs with every ``"auto"`` option of ``Annotator.on_demand``
    resolved: true when ``read_columns`` holds one of the option's columns, else false."""
    from curate.engine.annotator import REGISTRY

    wanted = read_columns(cfg)
    resolved: list[tuple[str, Any]] = []
    for name, section in cfg.annotators:
        on_demand = REGISTRY[name].on_demand if name in REGISTRY else {}
        update = {
            option: bool(wanted & set(columns))
            for option, columns in on_demand.items()
            if getattr(section, option) == "auto"
        }
        resolved.append((name, section.model_copy(update=update) if update else section))
    return tuple(resolved)


def unprovided_policy_columns(
    cfg: Any, run: RunDir | None = None
) -> dict[str, tuple[set[str], bool]]:
    """Enabled policy rules reading a column nothing in ``cfg`` writes (likely a typo):
    rule name -> (columns, optional)."""
    from curate.policy.expr import compile_expr

    policy = cfg.section("policy")
    if policy is None:
        return {}
    have = provided_columns(cfg, run)
    out: dict[str, tuple[set[str], bool]] = {}
    for rule in policy.rules:
        if rule.enabled:
            missing = set(compile_expr(rule.name, rule.expr, rule.params).columns) - have
            if missing:
                out[rule.name] = (missing, rule.optional)
    return out


@dataclass(frozen=True)
class Problem:
    """One finding of ``recipe_problems``: ``error`` fails ``curate check`` (exit 2)."""

    severity: str  # "error" | "warning"
    key: str
    message: str


def recipe_problems(cfg: Any, run: RunDir | None = None) -> list[Problem]:
    """Columns a recipe reads that nothing in it (or in ``run``) writes: a non-optional policy
    rule (error: the run would fail), a mixture column set in the recipe (error: it would be
    silently absent from the mixture), an optional rule (warning: it will be skipped), a
    dedup.keep.quality_column naming a column (not ``"auto"``, the default, which ranks by a
    quality model's score only when one runs) that nothing writes (warning: the keep policy
    ignores it)."""
    out: list[Problem] = []
    for rule, (columns, optional) in sorted(unprovided_policy_columns(cfg, run).items()):
        then = "the rule will be skipped" if optional else "the policy step would fail"
        out.append(
            Problem(
                "warning" if optional else "error",
                f"policy.rules.{rule}",
                f"policy rule {rule!r} reads {', '.join(sorted(columns))}, which no enabled "
                f"annotator or step of this recipe writes ({then})",
            )
        )
    have = provided_columns(cfg, run)
    mixture = cfg.section("mixture")
    if mixture is not None and "columns" in mixture.model_fields_set:
        missing = [c for c in mixture.columns if c not in have]
        if missing:
            out.append(
                Problem(
                    "error",
                    "mixture.columns",
                    f"mixture.columns: {', '.join(missing)} written by no enabled annotator or "
                    "step of this recipe (they would be missing from the mixture)",
                )
            )
    from curate.dedup.keep import AUTO

    keep = getattr(cfg.section("dedup"), "keep", None)
    if keep is not None and "quality_column" in keep.model_fields_set:
        column = keep.quality_column
        if column and column != AUTO and column not in have:
            out.append(
                Problem(
                    "warning",
                    "dedup.keep.quality_column",
                    f"dedup.keep.quality_column = {column!r} is written by no enabled annotator "
                    "or step of this recipe (the keep policy will ignore it)",
                )
            )
    return out


def check_policy_columns(cfg: Any, run: RunDir) -> None:
    """A ConfigError naming every non-optional rule that reads a column nothing provides."""
    missing = {
        rule: columns
        for rule, (columns, optional) in unprovided_policy_columns(cfg, run).items()
        if not optional
    }
    if missing:
        listed = "; ".join(
            f"{r!r} reads {', '.join(sorted(c))}" for r, c in sorted(missing.items())
        )
        raise ConfigError(
            f"policy: {listed}, which no enabled annotator or step of this recipe writes "
            "(a typo? or add the annotator, or set optional = true on the rule)"
        )
