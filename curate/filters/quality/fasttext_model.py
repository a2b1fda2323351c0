"""Train and apply a fastText quality classifier (Stack-Edu / FineWeb-Edu style: an LLM or a
person labels a sample, a cheap classifier scores everything).

Training and scoring share ``to_line`` so the text a model sees is the same in both.
fastText on numpy 2: only ``fasttext-numpy2-wheel`` predicts, and training sometimes fails
with "Encountered NaN": always with fewer than 10 threads on some inputs (shared/DESIGN.md 8),
and, on the 2-core VM with busy loops beside it, in 27 of 180 trainings of the test
fixture at 10 threads (three of six stress runs; every lr-halving retry of a failed training
failed too), none of 140 at 12 or 16. The cause is not pinned down, so ``thread`` is at least
``MIN_THREADS`` and a NaN retry changes the seed as well as halving the learning rate.
"""

from __future__ import annotations

import math
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import UserError
from curate.rundir import write_json_atomic

MAX_CHARS = 20_000
"""Only the first this-many characters of a document are classified."""
_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def to_line(text: str, max_chars: int = MAX_CHARS) -> str:
    """One line of space-separated tokens (words and single punctuation marks)."""
    return " ".join(_TOKEN.findall(text[:max_chars])).lower()


MIN_THREADS = 12
"""Fewer threads made fastText training fail with NaN under load (see the module doc)."""


@dataclass(frozen=True)
class TrainParams:
    dim: int = 64
    epoch: int = 10
    lr: float = 0.5
    word_ngrams: int = 2
    bucket: int = 200_000
    min_count: int = 2
    thread: int = MIN_THREADS
    seed: int = 0


