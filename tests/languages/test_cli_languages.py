"""`curate languages` through the real entry point: one line per language, JSON with --json."""

from __future__ import annotations

import json
import subprocess
import sys

from curate.languages import all_languages


def run_cli(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", "from curate.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_languages_json_lists_every_language_with_grammar_status() -> None:
    records = [json.loads(line) for line in run_cli("languages", "--json").splitlines()]
    assert [r["name"] for r in records] == [lang.name for lang in all_languages()]
    by_name = {r["name"]: r for r in records}
    assert by_name["Python"]["grammar"] == "python"
    assert by_name["Python"]["grammar_loads"] is True
    assert ".py" in by_name["Python"]["extensions"]
    assert by_name["Prolog"]["grammar"] is None
    assert by_name["Prolog"]["grammar_loads"] is False


def test_languages_table_output() -> None:
    lines = run_cli("languages").splitlines()
    assert len(lines) == len(all_languages())
    rust = next(line for line in lines if line.startswith("Rust "))
    assert "rust" in rust and "yes" in rust and ".rs" in rust
