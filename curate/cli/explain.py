"""`curate explain RUN DOCUMENT` (a doc_uid or repo:path): a document's signals and the rules it
passed or failed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "null" if value is None else str(value)


@app.command("explain")
def explain_command(
    run: Annotated[str, typer.Argument(help="Run directory.")],
    doc_uid: Annotated[
        str, typer.Argument(help="The document: its doc_uid, or repo:path.", metavar="DOCUMENT")
    ],
    config: ConfigOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Show a document's signals and, rule by rule, whether it passed."""
    from curate.policy import explain
    from curate.policy.config import policy_for_run
    from curate.policy.frame import resolve_document
    from curate.rundir import RunDir

    run = local_run(run)
    rd = RunDir.at(run)
    data = explain(rd, resolve_document(rd, doc_uid), policy_for_run(run, config))
    if json_out:
        emit_json(data)
        return
    verdict = "KEEP" if data["keep"] else f"DROP  {data['drop_reason']}"
    typer.echo(
        f"{data['doc_uid']}  {data['repo']}:{data['path']}  [{data['language']}, {data['size_bytes']} bytes]"
    )
    typer.echo(f"decision: {verdict}")
    if "stored_decision" in data and data["stored_decision"]["keep"] != data["keep"]:
        typer.echo(f"(stored decision differs: {data['stored_decision']})")
    typer.echo("\nrules:")
    width = max(len(r["rule"]) for r in data["rules"]) if data["rules"] else 4
    for r in data["rules"]:
        values = ", ".join(
            f"{k}={_fmt(v)}"
            for k, v in r["values"].items()
            if k not in {"extension", "filename"} or r["override"]
        )
        note = "  [override]" if r["override"] else ""
        typer.echo(f"  {r['status']:<5} {r['rule']:<{width}}  {r['expr']}{note}")
        if values:
            typer.echo(f"        {'':<{width}}  {values}")
    typer.echo("\nsignals:")
    for key, value in data["signals"].items():
        typer.echo(f"  {key:<30} {_fmt(value)}")
