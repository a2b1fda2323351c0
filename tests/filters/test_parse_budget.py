"""One time budget per document for every pass over its tree (curate/languages/budget.py).

Pathological inputs: runs of anonymous tokens that tree-sitter puts side by side in one ERROR
node (unclosed ``{`` in C, ``[`` in JSON/JavaScript, ``(`` in Python). Parsing them is linear
(15-30 ms here) but a query over the tree is quadratic: measured without the budget (CPU s,
one core), the stats query over 100k unclosed C braces takes 7.5 s and over 60k JSON ``[``,
JavaScript ``[`` or Python ``(`` 2.6-2.9 s, 25-75x the 0.1 s budget used here. Normal generated files must
give exactly the values of the unbudgeted code (reimplemented below from the same primitives).

No timing assertions beyond generous bounds (the machine is shared): the status and nulls are
what is asserted.
"""

from __future__ import annotations

import time

import pyarrow as pa
import pytest
from tree_sitter import QueryCursor

from curate.dedup.ts_tokens import (
    FALLBACK_TIMEOUT,
    TREE_SITTER,
    _kind_table,
    _leaf_tokens,
    tree_sitter_tokens,
)
from curate.engine.annotator import BatchContext
from curate.engine.trees import TreeProvider
from curate.filters.parse import (
    OUTPUT_SCHEMA,
    ParseAnnotator,
    ParseConfig,
    TreeStats,
    covered_bytes,
    max_depth,
)
from curate.filters.quality.annotator import QualityAnnotator
from curate.filters.quality.lang_signals import _C_MAIN, _PY_FUNC, _query, _trivial_statement
from curate.languages import get_parser
from curate.languages.budget import (
    SIBLING_STEP_S,
    BudgetExceeded,
    TreeBudget,
    document_budget,
    find_budget,
    fits_without_walk,
    forget_documents,
    run_query,
    structure,
    worst_sibling_steps,
)
from curate.languages.grammars import attach_source, parse_source_less, parse_with_budget
from curate.languages.queries import node_queries
from curate.languages.registry import find_language
from curate.mix.deps import extract_imports
from curate.mix.fim import leaf_boundaries

BUDGET_S = 0.1
GENEROUS_S = 20 * BUDGET_S + 1.0  # loaded 2-core machine: never a tight bound

PATHOLOGICAL = {
    "C": "int f() " + "{" * 100_000,
    "JSON": "[" * 60_000,
    "JavaScript": "let a = " + "[" * 60_000,
    "Python": "x = " + "(" * 60_000,
}


def normal_files() -> dict[str, list[str]]:
    """Generated ordinary files (no third-party code), some with errors, some deep or wide."""
    c = [
        "".join(f"/* f{i} */\nint f{i}(int x) {{ return x + {i}; }}\n" for i in range(300)),
        "#include <stdio.h>\nstruct P { int x; };\nint main(void) { return 0; }\n" * 3,
        "int f() { " + "if (x) { " * 200 + "y++;" + " }" * 200 + " }\n",
        "int broken( { return ; \n#define X(a) a\nint ok = 1;\n",
    ]
    py = [
        '"""Doc."""\nimport os\n'
        + "".join(f"def f{i}(x):\n    '''d'''\n    return x * {i}  # c\n\n\n" for i in range(300)),
        "import os\nfrom a import b\n__all__ = ['b']\n",
        "class A:\n    def f(self):\n        pass\n    def g(self):\n        ...\n",
        "x = " + "(" * 300 + "1" + ")" * 300 + "\n",
        "def broken(:\n    return [1, 2\n",
    ]
    js = [
        "".join(f"function f{i}(a) {{ return [a, {i}]; }} // c\n" for i in range(300)),
        "class K { m() { return 1; } }\nconst g = () => { /* x */ };\n",
        "const a = " + "[" * 300 + "1" + "]" * 300 + ";\n",
    ]
    json = [
        "[" + ",".join(str(i) for i in range(20_000)) + "]",
        '{"a": {"b": [1, 2, {"c": null}]}}',
    ]
    return {"C": c, "Python": py, "JavaScript": js, "JSON": json}


