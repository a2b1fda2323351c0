"""`curate stats`: an input whose file count is unknown (unreadable archive) is not hidden
behind "0 skipped"."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

import curate
from curate.cli import _load_commands, app
from curate.config import parse_pipeline
from curate.engine.runner import LocalRunner
from curate.pipeline import run_pipeline
from curate.stats import summary


def _run(tmp_path: Path) -> Path:
    repo = tmp_path / "in" / "repo"
    repo.mkdir(parents=True)
    (repo / "a.py").write_text("x = 1\n")
    (repo / "package-lock.json").write_text("{}\n")
    (tmp_path / "in" / "fake.tar.gz").write_text("this is not gzip\n")
    (tmp_path / "in" / "empty.zip").write_bytes(b"")
    cfg = parse_pipeline({"run": {"input": [str(tmp_path / "in")], "output": str(tmp_path / "r")}})
    run_pipeline(cfg, LocalRunner())
    return tmp_path / "r"


def test_unreadable_inputs_are_counted_and_shown(tmp_path: Path) -> None:
    root = _run(tmp_path)
    data = summary(curate.open_run(root))
    assert data["documents"] == 1
    assert data["skipped"] == 1  # the lock file
    assert data["skipped_uncounted"] == 2  # fake.tar.gz, empty.zip: file count unknown
    reasons = {r["reason"]: (r["files"], r["rows"]) for r in data["skipped_by_reason"]}
    assert reasons == {"lock_file": (1, 1), "corrupt_archive": (0, 2)}

    _load_commands()
    out = CliRunner().invoke(app, ["stats", str(root)]).output
    assert "1 skipped (+ 2 input(s) or archive part(s) with no file count)" in out.splitlines()[0]
    row = next(line.split() for line in out.splitlines() if "corrupt_archive" in line)
    assert row[1] == "0" and row[-1] == "2"  # files, records
