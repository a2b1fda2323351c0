"""`curate check RECIPE`: validate a pipeline recipe, find columns it reads that nothing writes,
and show it with defaults filled in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from curate.cli._common import emit_json
from curate.cli.app import app


@app.command("check")
def check_command(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline recipe (TOML).")],
    json_out: Annotated[
        bool, typer.Option("--json/--text", help="One JSON object (problems + resolved config).")
    ] = False,
) -> None:
    """Validate a recipe: exit 2 on a bad key, on a policy rule or mixture column that nothing
    in the recipe writes; warnings for optional rules that will be skipped."""
    from curate.config import load_pipeline
    from curate.recipe_check import recipe_problems

    cfg = load_pipeline(pipeline)
    problems = recipe_problems(cfg)
    errors = [p for p in problems if p.severity == "error"]
    config = {
        "run": cfg.run.model_dump(mode="json"),
        "ingest": cfg.ingest.model_dump(mode="json"),
        "annotators": {name: c.model_dump(mode="json") for name, c in cfg.annotators},
        **{name: c.model_dump(mode="json") for name, c in cfg.sections.items()},
    }
    if json_out:
        emit_json(
            {
                "recipe": str(pipeline),
                "ok": not errors,
                "problems": [p.__dict__ for p in problems],
                "config": config,
            }
        )
    else:
        for p in problems:
            typer.echo(f"{p.severity}: {pipeline}: {p.message}", err=True)
        order = ("dedup", "policy", "mixture", "card")
        steps = [
            "ingest",
            *(n for n, _ in cfg.annotators),
            *(s for s in order if s in cfg.sections),
        ]
        state = f"{len(errors)} error(s)" if errors else "ok"
        typer.echo(f"{state}: {pipeline}: {' -> '.join(steps)}")
    if errors:
        sys.exit(2)
