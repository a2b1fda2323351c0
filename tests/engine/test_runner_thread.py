"""``RunnerThread``: a runner built and closed in a thread of its own (Ray starts while the
driver loads the recipe and plans), and the Ray lines kept off stderr."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from curate.engine.runner import LocalRunner, RunnerThread, _drop_banners

ROOT = Path(__file__).resolve().parents[2]


class _Recording(LocalRunner):
    def __init__(self) -> None:
        self.built_in = threading.current_thread().name
        self.closed_in = ""

    def close(self) -> None:
        self.closed_in = threading.current_thread().name


def test_the_runner_is_built_and_closed_in_the_same_thread() -> None:
    started = RunnerThread(_Recording)
    runner = started.get()
    assert isinstance(runner, _Recording) and runner.map(abs, [-3]) == [3]
    assert runner.built_in == "curate-runner" and runner.closed_in == ""
    started.close(wait=False)  # returns at once; a later close waits
    started.close()
    assert runner.closed_in == "curate-runner"


def test_a_failed_build_is_raised_by_get_and_close_does_not_wait_for_ever() -> None:
    def fail() -> LocalRunner:
        raise ConnectionError("no cluster")

    started = RunnerThread(fail)
    with pytest.raises(ConnectionError, match="no cluster"):
        started.get()
    started.close()  # the thread ended with the failed build


def test_an_unused_runner_is_closed_too() -> None:
    started = RunnerThread(_Recording)
    started.close()
    assert started.get().closed_in == "curate-runner"  # type: ignore[attr-defined]


# Ray starts its processes with PR_SET_PDEATHSIG, delivered when the *thread* that started
# them ends: a cluster started by a thread that returned lost its GCS at once.
_OUTLIVES = """
import time
from curate.engine.runner import RunnerThread, make_runner
def square(x):
    return x * x
started = RunnerThread(lambda: make_runner("ray", workers=1))
runner = started.get()
time.sleep(2)
print(runner.map(square, [1, 2]))
started.close()
"""


def test_a_ray_cluster_started_in_the_thread_lives_until_close() -> None:
    env = {**os.environ, "CURATE_PROGRESS": "off"}
    proc = subprocess.run(
        [sys.executable, "-c", _OUTLIVES], capture_output=True, text=True, cwd=ROOT, env=env,
        timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[1, 4]"
    assert proc.stderr == "", proc.stderr  # no Ray banners (token auth, SIGTERM handler)


def test_ray_banners_are_dropped_and_other_lines_kept() -> None:
    import ray  # noqa: F401 - creates Ray's loggers

    _drop_banners()
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("ray._private.worker")
    logger.addHandler(handler)
    try:
        logger.warning("SIGTERM handler is not set because current thread is not the main thread.")
        logger.warning("something a user should see")
    finally:
        logger.removeHandler(handler)
    assert seen == ["something a user should see"]
