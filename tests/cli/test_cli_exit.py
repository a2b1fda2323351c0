"""`curate` ends without the interpreter's teardown, but with everything anyone can observe of
an ordinary exit: the exit status, flushed output, joined threads, atexit handlers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from curate.cli._exit import TEARDOWN_ENV, exit_code

SCRIPT = """
import atexit, sys, threading, time
from curate.cli._exit import exit_now
atexit.register(lambda: print("atexit ran", flush=True))
def late():
    time.sleep(0.2)
    print("thread done")
threading.Thread(target=late).start()
import concurrent.futures
pool = concurrent.futures.ThreadPoolExecutor(2)  # idle workers, never shut down
pool.submit(int).result()
sys.stdout.write("buffered ")
exit_now({code!r})
"""


def _run(code: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(code=code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(("code", "status"), [(0, 0), (3, 3), (None, 0), ("bye", 1)])
def test_exit_now_keeps_status_output_threads_and_atexit(code: object, status: int) -> None:
    proc = _run(code)
    assert proc.returncode == status
    assert proc.stdout == "buffered thread done\natexit ran\n"
    assert proc.stderr == ("bye\n" if code == "bye" else "")


def test_teardown_env_exits_the_usual_way() -> None:
    proc = _run(4, {TEARDOWN_ENV: "1"})
    assert proc.returncode == 4
    assert proc.stdout == "buffered thread done\natexit ran\n"


def test_exit_code_follows_sys_exit() -> None:
    assert exit_code(None) == 0
    assert exit_code(2) == 2
    assert exit_code(False) == 0


def test_cli_status_and_error_line() -> None:
    cli = [sys.executable, "-m", "curate.cli"]
    ok = subprocess.run([*cli, "--version"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and ok.stdout.startswith("curate ")
    bad = subprocess.run(
        [*cli, "run", "/nonexistent/recipe.toml"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: /nonexistent/recipe.toml: pipeline recipe not found"
    ]