def read_labeled(
    path: str | Path, text_field: str = "text", label_field: str = "label"
) -> pl.DataFrame:
    """Read a JSONL or Parquet file into ``text`` and ``label`` columns."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    try:
        frame = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_ndjson(path)
    except Exception as err:  # polars raises several error types for bad files
        raise UserError(
            f"{path}: cannot read as {'Parquet' if path.suffix == '.parquet' else 'JSONL'}: {err}"
        ) from None
    for field in (text_field, label_field):
        if field not in frame.columns:
            raise UserError(f"{path}: no field {field!r} (fields: {', '.join(frame.columns)})")
    out = frame.select(
        pl.col(text_field).cast(pl.String).alias("text"), pl.col(label_field).alias("label")
    )
    return out.drop_nulls()


def binarize(labels: pl.Series, threshold: float | None) -> list[str]:
    """Labels as fastText label names: numeric labels with a threshold become ``1``/``0``
    (score >= threshold is ``1``); anything else is used as-is."""
    if threshold is not None:
        if not labels.dtype.is_numeric():
            raise UserError("--threshold needs numeric labels")
        return ["1" if v >= threshold else "0" for v in labels.to_list()]
    return [str(v).replace(" ", "_") for v in labels.to_list()]


def _auc(scores: list[float], positives: list[bool]) -> float | None:
    pos = sum(positives)
    neg = len(positives) - pos
    if pos == 0 or neg == 0:
        return None
    ranked = sorted(zip(scores, positives, strict=True), key=lambda t: t[0])
    rank_sum, i = 0.0, 0
    while i < len(ranked):  # average ranks over ties
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        rank_sum += sum(1 for k in range(i, j) if ranked[k][1]) * (i + j + 1) / 2
        i = j
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def label_probabilities(model: Any, lines: list[str]) -> list[dict[str, float]]:
    labels, probs = model.predict(lines, k=-1)
    return [
        {lab.removeprefix("__label__"): float(p) for lab, p in zip(ls, ps, strict=True)}
        for ls, ps in zip(labels, probs, strict=True)
    ]


MIN_RELIABLE_ROWS = 10
"""Fewer training or held-out rows than this make the reported metrics noise: warn."""


def train_quality_model(
    data: pl.DataFrame,
    output: str | Path,
    *,
    threshold: float | None = None,
    test_fraction: float = 0.1,
    params: TrainParams = TrainParams(),
    positive: str | None = None,
) -> dict[str, Any]:
    """Train on ``data`` (``text``, ``label``), evaluate on a held-out split, write the model
    to ``output`` and the metrics to ``output`` + ``.metrics.json``; return the metrics."""
    import fasttext

    labels = binarize(data["label"], threshold)
    rows = list(zip(data["text"].to_list(), labels, strict=True))
    if len({lab for _, lab in rows}) < 2:
        raise UserError("training data needs at least two distinct labels")
    wanted = positive if positive is not None else "1"
    if wanted not in {lab for _, lab in rows}:
        found = ", ".join(sorted({lab for _, lab in rows})[:5])
        raise UserError(
            f"labels ({found}) do not contain the positive label {wanted!r}: every document "
            "would score 0.0; pass --positive (and set the annotator's positive_label) or --threshold"
        )
    if not 0 < test_fraction < 1:
        raise UserError("--test-fraction must be between 0 and 1")
    random.Random(params.seed).shuffle(rows)
    n_test = max(1, math.floor(len(rows) * test_fraction))
    test, train = rows[:n_test], rows[n_test:]
    if not train:
        raise UserError("not enough rows to train after the held-out split")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, dir=output.parent) as fh:
        for text, lab in train:
            fh.write(f"__label__{lab} {to_line(text)}\n")
        train_path = fh.name
    try:
        model, lr, seed = _train(fasttext, train_path, params)
    finally:
        Path(train_path).unlink(missing_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    model.save_model(str(tmp))
    tmp.replace(output)
    metrics = evaluate(model, test, positive=positive)
    warnings = []
    if len(train) < MIN_RELIABLE_ROWS or len(test) < MIN_RELIABLE_ROWS:
        warnings.append(
            f"only {len(train)} training and {len(test)} held-out rows: the metrics are not "
            f"meaningful (want at least {MIN_RELIABLE_ROWS} of each)"
        )
    metrics["warnings"] = warnings
    metrics.update(
        {
            "train_rows": len(train),
            "test_rows": len(test),
            "threshold": threshold,
            "params": {**params.__dict__, "lr": lr, "training_seed": seed},
            "model": str(output),
        }
    )
    write_json_atomic(metrics, output.with_name(output.name + ".metrics.json"))
    return metrics


def _train(fasttext: Any, train_path: str, params: TrainParams) -> tuple[Any, float, int]:
    """Train; on fastText's "Encountered NaN" retry with a halved learning rate and the next
    seed, up to five times. Returns the model and the rate and seed that worked."""
    lr = params.lr
    for attempt in range(6):
        try:
            model = fasttext.train_supervised(
                input=train_path,
                dim=params.dim,
                epoch=params.epoch,
                lr=lr,
                wordNgrams=params.word_ngrams,
                bucket=params.bucket,
                minCount=params.min_count,
                thread=max(MIN_THREADS, params.thread),
                seed=params.seed + attempt,
                verbose=0,
            )
            return model, lr, params.seed + attempt
        except RuntimeError as err:
            if "NaN" not in str(err) or attempt == 5:
                raise
            lr /= 2
    raise AssertionError("unreachable")


def evaluate(
    model: Any, rows: list[tuple[str, str]], positive: str | None = None
) -> dict[str, Any]:
    """Accuracy, per-label precision/recall/F1, and ROC AUC of the positive label (``1`` or
    the given one) when the task is binary."""
    probs = label_probabilities(model, [to_line(t) for t, _ in rows])
    truth = [lab for _, lab in rows]
    predicted = [max(p, key=p.get) for p in probs]
    labels = sorted(set(truth) | set(predicted))
    per_label = {}
    for lab in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == lab and p == lab)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != lab and p == lab)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_label[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": truth.count(lab)}
    out: dict[str, Any] = {
        "accuracy": sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth),
        "labels": per_label,
    }
    if positive is None and set(truth) <= {"0", "1"}:
        positive = "1"
    if positive is not None:
        out["positive_label"] = positive
        out["auc"] = _auc([p.get(positive, 0.0) for p in probs], [t == positive for t in truth])
    return out
