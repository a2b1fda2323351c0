"""The `curate run` summary's next-step hint can be pasted into a shell as is."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from curate.cli.run import _report
from curate.engine.step import StepReport
from curate.pipeline import RunReport


@pytest.mark.parametrize("run_dir", ["runs/demo", "out dir/ünï 日本", "it's here"])
def test_inspect_hint_is_shell_quoted(run_dir: str, capsys: pytest.CaptureFixture[str]) -> None:
    ingest = StepReport("ingest", units=1, ran=1, results=[None], stats={"cpu_s": 0.5, "files": 3})
    _report(RunReport(Path(run_dir), shards=1, steps=[ingest]), as_json=False)
    hint = capsys.readouterr().out.splitlines()[-1]
    assert hint.startswith("inspect with: ")
    assert shlex.split(hint.removeprefix("inspect with: ")) == ["curate", "stats", run_dir]
