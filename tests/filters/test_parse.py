"""parse@1 on small hand-written files: exact counts, errors, guards, shared trees."""

from __future__ import annotations

import pyarrow as pa
import pytest

from curate.engine.annotate import annotate_batch
from curate.engine.annotator import REGISTRY, BatchContext
from curate.engine.trees import TreeProvider
from curate.filters.parse import (
    COUNT_COLUMNS,
    OUTPUT_SCHEMA,
    ParseAnnotator,
    ParseConfig,
    covered_bytes,
    error_bytes,
)

PY = '''"""Module docstring."""
# leading comment
import os


class Greeter:
    """Greets people."""

    def __init__(self, name):
        self.name = name  # trailing

    def greet(self):
        return f"hi {self.name}"


def shout(text):
    'Shout it.'
    upper = lambda s: s.upper()
    return upper(text)
'''

JS = """/** Adds two numbers. */
function add(a, b) { return a + b; }
const mul = (a, b) => a * b;  // arrow
class Counter {
  constructor() { this.n = 0; }
  inc() { return ++this.n; }
}
const f = function () {};
"""

JAVA = """/** A point. */
public class Point {
    private final int x; // x coord
    public Point(int x) { this.x = x; }
    public int getX() { return x; }
    interface Shape { double area(); }
    enum Color { RED, GREEN }
    Runnable r = () -> {};
}
"""

GO = """// Package geo does shapes.
package geo

type Point struct{ X, Y int }

type Shape interface{ Area() float64 }

func (p Point) Norm() int { return p.X*p.X + p.Y*p.Y }

func New() Point {
	f := func() int { return 1 }
	return Point{f(), 2}
}
"""

RUST = """/// A point.
struct Point { x: i32 }
enum E { A, B }
trait T { fn f(&self); }
impl T for Point { fn f(&self) {} }
fn main() { let c = |x: i32| x + 1; /* inline */ c(1); }
"""

C = """/* list utils */
struct node { int v; struct node *next; };
struct node *head;   // declaration only
static int len(struct node *n) { int k = 0; while (n) { k++; n = n->next; } return k; }
int main(void) { return len(head); }
"""

ELIXIR = '''defmodule Greeter do
  @moduledoc """
  Says hello.
  """
  @doc "Greets."
  def hello(name), do: "hi " <> name
  @spec bye() :: :ok
  def bye, do: :ok
end
'''


def _batch(contents: list[str], languages: list[str | None]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {"content": contents, "language": languages},
        schema=pa.schema([("content", pa.large_string()), ("language", pa.string())]),
    )


def annotate(
    contents: list[str],
    languages: list[str | None],
    config: ParseConfig | None = None,
    provider: TreeProvider | None = None,
) -> list[dict]:
    """parse@1 as the engine runs it (size guard, the tree provider with its guards), or
    directly on a context with ``provider`` when one is given."""
    batch = _batch(contents, languages)
    annotator = ParseAnnotator(config)
    if provider is None:
        (out,) = annotate_batch([annotator], batch)
    else:
        out = annotator.annotate(batch, BatchContext(batch, provider))
    assert out.schema == OUTPUT_SCHEMA
    assert out.num_rows == batch.num_rows
    return out.to_pylist()


def test_registered_under_versioned_key() -> None:
    assert REGISTRY["parse"] is ParseAnnotator
    assert ParseAnnotator.key() == "parse@1"


def test_python_counts_are_exact() -> None:
    (row,) = annotate([PY], ["Python"], ParseConfig(max_depth=True))
    assert row["parse_status"] == "ok"
    assert row["parse_error_fraction"] == 0.0
    assert row["parse_function_count"] == 4  # __init__, greet, shout, the lambda
    assert row["parse_class_count"] == 1
    assert row["parse_comment_bytes"] == len("# leading comment") + len("# trailing")
    docstrings = ['"""Module docstring."""', '"""Greets people."""', "'Shout it.'"]
    assert row["parse_docstring_bytes"] == sum(map(len, docstrings))
    assert row["parse_node_count"] > 50
    assert row["parse_max_depth"] >= 6


@pytest.mark.parametrize(
    ("source", "language", "functions", "classes", "comments"),
    [
        # add, arrow, constructor, inc, function expression; JSDoc counts as a comment
        (JS, "JavaScript", 5, 1, ["/** Adds two numbers. */", "// arrow"]),
        # constructor, getX, lambda (the bodiless interface method is not a function)
        (JAVA, "Java", 3, 3, ["/** A point. */", "// x coord"]),
        # Norm, New, the func literal; struct and interface types
        (GO, "Go", 3, 2, ["// Package geo does shapes."]),
        # impl f, main, the closure (the trait's bodiless f is a signature); struct, enum, trait
        (RUST, "Rust", 3, 3, ["/// A point.\n", "/* inline */"]),
        # len, main; only the struct with a body is a definition
        (C, "C", 2, 1, ["/* list utils */", "// declaration only"]),
    ],
)
def test_counts_in_other_languages(source, language, functions, classes, comments) -> None:
    (row,) = annotate([source], [language])
    assert row["parse_status"] == "ok"
    assert row["parse_function_count"] == functions
    assert row["parse_class_count"] == classes
    assert row["parse_comment_bytes"] == sum(map(len, comments))
    assert row["parse_docstring_bytes"] is None  # no docstring concept: null, not 0


