"""PNG plots for the dataset card (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np

from curate.card.stats import CardStats, numeric_values
from curate.rundir import RunDir, place


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    place(tmp, path)


def language_shares(stats: CardStats, path: Path, top: int = 20) -> Path | None:
    rows = stats.languages
    use_tokens = any(r["tokens"] for r in rows)
    key, label = ("tokens", "tokens in the mixture") if use_tokens else ("kept_bytes", "bytes kept")
    rows = [r for r in rows if r[key]][:top]
    if not rows:
        return None
    plt = _pyplot()
    total = sum(r[key] for r in stats.languages) or 1
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.2))
    names = [r["language"] for r in rows][::-1]
    shares = [r[key] / total * 100 for r in rows][::-1]
    ax.barh(names, shares, color="#4878a8")
    ax.set_xlabel(f"share of {label} (%)")
    ax.set_title("Language shares")
    _save(fig, path)
    plt.close(fig)
    return path


def funnel(stats: CardStats, path: Path) -> Path | None:
    rows = [r for r in stats.funnel if r["files"] or r["kind"] == "kept"]
    if not rows:
        return None
    plt = _pyplot()
    colors = {"skip": "#b0b0b0", "rule": "#d0704a", "kept": "#4c9a5a"}
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.2))
    ax.barh([r["stage"] for r in rows][::-1], [r["files"] for r in rows][::-1],
            color=[colors[r["kind"]] for r in rows][::-1])  # fmt: skip
    ax.set_xlabel("files")
    ax.set_title(f"Filter funnel ({stats.documents + stats.skipped} input files)")
    _save(fig, path)
    plt.close(fig)
    return path


def histogram(run: RunDir, column: str, policy: str, path: Path) -> Path | None:
    data = numeric_values(run, column, policy)
    if data.is_empty():
        return None
    values = data["value"].cast(float).to_numpy()
    kept = data["kept"].fill_null(False).to_numpy()
    lo, hi = np.percentile(values, [0.5, 99.5])
    if hi <= lo:
        lo, hi = float(values.min()), float(values.max()) + 1.0
    median = float(np.median(values))
    log_scale = lo >= 0 and hi > 20 * max(median, 1.0)  # heavy tail: log bins show it
    bins = (
        np.logspace(np.log10(max(lo, 1.0)), np.log10(hi), 40)
        if log_scale
        else np.linspace(lo, hi, 40)
    )
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.2))
    if log_scale:
        ax.set_xscale("log")
    ax.hist([values[kept], values[~kept]], bins=bins, stacked=True, label=["kept", "dropped"],
            color=["#4c9a5a", "#d0704a"])  # fmt: skip
    ax.set_title(column)
    ax.set_ylabel("files")
    ax.legend()
    _save(fig, path)
    plt.close(fig)
    return path
