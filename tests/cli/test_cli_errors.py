"""User mistakes end in one `error: ...` line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# One interpreter for all commands (each `curate` start costs about a second).
SCRIPT = """
import sys
from curate.cli import run_cli
for argv in sys.argv[1:]:
    sys.argv = ["curate", *argv.split("\\x1f")]
    try:
        run_cli()
    except SystemExit as e:
        print(f"<<exit {e.code}>>", file=sys.stderr, flush=True)
"""

RUN_COMMANDS = [
    ["stats", "{run}"],
    ["explain", "{run}", "abc"],
    ["whatif", "{run}", "--set", "max_line_length.threshold=1"],
    ["dups", "{run}"],
    ["mix", "{run}"],
    ["card", "{run}"],
]


def _run_all(commands: list[list[str]]) -> list[tuple[int, list[str]]]:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, *("\x1f".join(c) for c in commands)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    out: list[tuple[int, list[str]]] = []
    lines: list[str] = []
    for line in proc.stderr.splitlines():
        if line.startswith("<<exit "):
            out.append((int(line[7:-2]), lines))
            lines = []
        else:
            lines.append(line)
    assert len(out) == len(commands), proc.stderr
    return out


@pytest.mark.parametrize("kind", ["missing", "empty_dir", "a_file"])
def test_commands_on_a_non_run_path(tmp_path: Path, kind: str) -> None:
    run = tmp_path / "run"
    if kind == "empty_dir":
        run.mkdir()
    elif kind == "a_file":
        run.write_text("x")
    commands = [[a.format(run=run) for a in c] for c in RUN_COMMANDS]
    for command, (code, lines) in zip(commands, _run_all(commands), strict=True):
        assert code != 0, command
        assert len(lines) == 1 and lines[0].startswith("error: "), (command, lines)
        assert "not a run directory" in lines[0] or "not a directory" in lines[0], (command, lines)