def test_elixir_docstrings_from_doc_attributes() -> None:
    (row,) = annotate([ELIXIR], ["Elixir"])
    assert row["parse_status"] == "ok"
    assert row["parse_docstring_bytes"] == len('"""\n  Says hello.\n  """') + len('"Greets."')
    assert row["parse_comment_bytes"] == 0
    assert row["parse_function_count"] is None  # not tabulated for Elixir


def test_syntax_error_fraction_is_the_error_span() -> None:
    src = "x = 1\n$$$ ?\ny = 2\n"
    (row,) = annotate([src], ["Python"])
    assert row["parse_status"] == "error"
    assert row["parse_error_fraction"] == pytest.approx(len("$$$ ?") / len(src))


def test_missing_node_is_an_error_without_bytes() -> None:
    (row,) = annotate(["def f(:\n    pass\n"], ["Python"])
    assert row["parse_status"] == "error"
    assert row["parse_error_fraction"] == 0.0
    assert row["parse_function_count"] == 1


def test_statuses_without_a_tree_have_null_signals() -> None:
    rows = annotate(
        ["x", "parent(a, b).", "print(1)\n" * 50],
        [None, "Prolog", "Python"],
        ParseConfig(max_doc_bytes=100),
    )
    assert [r["parse_status"] for r in rows] == ["no_grammar", "no_grammar", "too_large"]
    for row in rows:
        assert all(row[c] is None for c in OUTPUT_SCHEMA.names[1:])


def test_timeout_is_reported_and_batch_continues() -> None:
    slow = "x = " + "a+" * 400_000 + "a\n"  # ~1 s to parse; the budget is 10 ms
    config = ParseConfig(timeout_s=0.01)
    rows = annotate([slow, "y = 1\n"], ["Python", "Python"], config)
    assert rows[0]["parse_status"] == "timeout"
    assert rows[0]["parse_node_count"] is None
    assert rows[1]["parse_status"] == "ok"


def test_works_without_a_context_tree_provider() -> None:
    config = ParseConfig(timeout_s=0.01)
    slow = "x = " + "a+" * 400_000 + "a\n"
    batch = _batch([PY, slow], ["Python", "Python"])
    rows = ParseAnnotator(config).annotate(batch, BatchContext(batch, None)).to_pylist()
    assert rows[0]["parse_status"] == "ok"
    assert rows[0]["parse_function_count"] == 4
    assert rows[1]["parse_status"] == "timeout"


def test_shared_trees_keep_their_source() -> None:
    """Trees handed to other annotators must support Node.text (callback trees segfault)."""
    batch = pa.RecordBatch.from_pydict({"content": [GO], "language": ["Go"]})
    ctx = BatchContext(batch, TreeProvider())
    tree = ctx.tree(0)
    assert tree is not None
    assert tree.root_node.text == GO.encode()
    ParseAnnotator().annotate(batch, ctx)
    assert ctx.tree(0) is tree


def test_trees_are_kept_for_the_batch_only_when_asked() -> None:
    """The engine keeps a batch's trees only when a later annotator reads ``ctx.tree``;
    otherwise every tree is freed right after its statistics. Statistics are the same."""
    from curate.filters import load_all

    load_all()
    assert REGISTRY["quality"].uses_trees and REGISTRY["license"].uses_trees
    assert not REGISTRY["parse"].uses_trees and not REGISTRY["secrets"].uses_trees
    provider = TreeProvider()
    provider.begin_batch(keep_trees=False)
    dropped = annotate([PY, JS], ["Python", "JavaScript"], provider=provider)
    assert provider.cached == 0
    provider.begin_batch(keep_trees=True)
    kept = annotate([PY, JS], ["Python", "JavaScript"], provider=provider)
    assert provider.cached == 2
    assert dropped == kept


