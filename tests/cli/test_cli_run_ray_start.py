"""`curate run` starts the embedded Ray cluster of a new run in the background, while the
recipe loads and the shards are planned; an error found meanwhile is reported at once and
the cluster is shut down before the process exits."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from curate.cli import run as run_cli
from curate.config import RunConfig
from curate.rundir import RunDir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "changes",
    [
        {"runner": "local"},
        {"address": "127.0.0.1:6379"},
        {"output": None},
        {"output": "s3://bucket/run"},
        {"output": "{done}"},  # a rerun: Ray starts when a step needs it, as before
    ],
)
def test_ray_is_not_started_early_unless_a_new_local_run_needs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[str, str | None]
) -> None:
    import curate.engine.runner as runner

    monkeypatch.setattr(runner, "RunnerThread", lambda build: pytest.fail("Ray was started"))
    done = tmp_path / "done"
    RunDir(done).markers.mkdir(parents=True)
    fields = {"output": str(tmp_path / "new"), "runner": "ray", **changes}
    if fields["output"] == "{done}":
        fields["output"] = str(done)
    assert run_cli._start_ray_early(RunConfig(**fields)) is None  # type: ignore[arg-type]
    assert run_cli._start_ray_early(None) is None


def test_a_new_local_ray_run_starts_ray_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import curate.engine.runner as runner

    monkeypatch.setattr(runner, "RunnerThread", lambda build: ("started", build))
    run = RunConfig(output=str(tmp_path / "new"), runner="ray", workers=2)
    assert run_cli._start_ray_early(run)[0] == "started"  # type: ignore[index]


def test_an_error_found_while_ray_starts_is_one_line_and_leaves_no_process(
    tmp_path: Path,
) -> None:
    """A recipe whose ``[run]`` reads but whose annotators do not: Ray is already starting
    when the error is found. The message is the one without Ray, exit 2, and no process of
    the run's cluster outlives it."""
    recipe = tmp_path / "bad.toml"
    recipe.write_text("[run]\nworkers = 1\n[annotators.nope]\n")
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from curate.cli import main; main()", "run", str(recipe),
         "--input", str(tmp_path), "--output", str(out)],
        stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    tree = psutil.Process(proc.pid)
    seen: set[psutil.Process] = set()
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(psutil.Error):
            seen.update(tree.children(recursive=True))
        time.sleep(0.05)
    _, err = proc.communicate(timeout=60)
    local = subprocess.run(
        [sys.executable, "-c", "from curate.cli import main; main()", "run", str(recipe),
         "--input", str(tmp_path), "--output", str(out), "--runner", "local"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == local.returncode == 2, err
    assert err == local.stderr and len(err.strip().splitlines()) == 1, err
    assert "annotators.nope" in err
    assert seen, "no Ray process was started"
    time.sleep(1)
    assert [p for p in seen if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
    assert not out.exists()
