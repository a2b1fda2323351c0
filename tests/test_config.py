from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from curate.config import load_pipeline, parse_pipeline
from curate.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "recipe", sorted((ROOT / "pipelines").glob("*.toml")), ids=lambda p: p.name
)
def test_bundled_recipes_validate(recipe: Path) -> None:
    cfg = load_pipeline(recipe)
    assert cfg.run.name
    assert cfg.ingest.max_file_bytes > 0


def test_unknown_key_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"run\.wrokers: unknown key"):
        parse_pipeline({"run": {"wrokers": 2}})


def test_bad_value_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"run\.shard_target_bytes"):
        parse_pipeline({"run": {"shard_target_bytes": "lots"}})


def test_unknown_section_and_annotator() -> None:
    with pytest.raises(ConfigError, match="unknown section"):
        parse_pipeline({"filters": {}})
    with pytest.raises(ConfigError, match=r"annotators\.nope: unknown annotator"):
        parse_pipeline({"annotators": {"nope": {}}})


def test_policy_expression_checked_when_the_recipe_loads() -> None:
    rules = [{"name": "long", "expr": "max_line_length >"}]
    with pytest.raises(ConfigError, match=r"policy: policy rule 'long': cannot parse") as err:
        parse_pipeline({"policy": {"rules": rules}})
    assert "Value error" not in str(err.value)


def test_flags_override_recipe() -> None:
    cfg = parse_pipeline({"run": {"workers": 2, "output": "a"}}).with_run(output="b", workers=None)
    assert cfg.run.output == "b"
    assert cfg.run.workers == 2
    assert cfg.fingerprint("ingest") == parse_pipeline({}).fingerprint("ingest")


def test_cli_config_error_is_one_line_exit_2(tmp_path: Path) -> None:
    recipe = tmp_path / "bad.toml"
    recipe.write_text("[run]\nworkers = 'two'\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from curate.cli import main; main()", "run", str(recipe)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "run.workers" in lines[0]
    assert "Traceback" not in proc.stderr


def test_run_section_reads_alone_with_the_flags_applied(tmp_path: Path) -> None:
    """``read_run_section``: the ``[run]`` section and command-line overrides, as ``load_pipeline``
    gives them, without the other sections; None when the recipe does not read (the full load
    then reports why, with its usual message)."""
    from curate.config import read_run_section

    recipe = tmp_path / "r.toml"
    recipe.write_text("[run]\nworkers = 2\noutput = 'a'\n[annotators.parse]\n")
    run = read_run_section(recipe, output="b", workers=None, runner=None)
    assert run == load_pipeline(recipe).with_run(output="b", workers=None, runner=None).run
    assert (run.output, run.workers, run.runner) == ("b", 2, "ray")
    for text in ("[run]\nworkers = 'two'\n", "[run\n", "run = 3\n"):
        recipe.write_text(text)
        assert read_run_section(recipe) is None
        with pytest.raises(ConfigError):
            load_pipeline(recipe)
    assert read_run_section(tmp_path / "missing.toml") is None
    recipe.write_text("[run]\nworkers = 1\n[annotators.nope]\n")  # [run] reads, the rest not
    assert read_run_section(recipe) is not None