def test_segment_keeps_trees_only_for_tree_readers(tmp_path) -> None:
    """A parse-only segment frees trees as it goes; with a tree reader it keeps them."""
    from curate.engine.annotate import AnnotatorSpec, annotate_shard
    from curate.engine.stats import StepStats
    from curate.filters import load_all
    from curate.rundir import RunDir, write_table_atomic
    from curate.schema import DOCUMENTS

    run = RunDir.at(tmp_path)
    rows = {name: [None] * 2 for name in DOCUMENTS.names}
    rows.update(
        doc_uid=["a", "b"], content=[PY, JS], language=["Python", "JavaScript"],
        path=["a.py", "b.js"], repo=["r", "r"], size_bytes=[len(PY), len(JS)],
        shard_id=["s", "s"], content_sha=["1", "2"], source_uri=["u", "u"],
        encoding=["utf-8", "utf-8"],
    )  # fmt: skip
    write_table_atomic(
        pa.Table.from_pydict(rows, schema=DOCUMENTS), RunDir.shard_file(run.documents, "s")
    )
    seen: list[bool] = []
    original = ParseAnnotator.annotate

    def spy(self, batch, ctx):  # records whether trees are kept during parse@1
        seen.append(ctx.trees.keeps_trees)
        return original(self, batch, ctx)

    ParseAnnotator.annotate = spy  # type: ignore[method-assign]
    try:
        parse = AnnotatorSpec(ParseAnnotator, ParseConfig())
        annotate_shard(run, "s", [parse], StepStats())
        load_all()
        quality = AnnotatorSpec(REGISTRY["quality"], REGISTRY["quality"].Config())
        annotate_shard(run, "s", [parse, quality], StepStats())
    finally:
        ParseAnnotator.annotate = original  # type: ignore[method-assign]
    assert seen == [False, True]


def test_disabled_returns_nulls() -> None:
    rows = annotate([PY], ["Python"], ParseConfig(enabled=False))
    assert all(v is None for v in rows[0].values())


def test_config_rejects_unknown_and_bad_values() -> None:
    with pytest.raises(ValueError):
        ParseConfig(timeout=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        ParseConfig(timeout_s=0)


def test_empty_and_non_ascii_documents() -> None:
    src = "s = 'héllo ✓'\n€€ ?\n"
    rows = annotate(["", src], ["Python", "Python"])
    assert rows[0]["parse_status"] == "ok"
    assert rows[0]["parse_error_fraction"] == 0.0
    assert rows[0]["parse_node_count"] == 1
    assert rows[1]["parse_status"] == "error"
    # byte offsets, not characters: the ERROR node is the UTF-8 span of "€€ ?"
    assert rows[1]["parse_error_fraction"] == pytest.approx(
        len("€€ ?".encode()) / len(src.encode())
    )


BROKEN = {
    # nested and scattered ERROR nodes, a MISSING node, a whole-file error
    "Python": ["x = 1\n$$$ ?\ny = (2\ndef f(:\n  pass\n", "def f(:\n    pass\n", "))) (((\n"],
    "JavaScript": ["function f( { return [1, 2; }\nlet x = @@;\nclass {", "}}}{{{"],
    "C": ["int main( { return 0 }\nstruct s { int ; };\n#if\n", "/* open"],
    "JSON": ['{"a": [1, 2,, 3], "b": }', "[[[["],
    "CSV": ['a,b\n"1,2\n3,4\n'],
}


@pytest.mark.parametrize(
    ("language", "source"), [(lang, src) for lang, srcs in BROKEN.items() for src in srcs]
)
def test_error_walk_covers_the_bytes_of_every_error_node(language, source) -> None:
    """``error_bytes`` (the walk into subtrees with errors) finds what a query of every ERROR
    node finds."""
    from tree_sitter import Query, QueryCursor

    from curate.languages.budget import TreeBudget
    from curate.languages.grammars import get_parser, get_ts_language

    tree = get_parser(language).parse(source.encode())
    query = Query(get_ts_language(language), "(ERROR) @error")
    errors = QueryCursor(query).captures(tree.root_node).get("error", [])
    assert error_bytes(tree, TreeBudget(2.0)) == covered_bytes(errors)


def test_without_counts_the_query_columns_are_null_and_the_rest_is_the_same() -> None:
    sources = [PY, JS, RUST, ELIXIR, *BROKEN["Python"], *BROKEN["JavaScript"], *BROKEN["JSON"]]
    languages = ["Python", "JavaScript", "Rust", "Elixir"] + ["Python"] * 3
    languages += ["JavaScript"] * 2 + ["JSON"] * 2
    full = annotate(sources, languages)
    fast = annotate(sources, languages, ParseConfig(counts=False))
    counted = set(COUNT_COLUMNS)
    assert any(row["parse_status"] == "error" and row["parse_error_fraction"] > 0 for row in fast)
    for row, ref in zip(fast, full, strict=True):
        assert all(row[c] is None for c in counted)
        assert {k: v for k, v in row.items() if k not in counted} == {
            k: v for k, v in ref.items() if k not in counted
        }
    assert full[0]["parse_function_count"] == 4


def test_columns_provided_follow_the_config() -> None:
    default = ParseAnnotator.provided_columns(ParseConfig())  # "auto": on if a rule reads it
    assert default == set(OUTPUT_SCHEMA.names)
    assert ParseAnnotator.provided_columns(ParseConfig(max_depth=False)) == set(
        OUTPUT_SCHEMA.names
    ) - {"parse_max_depth"}
    fast = ParseAnnotator.provided_columns(ParseConfig(counts=False, max_depth=True))
    assert fast == set(OUTPUT_SCHEMA.names) - set(COUNT_COLUMNS)
