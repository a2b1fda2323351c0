"""A driver killed mid-run (SIGKILL, no cleanup) on the embedded Ray cluster: the rerun of the
same command finishes the run, redoing only what was unfinished, with a local run's outputs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from curate.engine.runner import LocalRunner
from curate.pipeline import run_pipeline
from tests.test_pipeline import _cfg, _make_inputs, _snapshot


def _recipe(inputs: Path, out: Path, path: Path) -> Path:
    path.write_text(
        "[run]\n"
        f"input = [{str(inputs / 'checkouts')!r}, {str(inputs / 'arch-main.tar.gz')!r}]\n"
        f"output = {str(out)!r}\nrunner = 'ray'\nworkers = 2\nshard_target_bytes = 600\n"
        "[annotators.parse]\n"
    )
    return path


def _curate(recipe: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from curate.cli import main; main()", "run", str(recipe)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its Ray processes can be found (and ended) by session
    )


def _end_session(proc: subprocess.Popen) -> None:
    """End whatever the killed driver's Ray cluster left behind (raylet, GCS, agents)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def test_driver_killed_mid_run_then_rerun_finishes_with_local_outputs(tmp_path: Path) -> None:
    inputs = _make_inputs(tmp_path, repos=30)
    reference = tmp_path / "reference"
    run_pipeline(_cfg(inputs, reference), LocalRunner())
    total = pl.read_parquet(reference / "manifest.parquet").height

    out = tmp_path / "killed"
    recipe = _recipe(inputs, out, tmp_path / "recipe.toml")
    proc = _curate(recipe)
    markers = out / "_markers" / "ingest"
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if markers.is_dir() and len(list(markers.glob("*.json"))) >= 2:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
        proc.wait(timeout=60)
    finally:
        _end_session(proc)
    assert proc.returncode == -signal.SIGKILL, "run finished before it could be interrupted"
    done_before = len(list(markers.glob("*.json")))
    assert 2 <= done_before < total

    rerun = _curate(recipe)
    try:
        _, err = rerun.communicate(timeout=300)
    finally:
        _end_session(rerun)
    assert rerun.returncode == 0, err[-2000:]
    assert len(list(markers.glob("*.json"))) == total
    ours, theirs = _snapshot(out), _snapshot(reference)
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert ours[name].equals(theirs[name]), name
    assert not list(out.rglob("*.tmp"))
