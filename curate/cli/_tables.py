"""The time table of a run's steps, printed by `curate run` and `curate stats`."""

from __future__ import annotations

from typing import Any

import typer


def echo_step_table(rows: list[dict[str, Any]], title: str = "time by step") -> None:
    """``rows`` as from ``curate.stats.step_table``: where the CPU and wall time went."""
    if not rows:
        return
    typer.echo(f"\n{title}")
    width = max(len("step"), *(len(r["step"]) for r in rows))
    typer.echo(
        f"  {'step':<{width}}  {'units':>6}  {'files':>8}  {'MB':>9}  {'cpu s':>9}  "
        f"{'wall s':>9}  {'MB/cpu s':>9}  {'max RSS MB':>10}"
    )
    for r in rows:
        rate = "" if r["mb_per_cpu_s"] is None else f"{r['mb_per_cpu_s']:.1f}"
        rss = "" if r.get("max_rss_mb") is None else f"{float(r['max_rss_mb']):.0f}"
        typer.echo(
            f"  {r['step']:<{width}}  {r['units'] or '':>6}  {r['files'] or '':>8}  "
            f"{r['mb'] or '':>9}  {r['cpu_s']:>9.2f}  {r['wall_s']:>9.2f}  {rate:>9}  {rss:>10}"
        )
