"""`curate card RUN`: write the dataset card of a run directory."""

from __future__ import annotations

from typing import Annotated

import typer

from curate.cli._common import VerboseOpt, emit_json, set_verbosity
from curate.cli.app import app
from curate.cli.mix import PipelineOpt, check_run, load_section, recipe_text


@app.command("card")
def card_command(
    run: Annotated[str, typer.Argument(help="Run directory (a path or an s3:// URL).")],
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
    from curate.pipeline import run_lock
    from curate.rundir import RunDir

    set_verbosity(verbose)
    rd = RunDir.at(run)
    with run_lock(rd):  # on an object store: checkout, then the card is flushed to the store
        check_run(rd.root)
        text, source = recipe_text(rd.root, pipeline)
        cfg = load_section(text, source, "card", CardConfig)
        if mixture:
            read_manifest(rd, mixture)  # one clear error when the run has no such mixture
            cfg = cfg.model_copy(update={"mixture": mixture})
        path = write_card(rd, cfg, text)
        front_matter = metadata(collect(rd, cfg.policy, cfg.mixture), cfg) if json_out else None
    where = f"{rd.location}/{path.relative_to(rd.root)}" if path.is_relative_to(rd.root) else path
    if json_out:
        emit_json({"card": str(where), "front_matter": front_matter})
        return
    typer.echo(f"wrote {where}")
