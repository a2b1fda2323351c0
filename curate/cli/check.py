"""`curate check RECIPE`: validate a pipeline recipe and show it with defaults filled in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from curate.cli._common import emit_json
from curate.cli.app import app


@app.command("check")
def check_command(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline recipe (TOML).")],
) -> None:
    """Validate a recipe (exit 2 naming the bad key) and print the resolved config as JSON."""
    from curate.config import load_pipeline

    cfg = load_pipeline(pipeline)
    for rule, (columns, optional) in unprovided_policy_columns(cfg).items():
        then = "the rule will be skipped" if optional else "the policy step will fail"
        typer.echo(
            f"warning: {pipeline}: policy rule {rule!r} reads {', '.join(sorted(columns))}, "
            f"which no enabled annotator or step of this recipe writes ({then})",
            err=True,
        )
    emit_json(
        {
            "run": cfg.run.model_dump(mode="json"),
            "ingest": cfg.ingest.model_dump(mode="json"),
            "annotators": {name: c.model_dump(mode="json") for name, c in cfg.annotators},
            **{name: c.model_dump(mode="json") for name, c in cfg.sections.items()},
        }
    )


def provided_columns(cfg: Any) -> set[str]:
    """Columns a run of ``cfg`` will have: documents metadata, the policy's derived columns and
    the declared outputs of every enabled annotator and dedup step."""
    from curate.dedup import exact, near, repos
    from curate.engine.annotator import REGISTRY
    from curate.schema import DOCUMENTS

    names = {*DOCUMENTS.names, "extension", "filename"}
    for name, section in cfg.annotators:
        if getattr(section, "enabled", True) and name in REGISTRY:
            names |= set(REGISTRY[name].output_schema.names)
    dedup = cfg.section("dedup")
    if dedup is not None and dedup.enabled:
        names |= set(exact.SCHEMA.names) if dedup.exact.enabled else set()
        names |= set(near.SCHEMA.names) if dedup.near.enabled else set()
        names |= set(repos.SCHEMA.names) if dedup.near.enabled and dedup.near.repos else set()
    return names


def unprovided_policy_columns(cfg: Any) -> dict[str, tuple[set[str], bool]]:
    """Enabled policy rules reading a column nothing in ``cfg`` writes (likely a typo):
    rule name -> (columns, optional)."""
    from curate.policy.expr import compile_expr

    policy = cfg.section("policy")
    if policy is None:
        return {}
    have = provided_columns(cfg)
    out: dict[str, tuple[set[str], bool]] = {}
    for rule in policy.rules:
        if rule.enabled:
            missing = set(compile_expr(rule.name, rule.expr, rule.params).columns) - have
            if missing:
                out[rule.name] = (missing, rule.optional)
    return out