def reference_stats(tree, lang, n_bytes: int) -> TreeStats:  # type: ignore[no-untyped-def]
    """parse@1's statistics as computed before the budget (unbudgeted query and walk)."""
    root = tree.root_node
    q = node_queries(lang)
    captures = QueryCursor(q.query).captures(root) if q is not None else {}
    status = "error" if root.has_error else "ok"
    err = covered_bytes(captures.get("error", [])) / n_bytes if root.has_error and n_bytes else 0.0

    def count(name: str, tab: bool) -> int | None:
        return len(captures.get(name, ())) if tab else None

    def size(name: str, tab: bool) -> int | None:
        return covered_bytes(captures.get(name, [])) if tab else None

    return TreeStats(
        status=status,
        error_fraction=err,
        node_count=root.descendant_count,
        max_depth=max_depth(tree),
        function_count=count("function", q is not None and q.has_functions),
        class_count=count("class", q is not None and q.has_classes),
        comment_bytes=size("comment", q is not None and q.has_comments),
        docstring_bytes=size("doc", q is not None and q.has_docstrings),
    )


def annotate_parse(
    texts: list[str], languages: list[str], timeout_s: float, max_depth: bool = True
) -> list[dict]:
    config = ParseConfig(timeout_s=timeout_s, max_depth=max_depth)
    batch = pa.RecordBatch.from_pydict(
        {"content": texts, "language": languages, "path": [f"f{i}" for i in range(len(texts))]}
    )
    out = ParseAnnotator(config).annotate(
        batch, BatchContext(batch, TreeProvider(ParseAnnotator(config).tree_guards()))
    )
    return out.to_pylist()


@pytest.fixture(autouse=True)
def _fresh_budgets():
    forget_documents()
    yield
    forget_documents()


# --- parse@1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", sorted(PATHOLOGICAL))
def test_parse_stats_of_a_pathological_tree_time_out_fast(language: str) -> None:
    text = PATHOLOGICAL[language]
    start = time.monotonic()
    rows = annotate_parse([text, "1\n" if language == "JSON" else "x;\n"], [language] * 2, BUDGET_S)
    elapsed = time.monotonic() - start
    assert rows[0]["parse_status"] == "timeout"
    assert all(rows[0][c] is None for c in OUTPUT_SCHEMA.names[1:])
    assert rows[1]["parse_status"] in {"ok", "error"}  # the next document is unaffected
    assert rows[1]["parse_node_count"] is not None
    assert elapsed < GENEROUS_S


def test_the_query_cost_model_flags_only_anonymous_runs() -> None:
    """The same token count as named siblings is cheap for the query, and is not refused."""
    parser = get_parser("JSON")
    named = parse_with_budget(parser, b"[1" * 60_000, 5.0, TreeBudget(5.0))
    anonymous = parse_with_budget(parser, b"[" * 60_000, 5.0, TreeBudget(5.0))
    assert structure(named, TreeBudget(5.0)).sibling_steps < 100_000
    steps = structure(anonymous, TreeBudget(5.0)).sibling_steps
    assert steps * SIBLING_STEP_S > 2.0  # predicted: seconds of query work
    lang = find_language("JSON")
    with pytest.raises(BudgetExceeded):
        run_query(
            QueryCursor(node_queries(lang).query), anonymous.root_node, anonymous, TreeBudget(2.0)
        )
    result = run_query(
        QueryCursor(node_queries(lang).query), named.root_node, named, TreeBudget(2.0)
    )
    assert "error" in result


@pytest.mark.parametrize("language", sorted(normal_files()))
def test_parse_stats_of_normal_files_are_unchanged(language: str) -> None:
    texts = normal_files()[language]
    rows = annotate_parse(texts, [language] * len(texts), 2.0)
    lang = find_language(language)
    parser = get_parser(language)
    for text, row in zip(texts, rows, strict=True):
        data = text.encode()
        ref = reference_stats(parser.parse(data), lang, len(data))
        assert row["parse_status"] == ref.status
        assert row["parse_error_fraction"] == pytest.approx(ref.error_fraction, abs=0)
        assert row["parse_node_count"] == ref.node_count
        assert row["parse_max_depth"] == ref.max_depth
        assert row["parse_function_count"] == ref.function_count
        assert row["parse_class_count"] == ref.class_count
        assert row["parse_comment_bytes"] == ref.comment_bytes
        assert row["parse_docstring_bytes"] == ref.docstring_bytes


@pytest.mark.parametrize("language", ["Python", "C", "JavaScript"])
def test_without_depth_only_the_depth_is_null(language: str) -> None:
    texts = normal_files()[language]
    with_depth = annotate_parse(texts, [language] * len(texts), 2.0)
    forget_documents()
    without = annotate_parse(texts, [language] * len(texts), 2.0, max_depth=False)
    for full, row in zip(with_depth, without, strict=True):
        assert row["parse_max_depth"] is None
        assert full["parse_max_depth"] is not None
        assert {k: v for k, v in row.items() if k != "parse_max_depth"} == {
            k: v for k, v in full.items() if k != "parse_max_depth"
        }


