"""Run the ``curate`` command line in a child process, as a user would."""

from __future__ import annotations

import subprocess
import sys


def run_curate(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``curate ARGS...`` with this interpreter; output captured as text, exit status not checked."""
    return subprocess.run(
        [sys.executable, "-c", "from curate.cli import main; main()", *args],
        capture_output=True, text=True, check=False, env=env, timeout=timeout,
    )  # fmt: skip
