"""Plain progress lines (stderr is not a terminal): counters only where a step counts something."""

from __future__ import annotations

import pytest

from curate.engine.runner import PROGRESS_ENV, _Progress


def _lines(capsys: pytest.CaptureFixture[str], results: list[dict[str, float]]) -> list[str]:
    with _Progress(len(results), "step", lambda result: result) as progress:
        for result in results:
            progress.done(result)
    return capsys.readouterr().err.strip().splitlines()


def test_counting_step_shows_files_and_rate(monkeypatch, capsys) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "0")
    lines = _lines(capsys, [{"files": 3, "MB": 1.5}, {"files": 2, "MB": 0.5}])
    assert lines[0].startswith("step: 1/2 units, files 3, MB 1.5, MB/s ")
    assert lines[-1].startswith("step: 2/2 units, files 5, MB 2, MB/s ")


def test_step_without_files_shows_only_units(monkeypatch, capsys) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "0")
    lines = _lines(capsys, [{"files": 0, "MB": 0.0}, {"files": 0, "MB": 0.0}])
    assert lines and all("files" not in line and "MB" not in line for line in lines)
    assert lines[-1].startswith("step: 2/2 units, ")
