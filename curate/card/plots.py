"""PNG plots for the dataset card (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from curate.card.stats import CardStats, numeric_values
from curate.card.thresholds import Threshold
from curate.card.units import human
from curate.rundir import RunDir, place

DPI = 110


def _axes(figsize: tuple[float, float]) -> tuple[Any, Any]:
    """A figure on its own Agg canvas and its axes (no pyplot: no global figure registry to
    close figures from, nothing imported for interactive backends)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _save(fig: Any, path: Path) -> None:
    """Write ``fig`` cropped to its tight bounding box, like ``bbox_inches="tight"`` (the same
    pixels) with one layout pass less: ``savefig`` with "tight" first draws the whole figure
    (without rendering) to place its artists, then measures them again for the box; measuring
    places them too, so the box comes from one measurement here. Each pass lays out every
    tick label: the extra one was a third of a plot's CPU."""
    from matplotlib import rcParams

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.png")
    bbox = fig.get_tightbbox(fig.canvas.get_renderer()).padded(rcParams["savefig.pad_inches"])
    fig.savefig(tmp, dpi=DPI, bbox_inches=bbox)
    place(tmp, path)


@dataclass(frozen=True)
class Plot:
    """A written plot: ``path``, the ``caption`` the card prints under it, and the policy
    ``thresholds`` drawn on it (vertical lines of a histogram)."""

    path: Path
    caption: str = ""
    thresholds: tuple[Threshold, ...] = ()


def language_shares(stats: CardStats, path: Path, top: int = 20) -> Plot | None:
    rows = stats.languages
    use_tokens = any(r["tokens"] for r in rows)
    key, label = ("tokens", "tokens in the mixture") if use_tokens else ("kept_bytes", "bytes kept")
    present = [r for r in rows if r[key]]
    rows = present[:top]
    if not rows:
        return None
    rest = present[top:]
    total = sum(r[key] for r in stats.languages) or 1
    title = "Language shares"
    caption = f"All {len(present)} languages with {label}."
    if rest:
        title += f" (top {top} of {len(present)} languages)"
        share = sum(r[key] for r in rest) / total
        amount = (
            f"{sum(r['tokens'] for r in rest):,} tokens"
            if use_tokens
            else human(sum(r[key] for r in rest))
        )
        caption = (
            f"Top {top} of {len(present)} languages by {label}; the other {len(rest)}: "
            f"{sum(r['kept_files'] for r in rest):,} kept files, {amount} ({share:.2%})."
        )
    fig, ax = _axes((7, 0.35 * len(rows) + 1.2))
    names = [r["language"] for r in rows][::-1]
    shares = [r[key] / total * 100 for r in rows][::-1]
    ax.barh(names, shares, color="#4878a8")
    ax.set_xlabel(f"share of {label} (%)")
    ax.set_title(title)
    _save(fig, path)
    return Plot(path, caption)


def funnel(stats: CardStats, path: Path) -> Plot | None:
    rows = [r for r in stats.funnel if r["files"] or r["kind"] == "kept"]
    if not rows:
        return None
    colors = {"skip": "#b0b0b0", "rule": "#d0704a", "kept": "#4c9a5a"}
    fig, ax = _axes((7, 0.35 * len(rows) + 1.2))
    ax.barh([r["stage"] for r in rows][::-1], [r["files"] for r in rows][::-1],
            color=[colors[r["kind"]] for r in rows][::-1])  # fmt: skip
    ax.set_xlabel("files")
    ax.set_title(f"Filter funnel ({stats.documents + stats.skipped} input files)")
    _save(fig, path)
    return Plot(path)


def drops(stats: CardStats, path: Path) -> Plot | None:
    """Files not kept, by category (ingest skips, dedup, license, ..., quality rules)."""
    rows = [r for r in stats.drops if r["files"]]
    if not rows:
        return None
    fig, ax = _axes((7, 0.35 * len(rows) + 1.2))
    ax.barh([r["category"] for r in rows][::-1], [r["files"] for r in rows][::-1],
            color="#d0704a")  # fmt: skip
    ax.set_xlabel("files")
    ax.set_title(f"Files not kept, by category ({sum(r['files'] for r in rows):,})")
    _save(fig, path)
    return Plot(path)


def histogram(
    run: RunDir,
    column: str,
    policy: str,
    path: Path,
    thresholds: list[Threshold] | tuple[Threshold, ...] = (),
    data: pl.DataFrame | None = None,
) -> Plot | None:
    """Kept and dropped files stacked over ``column``, one vertical line per policy threshold on
    it (solid: every file; dashed: an override's scope); the caption lists them. ``data``: the
    column's ``numeric_values`` when already read (``numeric_values_by_column``)."""
    if data is None:
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
    fig, ax = _axes((6, 3.2))
    if log_scale:
        _plain_log_axis(ax)
    # one filled outline per series, not a rectangle per bin: the same picture, a fifth of the
    # artists to create and draw (the legend names the series in their own order: matplotlib
    # lists stacked outlines top first)
    labels = ["kept", "dropped"]
    *_, series = ax.hist([values[kept], values[~kept]], bins=bins, stacked=True, label=labels,
                         color=["#4c9a5a", "#d0704a"], histtype="stepfilled")  # fmt: skip
    drawn, undrawn = [], []
    for t in thresholds:
        if _in_view(t.value, float(bins[0]), float(bins[-1]), log_scale):
            ax.axvline(t.value, color="#333333", linestyle="--" if t.scope else "-", linewidth=1)
            drawn.append(t)
        else:  # a line far off the data would squash the histogram into a corner
            undrawn.append(t)
    ax.set_title(column)
    ax.set_ylabel("files")
    ax.legend([patches[0] for patches in series], labels)
    _save(fig, path)
    caption = ""
    if drawn:
        caption = "Policy thresholds (vertical lines): " + "; ".join(t.label() for t in drawn) + "."
    if undrawn:
        caption += (" " if caption else "") + (
            "Policy thresholds outside the plotted range: "
            + "; ".join(t.label() for t in undrawn)
            + "."
        )
    return Plot(path, caption, tuple(drawn))


def _plain_log_axis(ax: Any) -> None:
    """A log x axis with plain-text tick labels (``1000``, ``1e+04``): the default labels are
    mathtext (``$10^{3}$``), whose parser was a third of a log histogram's rendering CPU."""
    from matplotlib.ticker import LogFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(LogFormatter())
    ax.xaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))


def _in_view(value: float, lo: float, hi: float, log_scale: bool) -> bool:
    """Whether a threshold line at ``value`` fits near the plotted range ``[lo, hi]``: at most the
    range's width beyond it (a factor of 10 on a log axis), so the data keeps a third of the
    plot or more."""
    if log_scale:
        return value > 0 and lo / 10 <= value <= hi * 10
    margin = hi - lo
    return lo - margin <= value <= hi + margin
