"""`curate check` warns about policy rules reading columns nothing in the recipe writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curate.cli import _load_commands, app
from curate.config import load_pipeline, parse_pipeline
from curate.recipe_check import unprovided_policy_columns

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("recipe", sorted((ROOT / "pipelines").glob("*.toml")), ids=str)
def test_bundled_recipes_read_only_provided_columns(recipe: Path) -> None:
    assert unprovided_policy_columns(load_pipeline(recipe)) == {}


def test_typo_in_a_rule_column_is_reported() -> None:
    cfg = parse_pipeline(
        {
            "annotators": {"quality": {}},
            "policy": {
                "rules": [
                    {"name": "long", "expr": "max_line_lenght <= 1000"},
                    {"name": "dense", "expr": "secret_density < 3", "optional": True},
                ]
            },
        }
    )
    found = unprovided_policy_columns(cfg)
    assert found["long"] == ({"max_line_lenght"}, False)
    assert found["dense"] == ({"secret_density"}, True)  # no [annotators.secrets]
    assert "syntax_errors" in found  # built-in rule needs parse@1, not configured here
    assert "max_line_length" not in found  # quality@1 writes it


def test_cli_check_fails_on_a_misspelled_rule_column(tmp_path: Path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        "[annotators.quality]\n[policy]\ndefaults = false\n"
        "[[policy.rules]]\nname = 'long'\nexpr = 'max_line_lenght <= 1000'\n"
    )
    _load_commands()
    res = CliRunner().invoke(app, ["check", str(recipe)])
    assert res.exit_code == 2
    assert res.stderr.strip() == (
        f"error: {recipe}: policy rule 'long' reads max_line_lenght, which no enabled "
        "annotator or step of this recipe writes (the policy step would fail)"
    )
    assert res.stdout.startswith("1 error(s): ")
    as_json = CliRunner().invoke(app, ["check", str(recipe), "--json"])
    assert as_json.exit_code == 2
    data = json.loads(as_json.stdout)
    assert data["ok"] is False and data["problems"][0]["key"] == "policy.rules.long"
    assert data["config"]["annotators"]["quality"]["ngram"] == 5


def test_cli_check_fails_on_a_mixture_column_nothing_writes(tmp_path: Path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text("[annotators.quality]\n[mixture]\ncolumns = ['quality_score']\n")
    _load_commands()
    res = CliRunner().invoke(app, ["check", str(recipe)])
    assert res.exit_code == 2 and "mixture.columns: quality_score" in res.stderr
    recipe.write_text("[annotators.quality]\n[mixture]\ncolumns = ['max_line_length']\n")
    ok = CliRunner().invoke(app, ["check", str(recipe)])
    assert ok.exit_code == 0 and ok.stdout.startswith("ok: ")


@pytest.mark.parametrize("recipe", sorted((ROOT / "pipelines").glob("*.toml")), ids=str)
def test_bundled_recipes_check_clean(recipe: Path) -> None:
    _load_commands()
    res = CliRunner().invoke(app, ["check", str(recipe), "--json"])
    assert res.exit_code == 0, res.stderr
    assert json.loads(res.stdout)["ok"] is True
