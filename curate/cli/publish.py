"""`curate publish RUN DIR`: a Hub-ready dataset folder (card, plots, data/), optionally pushed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli._common import VerboseOpt, emit_json, set_verbosity
from curate.cli.app import app
from curate.cli.mix import PipelineOpt, check_run, load_section, recipe_text


@app.command("publish")
def publish_command(
    run: Annotated[Path, typer.Argument(help="Run directory.")],
    dest: Annotated[Path, typer.Argument(help="Folder to write (the dataset repository root).")],
    pipeline: PipelineOpt = None,
    push: Annotated[
        str | None,
        typer.Option("--push", help="Upload DIR to this Hub dataset repository (owner/name)."),
    ] = None,
    private: Annotated[
        bool, typer.Option("--private", help="Create the Hub repository as private.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    verbose: int = VerboseOpt,
) -> None:
    """Write DIR/README.md, DIR/plots/ and DIR/data/<mixture>/ so that load_dataset(DIR) works."""
    from curate.card import CardConfig
    from curate.card import publish as pub
    from curate.errors import UserError
    from curate.rundir import RunDir

    set_verbosity(verbose)
    if private and not push:
        raise UserError("--private only applies with --push REPO_ID")
    if push is not None and push.count("/") != 1:
        raise UserError(f"--push {push!r}: expected a repository id owner/name")
    check_run(run)
    text, source = recipe_text(run, pipeline)
    cfg = load_section(text, source, "card", CardConfig)
    readme = pub.publish(RunDir.at(run), cfg, dest, text)
    result = {"folder": str(dest), "card": str(readme)}
    if push:
        result["pushed"] = pub.push(dest, push, private=private)
    if json_out:
        emit_json(result)
        return
    typer.echo(f"wrote {dest}" + (f"; pushed to {push}" if push else ""))
