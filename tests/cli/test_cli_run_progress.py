"""`curate run` outside a terminal: plain progress lines per step on stderr (none with --quiet),
then the time table on stdout."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from curate.cli import _load_commands, app

RECIPE = Path(__file__).resolve().parents[2] / "pipelines" / "demo.toml"


def _corpus(root: Path) -> Path:
    for r in range(3):
        repo = root / "repos" / f"repo{r}"
        (repo / "src").mkdir(parents=True)
        (repo / "README.md").write_text(f"# repo {r}\n\nA small project for the progress test.\n")
        for i in range(4):
            body = "\n".join(f"    total += {j} * x  # step {j}" for j in range(i + r + 3))
            (repo / "src" / f"mod{i}.py").write_text(
                f'"""Module {i} of repo {r}."""\n\n\ndef f{i}(x):\n    total = 0\n{body}\n'
                "    return total\n"
            )
    return root / "repos"


def _run(tmp_path: Path, *extra: str, env: dict[str, str]):
    inputs = _corpus(tmp_path / "in")
    out = tmp_path / "run"
    _load_commands()
    args = ["run", str(RECIPE), "--input", str(inputs), "--output", str(out), "--runner", "local"]
    return CliRunner().invoke(app, [*args, *extra], env=env)


def _stderr(res) -> str:  # click >= 8.2 keeps stderr apart; older ones mix it into output
    try:
        return res.stderr
    except ValueError:
        return res.output


def test_non_tty_run_prints_progress_lines_and_the_time_table(tmp_path: Path) -> None:
    res = _run(tmp_path, env={"CURATE_PROGRESS": "0"})
    assert res.exit_code == 0, res.output
    err = _stderr(res)
    lines = re.findall(r"^(\S[^:\n]*): (\d+)/(\d+) units(.*), [\d.]+ s$", err, re.MULTILINE)
    steps = {name for name, *_ in lines}
    assert any("ingest" in name for name in steps), err
    for name, done, total, _ in lines:
        assert 1 <= int(done) <= int(total), (name, done, total)
    ingest_line = next(rest for name, _, _, rest in lines if "ingest" in name)
    assert "files" in ingest_line and "MB/s" in ingest_line, ingest_line
    assert "\r" not in err  # no terminal control in a log
    table = res.stdout
    assert "this run, by step" in table and "max RSS MB" in table
    assert re.search(r"^\s+ingest\s+\d+", table, re.MULTILINE), table


def test_quiet_run_prints_no_progress(tmp_path: Path) -> None:
    res = _run(tmp_path, "--quiet", env={"CURATE_PROGRESS": "0"})
    assert res.exit_code == 0, res.output
    assert not re.search(r"\d+/\d+ units", _stderr(res)), _stderr(res)
    assert "this run, by step" in res.stdout
