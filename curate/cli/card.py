"""`curate card RUN`: write the dataset card of a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli._common import VerboseOpt, emit_json, set_verbosity
from curate.cli.app import app
from curate.cli.mix import PipelineOpt, check_run, load_section, recipe_text


@app.command("card")
def card_command(
    run: Annotated[Path, typer.Argument(help="Run directory.")],
    pipeline: PipelineOpt = None,
    mixture: Annotated[
        str | None, typer.Option("--mixture", help="Mixture the card describes.")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the card's path and front matter as JSON.")
    ] = False,
    verbose: int = VerboseOpt,
) -> None:
    """Write RUN/card/README.md (Hugging Face dataset card) and RUN/card/plots/*.png."""
    from curate.card import CardConfig, metadata, write_card
    from curate.card.stats import collect
    from curate.mix.layout import read_manifest
    from curate.rundir import RunDir

    set_verbosity(verbose)
    check_run(run)
    text, source = recipe_text(run, pipeline)
    cfg = load_section(text, source, "card", CardConfig)
    rd = RunDir.at(run)
    if mixture:
        read_manifest(rd, mixture)  # one clear error when the run has no such mixture
        cfg = cfg.model_copy(update={"mixture": mixture})
    path = write_card(rd, cfg, text)
    if json_out:
        emit_json(
            {"card": str(path), "front_matter": metadata(collect(rd, cfg.policy, cfg.mixture), cfg)}
        )
        return
    typer.echo(f"wrote {path}")
