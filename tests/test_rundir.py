"""RunDir.at: an output path that is (or lies under) a file is a one-line user error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from curate.errors import UserError
from curate.rundir import RunDir

ROOT = Path(__file__).resolve().parents[1]


def test_at_accepts_new_and_existing_directories(tmp_path: Path) -> None:
    assert RunDir.at(tmp_path).root == tmp_path
    assert RunDir.at(tmp_path / "new" / "run").root == tmp_path / "new" / "run"


def test_at_rejects_a_file_and_a_path_under_a_file(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("x")
    with pytest.raises(UserError, match=r"notes\.txt: not a directory$"):
        RunDir.at(file)
    with pytest.raises(UserError, match=r"not a directory \(.*notes.txt is a file\)"):
        RunDir.at(file / "run")


def test_cli_run_with_output_a_file_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "a.py").write_text("x = 1\n")
    out = tmp_path / "out"
    out.write_text("not a folder")
    proc = subprocess.run(
        [
            *(sys.executable, "-c", "from curate.cli import main; main()", "run"),
            *(str(ROOT / "pipelines" / "demo.toml"), "--input", str(tmp_path / "repo")),
            *("--output", str(out), "--runner", "local"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: {out}: not a directory", proc.stderr
    assert out.read_text() == "not a folder"
