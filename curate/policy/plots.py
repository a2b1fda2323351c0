"""Histograms of the main quality signals, as PNG files for the dataset card.

Kept and dropped documents are stacked when a decisions column ``keep`` is present, and the
rule's threshold is not drawn (rules may be per-language); the y axis is logarithmic because
real corpora have long tails.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import polars as pl

from curate.rundir import RunDir, place

PLOT_COLUMNS = (
    "max_line_length",
    "mean_line_length",
    "alnum_fraction",
    "whitespace_fraction",
    "repeated_line_fraction",
    "encoded_data_fraction",
    "line_count",
    "size_bytes",
)
LOG_X = {"max_line_length", "mean_line_length", "line_count", "size_bytes"}


def signal_histograms(
    frame: pl.DataFrame | pl.LazyFrame,
    out_dir: str | Path,
    columns: tuple[str, ...] = PLOT_COLUMNS,
    bins: int = 40,
) -> list[Path]:
    """One ``hist_<column>.png`` per present numeric column; returns the written paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    data = frame.lazy()
    names = data.collect_schema().names()
    wanted = [c for c in columns if c in names]
    keep_col = "keep" in names
    table = data.select(*wanted, *(["keep"] if keep_col else [])).collect()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for column in wanted:
        values = table.select(
            pl.col(column).cast(pl.Float64), *(["keep"] if keep_col else [])
        ).drop_nulls(column)
        if values.height == 0:
            continue
        x = values[column].to_numpy()
        log_x = column in LOG_X
        if log_x:
            x = np.log10(np.maximum(x, 0) + 1)
        lo, hi = float(x.min()), float(x.max())
        edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
        fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
        if keep_col:
            kept = values["keep"].fill_null(True).to_numpy()
            ax.hist(
                [x[kept], x[~kept]],
                bins=edges,
                stacked=True,
                label=["kept", "dropped"],
                color=["#4c72b0", "#dd8452"],
            )
            ax.legend(fontsize=8)
        else:
            ax.hist(x, bins=edges, color="#4c72b0")
        ax.set_yscale("log")
        ax.set_xlabel(f"log10(1 + {column})" if log_x else column)
        ax.set_ylabel("documents")
        ax.set_title(f"{column} (n={len(x):,})", fontsize=10)
        fig.tight_layout()
        path = out_dir / f"hist_{column}.png"
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp.png")
        fig.savefig(tmp, format="png")
        plt.close(fig)
        place(tmp, path)
        written.append(path)
    return written


def run_histograms(
    run: RunDir, policy: str | None = "default", out_dir: str | Path | None = None
) -> list[Path]:
    """Histograms of a run's signals (with kept/dropped when ``policy`` decisions exist),
    written to ``RUN/card/plots`` unless ``out_dir`` is given."""
    from curate.policy.frame import annotated

    frame = annotated(run)
    if policy and any(run.decisions(policy).glob("*.parquet")):
        frame = frame.join(
            pl.scan_parquet(sorted(run.decisions(policy).glob("*.parquet"))).select(
                "doc_uid", "keep"
            ),
            on="doc_uid",
            how="left",
        )
    return signal_histograms(frame, out_dir or run.card / "plots")


__all__ = ["PLOT_COLUMNS", "run_histograms", "signal_histograms"]
