"""`curate mix RUN`: write the training mixture of a run directory."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from curate.cli._common import VerboseOpt, emit_json, set_verbosity
from curate.cli.app import app
from curate.errors import ConfigError, UserError

PipelineOpt = Annotated[
    Path | None,
    typer.Option(
        "--pipeline", "-p", help="Recipe to take the section from (default: RUN/pipeline.toml)."
    ),
]


def recipe_text(run: Path, pipeline: Path | None) -> tuple[str, str]:
    """(TOML text, where it came from) of the recipe a command should use; empty if none."""
    path = pipeline or run / "pipeline.toml"
    if path.is_file():
        return path.read_text(encoding="utf-8"), str(path)
    if pipeline is not None:
        raise ConfigError(f"{pipeline}: pipeline recipe not found")
    return "", ""


def load_section(text: str, source: str, section: str, model: type[Any]) -> Any:
    """Validate one ``[section]`` of a recipe (absent = defaults)."""
    from curate.config import validate_section

    try:
        data = tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: invalid TOML: {err}") from None
    return validate_section(model, data.get(section), section, source)


def check_run(run: Path) -> None:
    if not (run / "documents").is_dir():
        raise UserError(f"{run}: not a run directory (no documents/)")


@app.command("mix")
def mix_command(
    run: Annotated[str, typer.Argument(help="Run directory (a path or an s3:// URL).")],
    pipeline: PipelineOpt = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Mixture name (overrides the recipe).")
    ] = None,
    runner: Annotated[str, typer.Option("--runner", help="'local' or 'ray'.")] = "local",
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1)] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the manifest summary as JSON.")
    ] = False,
    allow_unredacted: Annotated[
        bool,
        typer.Option(
            "--allow-unredacted",
            help="Write even when secret/PII span annotations are missing (the manifest says so).",
        ),
    ] = False,
    verbose: int = VerboseOpt,
) -> None:
    """Join documents, annotations and decisions; redact; weight; write Parquet + manifest."""
    from curate.engine.runner import make_runner
    from curate.mix import MixtureConfig, run_mix
    from curate.pipeline import run_lock
    from curate.rundir import RunDir

    set_verbosity(verbose)
    rd = RunDir.at(run)
    with run_lock(rd):  # not while a `curate run` is still writing decisions
        check_run(rd.root)  # inside the lock: on an object store, after the checkout
        cfg = load_section(*recipe_text(rd.root, pipeline), "mixture", MixtureConfig)
        if name:
            cfg = cfg.model_copy(update={"name": name})
        if allow_unredacted:
            cfg = cfg.model_copy(update={"allow_unredacted": True})
        pool = make_runner(runner, workers=workers, temp_dir=rd.tmp / "ray")
        try:
            manifest = run_mix(rd, cfg, pool)
        finally:
            pool.close()
    summary = {
        "mixture": str(rd.mixture(cfg.name)),
        **manifest["totals"],
        "shares": {
            k: {"requested": v["requested_share"], "actual": v["actual_share"]}
            for k, v in manifest["shares"].items()
        },
        "seconds": manifest["seconds"],
        "redaction": manifest["redaction"]["status"],
    }
    if manifest["redaction"]["unredacted"]:
        typer.echo(
            f"warning: mixture {cfg.name} is not fully redacted "
            f"(redaction status {manifest['redaction']['status']}): "
            + ("; ".join(manifest["redaction"]["problems"]) or "redact = false"),
            err=True,
        )
    if json_out:
        emit_json(summary)
        return
    t = manifest["totals"]
    typer.echo(
        f"wrote {t['files']} files, {t['rows']} rows, {t['content_bytes']} bytes, ~{t['tokens']} tokens -> {summary['mixture']}"
    )
    for lang, v in manifest["shares"].items():
        flag = "  (capped at max_epochs)" if v["capped"] else ""
        typer.echo(
            f"  {lang:<16} requested {v['requested_share']:7.2%}  actual {v['actual_share']:7.2%}  epochs {v['epochs']:.2f}{flag}"
        )
