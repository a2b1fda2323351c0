"""Units start largest first (``Step.unit_weight``), and results stay in unit order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from curate.engine.runner import LocalRunner
from curate.engine.step import MapStep, map_step, run_steps
from curate.rundir import RunDir

STARTED: list[int] = []


def _record(x: int) -> int:
    STARTED.append(x)
    return x * 10


@dataclass(frozen=True)
class _Weighted(MapStep):
    def unit_weight(self, unit: str) -> int:
        return self.items[int(unit)]  # the item is its own size


def test_largest_unit_starts_first_and_results_keep_unit_order(tmp_path: Path) -> None:
    run = RunDir.at(tmp_path / "run")
    sizes = (3, 50, 7, 50, 1, 20)
    STARTED.clear()
    (report,) = run_steps(run, LocalRunner(), [_Weighted("toy", "fp", _record, sizes)])
    assert STARTED == [50, 50, 20, 7, 3, 1]  # ties keep unit order (stable)
    assert report.results == [s * 10 for s in sizes]
    STARTED.clear()
    (plain,) = run_steps(run, LocalRunner(), [MapStep("plain", "fp", _record, sizes)])
    assert list(sizes) == STARTED  # no weights: unit order, as before
    assert plain.results == [s * 10 for s in sizes]


def test_map_step_weights_start_the_heaviest_items_first(tmp_path: Path) -> None:
    """``map_step(weights=...)`` (e.g. near-dedup's bands: a shard's content bytes) orders the
    units like ``unit_weight``; the results stay in item order."""
    run = RunDir.at(tmp_path / "run")
    STARTED.clear()
    results = map_step(run, LocalRunner(), "w", "fp", _record, [1, 2, 3, 4], weights=[5, 40, 0, 9])
    assert STARTED == [2, 4, 1, 3]
    assert results == [10, 20, 30, 40]
