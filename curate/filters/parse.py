"""``parse@1``: tree-sitter structure signals per document.

Columns (nulls where a value does not exist, never magic numbers):

- ``parse_status``: ``ok``; ``error`` (the tree has ERROR or MISSING nodes); ``timeout`` (the
  parse, or the walk and query over its tree, would run over the document's time budget,
  ``timeout_s``, shared with every other pass over that tree: see curate/languages/budget.py); ``too_large`` (over ``max_doc_bytes``); ``no_grammar`` (no language, or
  no grammar for it). All other columns are null unless the status is ok or error.
- ``parse_error_fraction``: bytes covered by ERROR nodes / document bytes (MISSING nodes are
  zero-width: they make the status ``error`` but add no bytes).
- ``parse_node_count``: all nodes, named and anonymous, root included.
- ``parse_max_depth``: edges on the longest root-to-node path (a lone root is 0); only when
  ``max_depth`` is on (a Python walk over every node, about the cost of the parse), else null.
- ``parse_function_count`` / ``parse_class_count``: nodes of the language's function and
  class node types (see curate/languages/languages.toml); null when the table lists none.
- ``parse_comment_bytes``: bytes inside comment nodes (doc comments such as JSDoc/Javadoc
  included); null when the language has no comment node types tabulated.
- ``parse_docstring_bytes``: bytes of docstring string nodes (Python: the first statement of a
  module, class or function body when it is a string; Elixir: ``@doc``/``@moduledoc``); null
  for languages without docstrings.

These four come from one tree-sitter query over the whole tree (most of the annotator's cost
above the parse); with ``counts`` off they are null and no query runs.

``max_depth`` and ``counts`` are ``"auto"`` by default: a recipe turns each on only when one of
its policy rules, overrides, mixture columns or the dedup keep column reads a column it fills
(``curate.recipe_check.resolve_on_demand``), so a run computes them only when they are used
(``true`` computes them always, ``false`` never). Outside a recipe (an annotator built
directly, the datatrove step) ``"auto"`` means on for ``counts`` and off for ``max_depth``.

Trees come from the batch's ``TreeProvider`` (``curate.engine.trees``) so other annotators
share them; when ``parse@1`` is in a segment its ``timeout_s`` and ``max_doc_bytes`` are the
guards of every tree handed out (``tree_guards``). Statistics are computed on the budgeted
parse's tree before its source is attached; the source is attached only when a tree is handed
to another annotator (see docs/architecture.md). Documents over ``max_doc_bytes`` get status
``too_large`` from the engine's size guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import pyarrow as pa
from pydantic import Field
from tree_sitter import Node, Parser, QueryCursor, Tree

from curate.engine.annotator import Annotator, AnnotatorConfig, BatchContext, register
from curate.engine.trees import DEFAULT_MAX_DOC_BYTES, DEFAULT_TIMEOUT_S, TreeGuards, TreeProvider
from curate.languages.budget import (
    CHECK_EVERY,
    BudgetExceeded,
    TreeBudget,
    find_budget,
    run_query,
    structure,
)
from curate.languages.grammars import get_parser
from curate.languages.queries import node_queries, query_source
from curate.languages.registry import Language, find_language


class ParseConfig(AnnotatorConfig):
    max_doc_bytes: int = Field(DEFAULT_MAX_DOC_BYTES, gt=0)
    """Documents larger than this (UTF-8 bytes) are not parsed: status ``too_large``."""
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0)
    """Per-document parse time budget in seconds: status ``timeout`` when exceeded."""
    max_depth: bool | Literal["auto"] = "auto"
    """Compute ``parse_max_depth``. It needs a Python walk over every node, which costs about
    as much as the parse itself. ``"auto"``: on only when the recipe reads the column (a policy
    rule, override, mixture column); ``false``: the column is null and a policy rule that reads
    it is refused before the run (``curate check``)."""
    counts: bool | Literal["auto"] = "auto"
    """Compute ``parse_function_count``, ``parse_class_count``, ``parse_comment_bytes`` and
    ``parse_docstring_bytes``: one tree-sitter query over every node of every tree (0.25-0.4x
    the parse, the larger part of this annotator's cost above the parse itself). ``"auto"``: on
    only when the recipe reads one of them; off: those columns are null, no query runs (a tree
    with errors gets its ERROR bytes from a walk that enters only subtrees with errors) and a
    policy rule that reads them is refused before the run (``curate check``). Status, error
    fraction and node count are the same either way."""

    @property
    def counts_on(self) -> bool:
        """``counts`` with ``"auto"`` unresolved (no recipe) read as on."""
        return self.counts is not False

    @property
    def max_depth_on(self) -> bool:
        """``max_depth`` with ``"auto"`` unresolved (no recipe) read as off."""
        return self.max_depth is True


# --- tree statistics -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TreeStats:
    status: str
    error_fraction: float
    node_count: int
    max_depth: int | None
    function_count: int | None
    class_count: int | None
    comment_bytes: int | None
    docstring_bytes: int | None


_PREDICATE = re.compile(r"\(\s*#")
_NEEDS_SOURCE: dict[str, bool] = {}


def _needs_source(lang: Language) -> bool:
    """Whether the statistics query of ``lang`` has predicates (``#any-of?`` ...), which read
    node text and so need a tree with its source."""
    if lang.name not in _NEEDS_SOURCE:
        _NEEDS_SOURCE[lang.name] = bool(_PREDICATE.search(query_source(lang)))
    return _NEEDS_SOURCE[lang.name]


def max_depth(tree: Tree) -> int:
    """Longest root-to-node path in edges, walked iteratively with a TreeCursor (unbudgeted;
    ``tree_stats`` measures depth with ``curate.languages.budget.structure``)."""
    cursor = tree.walk()
    first_child = cursor.goto_first_child
    next_sibling = cursor.goto_next_sibling
    parent = cursor.goto_parent
    depth = deepest = 0
    while True:
        if first_child():
            depth += 1
            if depth > deepest:
                deepest = depth
            continue
        while not next_sibling():
            if not parent():
                return deepest
            depth -= 1


def covered_bytes(nodes: list[Node]) -> int:
    """Bytes covered by the union of the nodes' ranges (nested nodes count once)."""
    total = 0
    cur_start = cur_end = 0
    for start, end in sorted([node.byte_range for node in nodes]):  # query order: near sorted
        if start >= cur_end:
            total += cur_end - cur_start
            cur_start, cur_end = start, end
        elif end > cur_end:
            cur_end = end
    return total + cur_end - cur_start


def error_bytes(tree: Tree, budget: TreeBudget) -> int:
    """Bytes covered by the ERROR nodes of ``tree`` (nested ones count once), by a budgeted
    TreeCursor walk that enters only nodes with ``has_error`` and stops at each outermost
    ERROR node: on most trees with errors a small part of the tree. Raises
    ``BudgetExceeded``."""
    cursor = tree.walk()
    node = cursor.node
    if node.is_error:
        return node.end_byte - node.start_byte
    if not cursor.goto_first_child():
        return 0
    first_child = cursor.goto_first_child
    next_sibling = cursor.goto_next_sibling
    parent = cursor.goto_parent
    mask = CHECK_EVERY - 1
    total = visited = 0
    depth = 1
    with budget.running() as deadline:
        while True:
            node = cursor.node
            visited += 1
            if not visited & mask:
                deadline.check()
            if node.has_error:
                if node.is_error:
                    total += node.end_byte - node.start_byte
                elif first_child():
                    depth += 1
                    continue
            while not next_sibling():
                parent()
                depth -= 1
                if depth == 0:
                    return total


def tree_stats(
    tree: Tree,
    lang: Language,
    n_bytes: int,
    budget: TreeBudget | None = None,
    *,
    depth: bool = True,
    counts: bool = True,
) -> TreeStats:
    """All parse signals of one tree of ``lang`` over a document of ``n_bytes`` bytes
    (``max_depth`` None unless ``depth``; the query's counts and sizes None unless
    ``counts``).

    The walks and the query are charged to the document's ``budget`` (a fresh one of
    ``DEFAULT_TIMEOUT_S`` without it); raises ``BudgetExceeded`` when they do not fit. The
    query runs only when it yields a column (``counts`` and the language tabulates some node
    type); it then captures the ERROR nodes too, else ``error_bytes`` finds them."""
    if budget is None:
        budget = TreeBudget(DEFAULT_TIMEOUT_S)
    root = tree.root_node
    # depth, and the query's cost, before the query runs (run_query walks only if it must)
    deepest = structure(tree, budget).max_depth if depth else None
    queries = node_queries(lang) if counts else None
    if queries is not None and not queries.tabulated:
        queries = None
    captures: dict[str, list[Node]] = {}
    if queries is not None:
        captures = run_query(QueryCursor(queries.query), root, tree, budget)
    if root.has_error:
        status = "error"
        if queries is not None:
            covered = covered_bytes(captures.get("error", []))
        else:
            covered = error_bytes(tree, budget)
        error_fraction = covered / n_bytes if n_bytes else 0.0
    else:
        status, error_fraction = "ok", 0.0

    def count(capture: str, tabulated: bool) -> int | None:
        return len(captures.get(capture, ())) if tabulated else None

    def size(capture: str, tabulated: bool) -> int | None:
        return covered_bytes(captures.get(capture, [])) if tabulated else None

    q = queries
    return TreeStats(
        status=status,
        error_fraction=error_fraction,
        node_count=root.descendant_count,
        max_depth=deepest,
        function_count=count("function", q is not None and q.has_functions),
        class_count=count("class", q is not None and q.has_classes),
        comment_bytes=size("comment", q is not None and q.has_comments),
        docstring_bytes=size("doc", q is not None and q.has_docstrings),
    )


# --- the annotator -------------------------------------------------------------------------

OUTPUT_SCHEMA = pa.schema(
    [
        pa.field("parse_status", pa.string()),
        pa.field("parse_error_fraction", pa.float64()),
        pa.field("parse_node_count", pa.int64()),
        pa.field("parse_max_depth", pa.int32()),
        pa.field("parse_function_count", pa.int32()),
        pa.field("parse_class_count", pa.int32()),
        pa.field("parse_comment_bytes", pa.int64()),
        pa.field("parse_docstring_bytes", pa.int64()),
    ]
)
_STAT_COLUMNS = OUTPUT_SCHEMA.names[1:]
COUNT_COLUMNS = (
    "parse_function_count",
    "parse_class_count",
    "parse_comment_bytes",
    "parse_docstring_bytes",
)
_FIELD = {c: c.removeprefix("parse_") for c in _STAT_COLUMNS}
"""Output column -> ``TreeStats`` field."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """A language's parse set-up for one batch: its grammar's parser and whether the
    statistics need the tree's source."""

    lang: Language
    parser: Parser
    need_source: bool


@register
class ParseAnnotator(Annotator):
    """Tree-sitter parse status, error fraction and structure counts (see module doc)."""

    name = "parse"
    version = 1
    Config = ParseConfig
    output_schema = OUTPUT_SCHEMA
    config: ParseConfig

    status_column = "parse_status"

    def tree_guards(self) -> TreeGuards:
        return TreeGuards(self.config.timeout_s, self.config.max_doc_bytes)

    on_demand = MappingProxyType({"max_depth": ("parse_max_depth",), "counts": COUNT_COLUMNS})

    def _plan(self, name: str | None) -> _Plan | None:
        """How this annotator parses documents of the language called ``name`` (None: no
        grammar), resolved once per language per batch rather than once per document."""
        lang = find_language(name)
        if lang is None or lang.grammar is None:
            return None
        parser = get_parser(lang.name)
        if parser is None:
            return None
        return _Plan(lang, parser, self.config.counts_on and _needs_source(lang))

    def _stats(self, trees: TreeProvider, data: bytes, plan: _Plan) -> tuple[str, TreeStats | None]:
        # Not ctx.tree(i): that would attach the source, which these statistics never read
        # unless the language's query has text predicates. A tree another annotator already
        # asked for is reused (same cache).
        tree, status = trees.parse(plan.lang.name, data, need_source=plan.need_source)
        if tree is None:  # "parsed" without a tree: the re-attach found the budget spent
            return ("timeout" if status == "parsed" else status), None
        budget = find_budget(plan.parser, data) or TreeBudget(trees.timeout_s)
        try:
            stats = tree_stats(
                tree,
                plan.lang,
                len(data),
                budget,
                depth=self.config.max_depth_on,
                counts=self.config.counts_on,
            )
        except BudgetExceeded:
            return "timeout", None
        return stats.status, stats

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        n = batch.num_rows
        trees = ctx.trees or TreeProvider(self.tree_guards())
        names = ctx.column("language")
        plans: dict[str | None, _Plan | None] = {}
        # Columns a config option turns off are all null: built at once, not row by row.
        provided = self.provided_columns(self.config)
        filled = [c for c in _STAT_COLUMNS if c in provided]
        status: list[str] = []
        columns: dict[str, list[object]] = {c: [] for c in filled}
        appends = [(columns[c].append, _FIELD[c]) for c in filled]
        for i in range(n):
            name = names[i]
            if name in plans:
                plan = plans[name]
            else:
                plan = plans[name] = self._plan(name)
            if plan is None:
                row_status, stats = "no_grammar", None
            else:
                row_status, stats = self._stats(trees, ctx.content_bytes(i), plan)
            status.append(row_status)
            if stats is None:
                for append, _ in appends:
                    append(None)
            else:
                for append, field in appends:
                    append(getattr(stats, field))
        arrays = [pa.array(status, pa.string())]
        for c in _STAT_COLUMNS:
            kind = OUTPUT_SCHEMA.field(c).type
            arrays.append(pa.array(columns[c], kind) if c in columns else pa.nulls(n, kind))
        return pa.RecordBatch.from_arrays(arrays, schema=OUTPUT_SCHEMA)
