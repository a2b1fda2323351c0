"""`curate train-quality DATA --output MODEL`: train a fastText quality classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curate.cli._common import emit_json
from curate.cli.app import app


@app.command("train-quality")
def train_quality_command(
    data: Annotated[Path, typer.Argument(help="Labeled JSONL or Parquet (text + label per row).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model file to write (.bin).")],
    text_field: Annotated[str, typer.Option(help="Field holding the text.")] = "text",
    label_field: Annotated[
        str, typer.Option(help="Field holding the label (class or score).")
    ] = "label",
    threshold: Annotated[
        float | None, typer.Option(help="Numeric labels >= this are positive (1).")
    ] = None,
    positive: Annotated[
        str | None, typer.Option(help="Positive label for AUC (default '1').")
    ] = None,
    test_fraction: Annotated[float, typer.Option(help="Held-out fraction for the metrics.")] = 0.1,
    dim: Annotated[int, typer.Option(help="Vector size.")] = 64,
    epoch: Annotated[int, typer.Option(help="Training epochs.")] = 10,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = 0.5,
    word_ngrams: Annotated[int, typer.Option(help="Word n-gram length.")] = 2,
    bucket: Annotated[int, typer.Option(help="Hash buckets for n-grams.")] = 200_000,
    min_count: Annotated[int, typer.Option(help="Minimal token count.")] = 2,
    thread: Annotated[
        int, typer.Option(help="Threads (at least 12: fewer leave fastText weights uninitialised).")
    ] = 12,
    seed: Annotated[int, typer.Option(help="Split and training seed.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Train a fastText classifier; writes MODEL and MODEL.metrics.json (held-out metrics)."""
    from curate.filters.quality.fasttext_model import TrainParams, read_labeled, train_quality_model

    frame = read_labeled(data, text_field, label_field)
    params = TrainParams(
        dim=dim,
        epoch=epoch,
        lr=lr,
        word_ngrams=word_ngrams,
        bucket=bucket,
        min_count=min_count,
        thread=thread,
        seed=seed,
    )
    metrics = train_quality_model(
        frame,
        output,
        threshold=threshold,
        test_fraction=test_fraction,
        params=params,
        positive=positive,
    )
    for warning in metrics.get("warnings", []):
        typer.echo(f"warning: {warning}", err=True)
    if json_out:
        emit_json(metrics)
        return
    auc = metrics.get("auc")
    typer.echo(
        f"wrote {output} ({metrics['train_rows']} train / {metrics['test_rows']} held-out rows): "
        f"accuracy {metrics['accuracy']:.3f}" + (f", AUC {auc:.3f}" if auc is not None else "")
    )
    for label, m in metrics["labels"].items():
        typer.echo(
            f"  {label:<12} precision {m['precision']:.3f}  recall {m['recall']:.3f}  f1 {m['f1']:.3f}  n={m['support']}"
        )
