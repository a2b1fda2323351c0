"""`curate whatif RUN --set rule.threshold=value`: what a policy change would keep or drop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli._common import emit_json, local_run
from curate.cli.app import app

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Pipeline TOML whose \\[policy] to use "
        "(default: the run's pipeline.toml, else the built-in quality policy).",
    ),
]


@app.command("whatif")
def whatif_command(
    run: Annotated[str, typer.Argument(help="Run directory.")],
    set_: Annotated[
        list[str],
        typer.Option(
            "--set",
            "-s",
            help="RULE.KEY=VALUE, e.g. max_line_length.threshold=2000 "
            "(keys: threshold, a param name, expr, enabled, on_null). Repeatable.",
        ),
    ],
    config: ConfigOpt = None,
    sample: Annotated[int, typer.Option(help="How many flipped files to show.")] = 10,
    seed: Annotated[int, typer.Option(help="Sample seed.")] = 0,
    json_out: Annotated[
        bool, typer.Option("--json", help="JSON lines: totals, languages, flips.")
    ] = False,
) -> None:
    """Files and bytes per language a rule change would keep or drop (no recompute)."""
    from curate.policy import whatif
    from curate.policy.config import policy_for_run
    from curate.rundir import RunDir

    run = local_run(run)
    rd = RunDir.at(run)
    result = whatif(rd, policy_for_run(run, config), set_, sample=sample, seed=seed)
    if json_out:
        emit_json({"kind": "totals", **result.totals})
        for row in result.by_language.iter_rows(named=True):
            emit_json({"kind": "language", **row})
        for row in result.flips.iter_rows(named=True):
            emit_json({"kind": "flip", **row})
        return
    t = result.totals
    typer.echo(
        f"kept files {t['files_kept_before']} -> {t['files_kept_after']} of {t['files']} "
        f"(+{t['newly_kept']} / -{t['newly_dropped']}); kept bytes {t['bytes_kept_before']} -> {t['bytes_kept_after']}"
    )
    typer.echo(
        f"\n  {'language':<16} {'files':>7} {'kept before':>12} {'kept after':>11} {'+kept':>7} {'-dropped':>9} {'bytes +/-':>14}"
    )
    for r in result.by_language.iter_rows(named=True):
        delta = (r["bytes_newly_kept"] or 0) - (r["bytes_newly_dropped"] or 0)
        typer.echo(
            f"  {r['language'] or 'unknown':<16} {r['files']:>7} {r['files_kept_before']:>12} {r['files_kept_after']:>11} "
            f"{r['newly_kept']:>7} {r['newly_dropped']:>9} {delta:>+14}"
        )
    if result.flips.height:
        typer.echo("\nsample of files that flip:")
        for r in result.flips.iter_rows(named=True):
            change = "now KEPT   " if r["keep_after"] else "now DROPPED"
            why = r["reason_after"] if not r["keep_after"] else f"was {r['reason_before']}"
            typer.echo(f"  {change} {r['doc_uid']}  {r['path']}  ({why})")
