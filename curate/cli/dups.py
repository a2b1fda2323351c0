"""`curate dups RUN`: the largest near-duplicate clusters with paths and repositories."""

from __future__ import annotations

from typing import Annotated

import typer

from curate.cli._common import emit_json
from curate.cli.app import app


@app.command("dups")
def dups_command(
    run: Annotated[str, typer.Argument(help="Run directory (after the \\[dedup] step).")],
    limit: Annotated[int, typer.Option(help="Clusters to show.")] = 10,
    members: Annotated[int, typer.Option(help="Members listed per cluster.")] = 5,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per cluster.")] = False,
) -> None:
    """List the largest near-duplicate clusters (kept member first)."""
    from curate.dedup.inspect import largest_clusters
    from curate.inspect import open_run

    for c in largest_clusters(open_run(run).dir, limit, members):
        if json_out:
            emit_json(c)
            continue
        typer.echo(
            f"cluster {c['cluster_id']}: {c['size']} files in {c['repos']} repos"
            + (
                f", {c['copied_from_copyleft']} permissive "
                f"cop{'y' if c['copied_from_copyleft'] == 1 else 'ies'} of copyleft code"
                if c["copied_from_copyleft"]
                else ""
            )
        )
        for m in c["members"]:
            mark = "keep" if m["dup_keep"] else "drop"
            typer.echo(
                f"  [{mark}] {m['repo']}:{m['path']}  ({m['license_category'] or 'license ?'})"
            )
        if c["size"] > len(c["members"]):
            typer.echo(f"  ... {c['size'] - len(c['members'])} more")
