"""``dedup.keep.quality_column = "auto"`` (the default): the keep key ranks by a quality
model's ``quality_score`` when a table of the run has it, and ignores quality otherwise."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from curate.dedup.config import DedupConfig, KeepConfig
from curate.dedup.exact import run_exact_dedup
from curate.dedup.near import run_near_dedup
from curate.engine.runner import LocalRunner
from curate.rundir import RunDir
from tests.support.run_synth import document, write_run

CODE = "".join(f"def f{i}(x):\n    return x * {i} + {i * 7} - len(str(x))\n" for i in range(30))


def _run(tmp_path: Path, attributes: dict) -> tuple[RunDir, list[str]]:
    docs = [document(f"o{i}/r", "src/a.py", CODE, "Python") for i in range(4)]
    uids = sorted(d["doc_uid"] for d in docs)
    rows = {key: fn(uids) for key, fn in attributes.items()}
    return write_run(tmp_path / "run", docs, attributes=rows), uids


def _kept(run: RunDir, key: str, flag: str) -> list[str]:
    frame = pl.read_parquet(run.attributes(key) / "*.parquet")
    return sorted(frame.filter(pl.col(flag))["doc_uid"].to_list())


def _scores(uids: list[str]) -> list[dict]:
    """The largest doc_uid gets the best score, so quality and the doc_uid tie-break disagree."""
    return [
        {"doc_uid": u, "quality_score": 0.1 * i, "quality_label": "1"} for i, u in enumerate(uids)
    ]


def test_default_is_auto() -> None:
    assert KeepConfig().quality_column == "auto"


def test_auto_ranks_by_the_quality_models_score(tmp_path: Path) -> None:
    run, uids = _run(tmp_path, {"quality_fasttext@1": _scores})
    run_exact_dedup(run, DedupConfig(), LocalRunner())
    assert _kept(run, "exact_dedup@1", "exact_dup_keep") == [uids[-1]]
    run_near_dedup(run, DedupConfig(), LocalRunner())
    assert _kept(run, "near_dedup@1", "dup_keep") == [uids[-1]]


def test_auto_without_a_quality_column_falls_back_to_doc_uid(tmp_path: Path) -> None:
    # A column of another name is not a quality score: ``auto`` does not pick it up.
    other = {
        "other@1": lambda uids: [{"doc_uid": u, "score": float(i)} for i, u in enumerate(uids)]
    }
    run, uids = _run(tmp_path, other)
    run_exact_dedup(run, DedupConfig(), LocalRunner())
    assert _kept(run, "exact_dedup@1", "exact_dup_keep") == [uids[0]]


@pytest.mark.parametrize(("column", "winner"), [(None, 0), ("quality_score", -1)])
def test_explicit_setting_wins_over_auto(tmp_path: Path, column: str | None, winner: int) -> None:
    run, uids = _run(tmp_path, {"quality_fasttext@1": _scores})
    cfg = DedupConfig(keep=KeepConfig(quality_column=column))
    run_exact_dedup(run, cfg, LocalRunner())
    assert _kept(run, "exact_dedup@1", "exact_dup_keep") == [uids[winner]]
