"""`curate stats RUN`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from curate.cli._common import emit_json
from curate.cli._tables import echo_step_table
from curate.cli.app import app


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _table(
    title: str, rows: list[dict[str, Any]], key: str, limit: int, *, records: bool = False
) -> None:
    """``records=True`` adds the row count (a skip record can stand for many files, or for an
    unknown number: 0)."""
    typer.echo(f"\n{title}")
    width = max([len(str(r[key])) for r in rows[:limit]] + [len(key)])
    extra = f"  {'records':>8}" if records else ""
    typer.echo(f"  {key:<{width}}  {'files':>8}  {'bytes':>10}{extra}")
    for row in rows[:limit]:
        extra = f"  {row['rows']:>8}" if records else ""
        typer.echo(
            f"  {row[key]!s:<{width}}  {row['files']:>8}  {_human(row['bytes'] or 0):>10}{extra}"
        )
    if len(rows) > limit:
        typer.echo(f"  ... {len(rows) - limit} more")


@app.command("stats")
def stats_command(
    run: Annotated[str, typer.Argument(help="Run directory.")],
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    limit: Annotated[int, typer.Option(help="Rows per table.")] = 20,
    by_language: Annotated[
        bool, typer.Option("--by-language", help="Also break rule counts down by language.")
    ] = False,
) -> None:
    """Files and bytes by language and repository, skips by reason, decisions by rule."""
    from curate.inspect import open_run
    from curate.stats import step_table, summary

    data = summary(open_run(run), rules_by_language=by_language)
    if json_out:
        emit_json(data)
        return
    uncounted = data.get("skipped_uncounted", 0)
    typer.echo(
        f"run {data['run']}: {data['documents']} documents ({_human(data['document_bytes'])}), "
        f"{data['skipped']} skipped"
        + (f" (+ {uncounted} input(s) or archive part(s) with no file count)" if uncounted else "")
        + f", {data['shards']} shards"
    )
    _table("by language", data["by_language"], "language", limit)
    _table("by repository", data["by_repo"], "repo", limit)
    _table("skipped by reason", data["skipped_by_reason"], "reason", limit, records=True)
    echo_step_table(step_table(data.get("steps") or {}))
    for policy, info in data.get("policies", {}).items():
        typer.echo(f"\npolicy {policy}: kept {info['kept']}, dropped {info['dropped']}")
        typer.echo(
            f"  {'rule':<24} {'dropped':>8} {'bytes':>10}   {'failing':>8} {'bytes':>10}"
            "   (dropped = first failing rule; failing = any)"
        )
        for row in info["rules"]:
            typer.echo(
                f"  {row['rule']:<24} {row['files_dropped']:>8} {_human(row['bytes_dropped']):>10}"
                f"   {row['files_failing']:>8} {_human(row['bytes_failing']):>10}"
            )
        if by_language and info.get("rules_by_language"):
            typer.echo("\n  failing rules by language")
            for row in info["rules_by_language"]:
                typer.echo(
                    f"  {row['rule']:<24} {row['language'] or 'unknown':<16} "
                    f"dropped {row['files_dropped']:>6}  failing {row['files_failing']:>6}"
                )
