"""Policy configuration from TOML: defaults, merging, overrides, and clear errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from curate.errors import ConfigError
from curate.policy import PolicyConfig, decide, load_policy
from curate.policy.config import RuleConfig, default_rules

TOML = """
[policy]
name = "strict"

[[policy.rules]]
name = "max_line_length"
expr = "max_line_length <= 500"

[[policy.rules]]
name = "license"
expr = "license_category == 'permissive'"
reason = "license:{license_category}"

[[policy.overrides]]
rule = "max_line_length"
extensions = [".sql"]
threshold = 4000

[[policy.overrides]]
rule = "alnum_fraction"
languages = ["brainfuck"]
disable = true
"""


def test_load_merges_with_builtin_rules_in_place(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(TOML)
    cfg = load_policy(path)
    names = [r.name for r in cfg.rules]
    builtin = [r.name for r in default_rules()]
    assert names == [*builtin, "license"]
    assert cfg.rule("max_line_length").expr == "max_line_length <= 500"
    assert cfg.overrides[0].extensions == [".sql"]


def test_overrides_apply_per_extension_and_language() -> None:
    cfg = PolicyConfig(
        defaults=False,
        rules=[{"name": "max_line_length", "expr": "max_line_length <= 1000"}],
        overrides=[
            {"rule": "max_line_length", "extensions": ["sql"], "threshold": 4000},
            {
                "rule": "max_line_length",
                "languages": ["markdown"],
                "expr": "max_line_length <= 20000",
            },
        ],
    )
    frame = pl.DataFrame(
        {
            "doc_uid": ["a", "b", "c", "d", "e"],
            "path": ["q.SQL", "q.sql", "x.py", "README.md", "notes"],
            "language": ["SQL", "SQL", "Python", "Markdown", None],
            "max_line_length": [3000, 5000, 3000, 15000, 1500],
        }
    )
    out = decide(frame, cfg).collect()
    assert out["keep"].to_list() == [True, False, False, True, False]
    # Markdown's built-in override disables the rule, but user overrides win.
    assert out["drop_rule"].to_list() == [
        None,
        "max_line_length",
        "max_line_length",
        None,
        "max_line_length",
    ]


def test_null_semantics_pass_by_default_fail_when_asked() -> None:
    frame = pl.DataFrame({"doc_uid": ["a", "b"], "score": [0.9, None]})
    passing = PolicyConfig(defaults=False, rules=[{"name": "q", "expr": "score >= 0.5"}])
    failing = PolicyConfig(
        defaults=False, rules=[{"name": "q", "expr": "score >= 0.5", "on_null": "fail"}]
    )
    assert decide(frame, passing).collect()["keep"].to_list() == [True, True]
    assert decide(frame, failing).collect()["keep"].to_list() == [True, False]


def test_disabled_rule_has_no_column() -> None:
    cfg = PolicyConfig(
        defaults=False,
        rules=[{"name": "a", "expr": "n > 1", "enabled": False}, {"name": "b", "expr": "n > 0"}],
    )
    out = decide(pl.DataFrame({"doc_uid": ["x"], "n": [1]}), cfg).collect()
    assert "rule_a" not in out.columns and out["keep"].to_list() == [True]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[policy]\ncolour = 1\n", "policy.colour"),
        ("[[policy.rules]]\nname = 'bad name'\nexpr = 'x > 1'\n", "identifier"),
        ("[[policy.rules]]\nname = 'a'\n", "expr"),
        (
            "[[policy.overrides]]\nrule = 'nope'\nlanguages = ['Go']\ndisable = true\n",
            "unknown rule 'nope'",
        ),
        ("[[policy.overrides]]\nrule = 'max_line_length'\ndisable = true\n", "needs languages"),
        ("[[policy.overrides]]\nrule = 'max_line_length'\nlanguages = ['Go']\n", "exactly one of"),
        (
            "[[policy.rules]]\nname = 'a'\nexpr = 'x > 1'\n[[policy.rules]]\nname = 'a'\nexpr = 'x > 2'\n",
            "duplicate",
        ),
        ("[policy\n", "invalid TOML"),
        # Expressions are compiled when the recipe loads (curate check, start of curate run),
        # not by the policy step after ingest and annotation.
        ("[[policy.rules]]\nname = 'a'\nexpr = 'x >'\n", r"rule 'a': cannot parse"),
        ("[[policy.rules]]\nname = 'a'\nexpr = 'foo(x) > 1'\n", r"rule 'a': unknown function"),
        (
            "[[policy.rules]]\nname = 'a'\nexpr = 'x > 1'\n[[policy.overrides]]\nrule = 'a'\n"
            "languages = ['Go']\nexpr = 'x >'\n",
            r"overrides\.0: policy rule 'a': cannot parse",
        ),
    ],
)
def test_bad_policy_toml_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_policy(path)


def test_bad_expression_is_rejected_with_rule_name() -> None:
    with pytest.raises(ValidationError, match="'evil'"):
        PolicyConfig(defaults=False, rules=[{"name": "evil", "expr": "__import__('os')"}])
    # A config built without validation still fails safely when deciding.
    rule = RuleConfig.model_construct(name="evil", expr="__import__('os')", params={})
    cfg = PolicyConfig(defaults=False).model_copy(update={"rules": [rule]})
    with pytest.raises(ConfigError, match="'evil'"):
        decide(pl.DataFrame({"doc_uid": ["a"]}), cfg)


def test_error_message_has_no_pydantic_prefix(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[[policy.overrides]]\nrule = 'max_line_length'\ndisable = true\n")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert "Value error" not in str(err.value)


def test_pipeline_recipes_policy_sections_validate() -> None:
    root = Path(__file__).resolve().parents[2] / "pipelines"
    for recipe in sorted(root.glob("*.toml")):
        cfg = load_policy(recipe)
        if not cfg.defaults:
            continue  # dedup_only.toml: no quality rules by design
        assert [r.name for r in cfg.rules][: len(default_rules())] == [
            r.name for r in default_rules()
        ]


def test_builtin_overrides_keep_type_stubs_and_prose() -> None:
    frame = pl.DataFrame(
        {
            "doc_uid": ["stub", "py", "md"],
            "path": ["pkg/api.pyi", "pkg/api.py", "docs/guide.md"],
            "language": ["Python", "Python", "Markdown"],
            "pass_only_function_fraction": [1.0, 1.0, None],
            "max_line_length": [40, 40, 3000],
        }
    )
    cfg = PolicyConfig(
        defaults=False,
        rules=[
            {"name": "pass_only", "expr": "pass_only_function_fraction <= 0.9"},
            {"name": "max_line_length", "expr": "max_line_length <= 1000"},
        ],
    )
    out = decide(frame, cfg).collect()
    assert out["keep"].to_list() == [True, False, True]
    assert decide(frame, cfg.model_copy(update={"builtin_overrides": False})).collect()[
        "keep"
    ].to_list() == [
        False,
        False,
        False,
    ]


def test_builtin_markup_override_allows_longer_mean_lines() -> None:
    frame = pl.DataFrame(
        {
            "doc_uid": ["widget", "page", "script"],
            "path": ["templates/widget.html", "templates/one_line.html", "app.py"],
            "language": ["HTML", "HTML", "Python"],
            "mean_line_length": [112.0, 260.0, 112.0],
        }
    )
    cfg = PolicyConfig(
        defaults=False, rules=[{"name": "mean_line_length", "expr": "mean_line_length <= 100"}]
    )
    assert decide(frame, cfg).collect()["keep"].to_list() == [True, False, False]
