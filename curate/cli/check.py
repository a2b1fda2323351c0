"""`curate check RECIPE`: validate a pipeline recipe and show it with defaults filled in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli._common import emit_json
from curate.cli.app import app


@app.command("check")
def check_command(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline recipe (TOML).")],
) -> None:
    """Validate a recipe (exit 2 naming the bad key) and print the resolved config as JSON."""
    from curate.config import load_pipeline
    from curate.recipe_check import unprovided_policy_columns

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
