"""train-quality: labels without the positive label are an error; tiny data warns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curate.cli import _load_commands, app
from curate.errors import UserError
from curate.filters.quality.fasttext_model import TrainParams, read_labeled, train_quality_model

SMALL = TrainParams(dim=8, epoch=5, lr=0.2, bucket=2_000, min_count=1, word_ngrams=1, seed=1)


def _write(path: Path, labels: list[str]) -> Path:
    rows = [
        {"text": f"def f{i}(x):\n    return x + {i}\n", "label": lab}
        for i, lab in enumerate(labels)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def test_labels_without_the_positive_label_are_a_user_error(tmp_path: Path) -> None:
    frame = read_labeled(_write(tmp_path / "l.jsonl", ["good", "bad"] * 20))
    with pytest.raises(UserError, match="positive label '1'"):
        train_quality_model(frame, tmp_path / "m.bin", params=SMALL)
    with pytest.raises(UserError, match="positive label 'great'"):
        train_quality_model(frame, tmp_path / "m.bin", params=SMALL, positive="great")
    assert not (tmp_path / "m.bin").exists()
    # Naming a positive label that is present trains fine and gives no warning (40 rows).
    metrics = train_quality_model(
        frame, tmp_path / "m.bin", params=SMALL, positive="good", test_fraction=0.25
    )
    assert metrics["positive_label"] == "good" and metrics["warnings"] == []


def test_cli_user_error_on_missing_positive_and_warns_on_two_rows(tmp_path: Path) -> None:
    _load_commands()
    bad = _write(tmp_path / "bad.jsonl", ["good", "bad"] * 5)
    result = CliRunner().invoke(app, ["train-quality", str(bad), "-o", str(tmp_path / "a.bin")])
    # main() turns a UserError into "error: ..." and its exit code; the runner sees the exception.
    assert isinstance(result.exception, UserError), result.output
    assert "positive label '1'" in str(result.exception)
    tiny = _write(tmp_path / "tiny.jsonl", ["1", "0"])
    result = CliRunner().invoke(
        app, ["train-quality", str(tiny), "-o", str(tmp_path / "b.bin"), "--min-count", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "warning: only 1 training and 1 held-out rows" in result.output