def test_small_tree_query_runs_without_the_walk() -> None:
    lang = find_language("Python")
    tree = get_parser("Python").parse(b"def f(x):\n    return x + 1\n")
    budget = TreeBudget(2.0)
    run_query(QueryCursor(node_queries(lang).query), tree.root_node, tree, budget)
    assert budget.structure is None  # the C-side bound fitted: no Python walk


# --- the shared budget -----------------------------------------------------------------------


def test_a_document_keeps_one_budget_across_passes() -> None:
    parser = get_parser("C")
    data = b"int main(void) { return 0; }\n"
    budget = document_budget(parser, data, 2.0)
    assert document_budget(parser, data, 2.0) is budget
    assert find_budget(parser, data) is budget
    assert document_budget(parser, data[:1] + data[1:], 2.0) is not budget  # other bytes
    assert document_budget(parser, data, 1.0) is not budget  # other timeout: a new budget
    assert find_budget(get_parser("Python"), data) is None
    tree = parse_source_less(parser, data, 1.0)
    spent = find_budget(parser, data).spent
    assert tree is not None and spent > 0
    assert attach_source(parser, data, tree) is not None
    assert find_budget(parser, data).spent > spent  # the re-attach is charged to it too


def test_a_spent_budget_stops_every_later_pass() -> None:
    parser = get_parser("Python")
    data = b"def f():\n    pass\n"
    budget = TreeBudget(1.0)
    tree = parse_source_less(parser, data, 1.0, budget)
    assert tree is not None and budget.parse_s is not None
    # Less left than the parse took: the re-attach (which cannot be cancelled) is not tried.
    budget.spent = budget.timeout_s - budget.parse_s / 2
    assert attach_source(parser, data, tree, budget) is None
    assert budget.exceeded and budget.left() == 0.0
    with pytest.raises(BudgetExceeded):
        structure(tree, budget)
    assert parse_source_less(parser, data, 1.0, budget) is None


def test_a_pass_is_charged_and_marks_the_budget_only_when_it_runs_over() -> None:
    budget = TreeBudget(1.0)
    with budget.running() as deadline:
        assert 0.0 < deadline.left() <= 1.0
    assert budget.spent > 0 and not budget.exceeded
    with pytest.raises(ValueError), budget.running():  # another error: charged, not over
        raise ValueError
    assert not budget.exceeded
    spent = budget.spent
    with pytest.raises(BudgetExceeded), budget.running():
        raise BudgetExceeded
    assert budget.exceeded and budget.spent >= spent and budget.left() == 0.0
    with pytest.raises(BudgetExceeded), budget.running():
        pytest.fail("a spent budget starts no pass")


def test_a_walk_stops_within_its_deadline() -> None:
    data = ("".join(f"x{i} = {i}\n" for i in range(100_000))).encode()  # ~300k nodes
    tree = parse_with_budget(get_parser("Python"), data, 10.0, TreeBudget(10.0))
    full = TreeBudget(10.0)
    assert structure(tree, full).max_depth == max_depth(tree)
    tiny = TreeBudget(1e-4)
    start = time.monotonic()
    with pytest.raises(BudgetExceeded):
        structure(tree, tiny)
    assert tiny.exceeded and time.monotonic() - start < GENEROUS_S


# --- quality@1 tree signals --------------------------------------------------------------------


def annotate_quality(texts: list[str], languages: list[str], timeout_s: float) -> list[dict]:
    parse_config = ParseConfig(timeout_s=timeout_s)
    batch = pa.RecordBatch.from_pydict(
        {"content": texts, "language": languages, "path": [f"f{i}" for i in range(len(texts))]}
    )
    ctx = BatchContext(batch, TreeProvider(ParseAnnotator(parse_config).tree_guards()))
    return QualityAnnotator().annotate(batch, ctx).to_pylist()


def test_quality_tree_signals_over_budget_are_null_with_a_status() -> None:
    texts = [PATHOLOGICAL["C"], PATHOLOGICAL["Python"], "int main(void) { return 0; }\n", "a\n"]
    langs = ["C", "Python", "C", "Markdown"]
    start = time.monotonic()
    rows = annotate_quality(texts, langs, BUDGET_S)
    assert time.monotonic() - start < 2 * GENEROUS_S
    assert [r["tree_signals_status"] for r in rows] == ["timeout", "timeout", "ok", None]
    assert rows[0]["main_function_count"] is None
    assert rows[1]["import_only"] is None and rows[1]["pass_only_function_fraction"] is None
    assert rows[2]["main_function_count"] == 1
    assert rows[0]["line_count"] == 1  # the text signals are still there


