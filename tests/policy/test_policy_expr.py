"""The rule expression compiler: what compiles, what it means (nulls included), what is refused."""

from __future__ import annotations

import polars as pl
import pytest

from curate.errors import ConfigError
from curate.policy.expr import compile_expr, replace_threshold

FRAME = pl.DataFrame(
    {
        "n": [1, 5, None, 10],
        "x": [0.1, 0.5, 0.9, None],
        "lang": ["Python", "Go", None, "python"],
        "path": ["a/b.py", "c.go", "d.md", "tests/t.py"],
        "flag": [True, False, None, True],
    }
)


def run(source: str, params: dict | None = None) -> list:
    return FRAME.select(compile_expr("r", source, params).expr.alias("o"))["o"].to_list()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("n <= 5", [True, True, None, False]),
        ("1 < n < 10", [False, True, None, False]),
        ("n * 2 + 1 > 10", [False, True, None, True]),
        ("n // 3 == 1 or n % 5 == 0", [False, True, None, True]),
        ("not flag", [False, True, None, False]),
        ("lang in ['Python', 'Go']", [True, True, None, False]),
        ("lower(lang) not in ['python']", [False, True, None, False]),
        ("n is None", [False, False, True, False]),
        ("x is not None and x > 0.4", [False, True, True, False]),
        ("n > 3 and flag", [False, False, None, True]),  # Kleene: null and True = null
        ("n > 3 or flag", [True, True, None, True]),
        ("fill_null(n, 0) < 2", [True, False, True, False]),
        ("coalesce(n, 7) == 7", [False, False, True, False]),
        ("startswith(path, 'tests/') or endswith(path, '.md')", [False, False, True, True]),
        ("contains(path, '/') and matches(path, '\\\\.py$')", [True, False, False, True]),
        ("len(lang) == 2", [False, True, None, False]),
        ("max(n, 4) == 4", [True, False, True, False]),
        ("abs(-n) == n", [True, True, None, True]),
        ("(n if n is not None else 0) >= 1", [True, True, False, True]),
        ("n <= limit", [True, False, None, False]),
    ],
)
def test_expression_semantics(source: str, expected: list) -> None:
    assert run(source, {"limit": 3}) == expected


def test_columns_are_collected_and_params_excluded() -> None:
    compiled = compile_expr("r", "n <= limit and lower(lang) in ['go'] and x is None", {"limit": 3})
    assert compiled.columns == {"n", "lang", "x"}


@pytest.mark.parametrize(
    ("source", "token"),
    [
        ("n.__class__", "n.__class__"),
        ("__import__('os').system('x')", "__import__"),
        ("open('f')", "open"),
        ("lambda: 1", "lambda: 1"),
        ("n[0] > 1", "n[0]"),
        ("[i for i in n]", "[i for i in n]"),
        ("n in other", "other"),
        ("n is 3", "3"),
        ("n ** 2 > 1", "n ** 2"),
        ("startswith(path, lang)", "lang"),
        ("len(n, x)", "len(n, x)"),
        ("n > true", "true"),
        ("f'{n}'", "f'{n}'"),
    ],
)
def test_disallowed_syntax_names_rule_and_token(source: str, token: str) -> None:
    with pytest.raises(ConfigError) as err:
        compile_expr("my_rule", source)
    assert "'my_rule'" in str(err.value) and token in str(err.value)


def test_syntax_error_is_config_error() -> None:
    with pytest.raises(ConfigError, match="'my_rule': cannot parse"):
        compile_expr("my_rule", "n <= ")


def test_replace_threshold() -> None:
    assert replace_threshold("r", "max_line_length <= 1000", 2000) == "max_line_length <= 2000"
    assert replace_threshold("r", "x >= 0.25", 0.1) == "x >= 0.1"
    with pytest.raises(ConfigError, match="exactly one number"):
        replace_threshold("r", "1 < n < 10", 3)
