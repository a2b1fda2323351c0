"""The language table: shape, validation, and every node type checked against its grammar."""

from __future__ import annotations

from pathlib import Path

import pytest

from curate.errors import UserError
from curate.languages import all_languages, get_language
from curate.languages.grammars import get_ts_language
from curate.languages.queries import node_queries
from curate.languages.registry import TABLE_PATH, find_language, load_registry

REQUIRED = [
    "Python", "C", "C++", "C#", "Objective-C", "JavaScript", "TypeScript", "TSX", "Java", "Go",
    "Rust", "Shell", "Markdown", "JSON", "YAML", "TOML", "HTML", "CSS", "SQL", "Dockerfile",
    "Makefile", "MATLAB", "Perl", "Prolog", "PHP", "Ruby", "Kotlin", "Swift", "Dart", "Scala",
    "R", "Lua", "Haskell", "PowerShell", "Groovy", "Elixir", "Julia", "Clojure", "Erlang",
    "OCaml", "F#", "Fortran", "Assembly", "Visual Basic .NET", "Vue", "CMake", "Zig",
]  # fmt: skip


def test_required_languages_present_with_expected_grammars() -> None:
    names = {lang.name for lang in all_languages()}
    assert set(REQUIRED) <= names
    assert get_language("C++").grammar == "cpp"
    assert get_language("C#").grammar == "csharp"
    assert get_language("Shell").grammar == "bash"
    assert get_language("Prolog").grammar is None


def test_lookup_by_alias_is_case_insensitive() -> None:
    assert get_language("python") is get_language("PYTHON") is get_language("py")
    assert get_language("cpp").name == "C++"
    assert find_language("no-such-language") is None
    assert find_language(None) is None
    with pytest.raises(KeyError):
        get_language("no-such-language")


def test_languages_are_frozen() -> None:
    lang = get_language("Go")
    with pytest.raises(AttributeError):
        lang.grammar = "rust"  # type: ignore[misc]


def test_comment_syntax_fields() -> None:
    assert get_language("Python").line_comment == "#"
    assert get_language("C").block_comment == ("/*", "*/")
    assert get_language("SQL").line_comment == "--"


@pytest.mark.parametrize("lang", [lang for lang in all_languages() if lang.grammar], ids=str)
def test_every_tabulated_node_type_exists_in_its_grammar(lang) -> None:
    ts_lang = get_ts_language(lang.name)
    assert ts_lang is not None, f"{lang.grammar} does not load"
    for spec in lang.function_nodes + lang.class_nodes + lang.comment_nodes:
        node, _, field = spec.partition(":")
        assert ts_lang.id_for_node_kind(node, True) is not None, f"{lang.name}: {node}"
        if field:
            assert ts_lang.field_id_for_name(field) is not None, f"{lang.name}: {spec}"


def test_shared_extension_without_heuristic_is_rejected(tmp_path: Path) -> None:
    table = tmp_path / "t.toml"
    table.write_text(
        '[[language]]\nname = "A"\nkind = "data"\nextensions = [".x"]\n'
        '[[language]]\nname = "B"\nkind = "data"\nextensions = [".x"]\n'
    )
    with pytest.raises(UserError, match=r"'\.x' claimed by"):
        load_registry(table)


def test_unknown_key_and_bad_kind_are_rejected(tmp_path: Path) -> None:
    table = tmp_path / "t.toml"
    table.write_text('[[language]]\nname = "A"\nkind = "data"\ncolour = "red"\n')
    with pytest.raises(UserError, match="colour"):
        load_registry(table)
    table.write_text('[[language]]\nname = "A"\nkind = "code"\n')
    with pytest.raises(UserError, match="kind"):
        load_registry(table)


def test_packaged_table_loads_and_every_heuristic_has_rules() -> None:
    reg = load_registry(TABLE_PATH)
    assert {".h", ".m", ".pl", ".ts", ".inc", ".v", ".cls"} <= set(reg.heuristics)
    assert all(h.rules for h in reg.heuristics.values())


@pytest.mark.parametrize("lang", [lang for lang in all_languages() if lang.grammar], ids=str)
def test_counting_query_compiles(lang) -> None:
    queries = node_queries(lang)
    assert queries is not None
    names = {queries.query.capture_name(i) for i in range(queries.query.capture_count)}
    assert "error" in names
    assert ("function" in names) == bool(lang.function_nodes)
    assert ("doc" in names) == (lang.docstring_query is not None)