def test_quality_tree_signals_of_normal_files_are_unchanged() -> None:
    files = normal_files()
    texts = files["C"] + files["Python"]
    langs = ["C"] * len(files["C"]) + ["Python"] * len(files["Python"])
    rows = annotate_quality(texts, langs, 2.0)
    for text, lang, row in zip(texts, langs, rows, strict=True):
        assert row["tree_signals_status"] == "ok"
        tree = get_parser(lang).parse(text.encode())
        if lang == "C":
            caps = QueryCursor(_query(tree.language, _C_MAIN)).captures(tree.root_node)
            assert row["main_function_count"] == len(caps.get("name", []))
        else:
            bodies = QueryCursor(_query(tree.language, _PY_FUNC)).captures(tree.root_node)
            bodies = bodies.get("body", [])
            trivial = sum(all(_trivial_statement(s) for s in b.named_children) for b in bodies)
            expected = trivial / len(bodies) if bodies else None
            assert row["pass_only_function_fraction"] == expected


# --- dedup tokens, FIM, dependency order -------------------------------------------------------


def test_dedup_tokens_fall_back_when_over_budget_and_are_unchanged_otherwise() -> None:
    tokens, status = tree_sitter_tokens(PATHOLOGICAL["C"] * 3, "C", 0.005)
    assert (tokens, status) == (None, FALLBACK_TIMEOUT)
    table = _kind_table("C").tolist()
    for text in normal_files()["C"]:
        tokens, status = tree_sitter_tokens(text, "C", 2.0)
        data = text.encode()
        assert status == TREE_SITTER
        assert tokens == _leaf_tokens(get_parser("C").parse(data), data, table)


def test_fim_boundaries_fall_back_to_line_starts_when_over_budget() -> None:
    text = PATHOLOGICAL["C"] + "\nint x;\n"
    assert leaf_boundaries("c", text, timeout_s=0.001) == leaf_boundaries(None, text)
    normal = normal_files()["C"][0]
    cuts = leaf_boundaries("c", normal)
    assert cuts != leaf_boundaries(None, normal)  # leaf edges, not just line starts
    assert {normal.index("int f1"), normal.index("int f1") + 3} <= set(cuts)


def test_import_extraction_treats_over_budget_as_no_tree() -> None:
    head = '#include "util.h"\nint f() '
    assert extract_imports("c", (head + "{" * 100_000).encode(), 0.1) == []
    assert extract_imports("c", (head + "{ return 0; }\n").encode(), 1.0) == ["util.h"]


def _python_module(functions: int) -> bytes:
    body = "    total = 0\n    for i in range(n):\n        total += i * (i + 1) % 7\n    return total\n"
    return "".join(f"def f{i}(n):\n{body}\n" for i in range(functions)).encode()


@pytest.mark.parametrize(
    ("language", "source"),
    [
        ("Python", _python_module(2_000)),
        ("JSON", b"[" + b", ".join(b'{"k": [1, 2, "x"]}' for _ in range(5_000)) + b"]"),
        ("JSON", b"[" * 3_000),
        ("C", b"int main(void) { return 0; }\n" * 3_000),
    ],
)
def test_walk_free_bound_is_never_below_the_walked_steps(language: str, source: bytes) -> None:
    tree = parse_with_budget(get_parser(language), source, 5.0, TreeBudget(5.0))
    walked = structure(tree, TreeBudget(5.0)).sibling_steps
    nodes = tree.root_node.descendant_count
    for limit in (0.0, 1e3, 1e6, 1e9):
        bound = worst_sibling_steps(tree, limit)
        assert walked <= bound <= nodes * nodes // 2


def test_large_ordinary_tree_fits_without_a_walk_and_anonymous_runs_do_not() -> None:
    big = parse_with_budget(get_parser("Python"), _python_module(2_000), 5.0, TreeBudget(5.0))
    assert big.root_node.descendant_count > 40_000  # the plain N²/2 bound would not fit 2 s
    assert fits_without_walk(big, TreeBudget(2.0))
    runs = parse_with_budget(get_parser("JSON"), b"[" * 60_000, 5.0, TreeBudget(5.0))
    assert not fits_without_walk(runs, TreeBudget(2.0))
