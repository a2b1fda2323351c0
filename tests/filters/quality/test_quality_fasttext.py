"""fastText quality classifier: train on generated labeled data (no downloads), check the
held-out metrics and that the annotator separates the classes."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from curate.cli import _load_commands, app
from curate.engine.annotate import annotate_batch
from curate.errors import ConfigError, UserError
from curate.filters.quality.fasttext_model import TrainParams, read_labeled, train_quality_model
from curate.filters.quality_fasttext import QualityFastTextAnnotator, QualityFastTextConfig

SMALL = TrainParams(
    dim=16, epoch=15, lr=0.2, bucket=20_000, min_count=1, word_ngrams=1, thread=12, seed=1
)
_NOUNS = [
    "user",
    "order",
    "invoice",
    "cache",
    "queue",
    "request",
    "buffer",
    "record",
    "token",
    "report",
]
_VERBS = [
    "load",
    "parse",
    "build",
    "merge",
    "validate",
    "render",
    "flush",
    "encode",
    "fetch",
    "update",
]


def _good(rng: random.Random) -> str:
    verb, noun = rng.choice(_VERBS), rng.choice(_NOUNS)
    return (
        f"def {verb}_{noun}({noun}, options=None):\n"
        f'    """{verb.capitalize()} the {noun} and return the result.\n\n'
        f"    Raises ValueError when the {noun} is invalid.\n"
        f'    """\n'
        f"    if {noun} is None:\n"
        f'        raise ValueError("missing {noun}")\n'
        f"    result = {rng.choice(_VERBS)}({noun}, options)\n"
        f"    return result\n"
    )


def _bad(rng: random.Random) -> str:
    names = ["".join(rng.choice("xyzqk") for _ in range(rng.randint(1, 3))) for _ in range(12)]
    return "\n".join(
        f"{a}={b};{b}={rng.randint(0, 999)}//todo fix hack" for a, b in itertools.pairwise(names)
    )


def _labeled(n: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = [{"text": _good(rng), "score": rng.choice([3, 4, 5])} for _ in range(n)]
    rows += [{"text": _bad(rng), "score": rng.choice([0, 1, 2])} for _ in range(n)]
    return rows


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("ft")
    data = folder / "labels.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _labeled(200, seed=0)))
    frame = read_labeled(data, label_field="score")
    metrics = train_quality_model(
        frame, folder / "q.bin", threshold=3, test_fraction=0.2, params=SMALL
    )
    return folder / "q.bin", metrics


def test_training_writes_model_and_held_out_metrics(model: tuple[Path, dict]) -> None:
    path, metrics = model
    assert path.is_file()
    stored = json.loads(path.with_name("q.bin.metrics.json").read_text())
    assert stored["test_rows"] == 80 and stored["train_rows"] == 320
    assert stored["auc"] == pytest.approx(metrics["auc"])
    assert metrics["auc"] > 0.95 and metrics["accuracy"] > 0.9
    assert set(metrics["labels"]) == {"0", "1"}


def test_annotator_scores_separate_the_classes(model: tuple[Path, dict]) -> None:
    path, _ = model
    fresh = _labeled(30, seed=99)  # not seen in training
    batch = pa.RecordBatch.from_pylist(
        [
            {"doc_uid": str(i), "path": "a.py", "language": "Python", "content": r["text"]}
            for i, r in enumerate(fresh)
        ]
        + [{"doc_uid": "huge", "path": "b.py", "language": "Python", "content": "x" * 2000}]
    )
    annotator = QualityFastTextAnnotator(
        QualityFastTextConfig(model_path=str(path), max_doc_bytes=1000)
    )
    annotator.setup()
    out = pl.from_arrow(pa.Table.from_batches(annotate_batch([annotator], batch)))
    scores = out["quality_score"].to_list()
    good, bad = scores[:30], scores[30:60]
    assert min(good) > max(bad)
    assert scores[60] is None  # over the size guard: null, not a made-up score
    assert out["quality_label"][:30].to_list() == ["1"] * 30


def test_annotator_needs_a_model() -> None:
    with pytest.raises(ConfigError, match="model_path"):
        QualityFastTextAnnotator(QualityFastTextConfig()).setup()
    with pytest.raises(ConfigError, match="does not exist"):
        QualityFastTextAnnotator(QualityFastTextConfig(model_path="/nonexistent/q.bin")).setup()


def test_bad_training_inputs_are_user_errors(tmp_path: Path) -> None:
    data = tmp_path / "l.jsonl"
    data.write_text(json.dumps({"text": "a", "label": 1}) + "\n")
    with pytest.raises(UserError, match="no field 'score'"):
        read_labeled(data, label_field="score")
    with pytest.raises(UserError, match="two distinct labels"):
        train_quality_model(read_labeled(data), tmp_path / "m.bin", params=SMALL)


def test_cli_train_quality(tmp_path: Path) -> None:
    _load_commands()
    data = tmp_path / "labels.parquet"
    pl.DataFrame(_labeled(60, seed=5)).rename({"score": "grade"}).write_parquet(data)
    out = tmp_path / "m.bin"
    result = CliRunner().invoke(
        app,
        [
            "train-quality",
            str(data),
            "-o",
            str(out),
            "--label-field",
            "grade",
            "--threshold",
            "3",
            "--dim",
            "16",
            "--bucket",
            "20000",
            "--epoch",
            "15",
            "--min-count",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output.strip().splitlines()[-1])
    assert out.is_file() and metrics["test_rows"] == 12 and metrics["auc"] > 0.9
