"""Fault tolerance: a Ray task whose worker process dies is retried and the map still finishes;
an exception raised by the unit itself is not retried (it is a bug or bad input, not a fault)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from curate.engine.runner import make_runner


def _die_once(item: tuple[str, int]) -> int:
    """Kill this worker process the first time item 3 runs (a marker file records the try)."""
    marks, x = item
    mark = Path(marks) / f"{x}.tried"
    if x == 3 and not mark.exists():
        mark.write_text("1")
        os._exit(1)  # a crash, not an exception: Ray sees a dead worker
    return x * 10


def _raise_counting(item: tuple[str, int]) -> int:
    marks, x = item
    with (Path(marks) / "tries").open("a") as fh:
        fh.write("x\n")
    raise ValueError(f"bad item {x}")


def test_killed_worker_is_retried_and_map_finishes(ray_cluster: None, tmp_path: Path) -> None:
    runner = make_runner("ray", workers=2)
    try:
        out = runner.map(_die_once, [(str(tmp_path), x) for x in range(6)])
    finally:
        runner.close()
    assert out == [x * 10 for x in range(6)]
    assert (tmp_path / "3.tried").exists()  # the first attempt really died


def test_unit_exception_is_not_retried(ray_cluster: None, tmp_path: Path) -> None:
    runner = make_runner("ray", workers=1)
    try:
        with pytest.raises(Exception, match="bad item 7"):
            runner.map(_raise_counting, [(str(tmp_path), 7)])
    finally:
        runner.close()
    assert (tmp_path / "tries").read_text().count("x") == 1
