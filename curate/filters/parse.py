"""``parse@1``: tree-sitter structure signals per document.

Columns (nulls where a value does not exist, never magic numbers):

- ``parse_status``: ``ok``; ``error`` (the tree has ERROR or MISSING nodes); ``timeout`` (the
  parse, or the walk and query over its tree, would run over the document's time budget,
  ``timeout_s``, shared with every other pass over that tree: see curate/languages/budget.py); ``too_large`` (over ``max_doc_bytes``); ``no_grammar`` (no language, or
  no grammar for it). All other columns are null unless the status is ok or error.
- ``parse_error_fraction``: bytes covered by ERROR nodes / document bytes (MISSING nodes are
  zero-width: they make the status ``error`` but add no bytes).
- ``parse_node_count``: all nodes, named and anonymous, root included.
- ``parse_max_depth``: edges on the longest root-to-node path (a lone root is 0).
- ``parse_function_count`` / ``parse_class_count``: nodes of the language's function and
  class node types (see curate/languages/languages.toml); null when the table lists none.
- ``parse_comment_bytes``: bytes inside comment nodes (doc comments such as JSDoc/Javadoc
  included); null when the language has no comment node types tabulated.
- ``parse_docstring_bytes``: bytes of docstring string nodes (Python: the first statement of a
  module, class or function body when it is a string; Elixir: ``@doc``/``@moduledoc``); null
  for languages without docstrings.

Trees come from ``ctx.tree(i)`` so other annotators share them. The engine builds the batch
context with a tree provider: use ``make_tree_provider(config)`` (or the default module-level
``tree_provider``); it applies the size and time guards. Statistics are computed on the
budgeted parse's tree before its source is attached; the source is attached only when a tree
is handed to another annotator (see ``_RecentParses`` and docs/architecture.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
from pydantic import Field
from tree_sitter import Node, QueryCursor, Tree

from curate.engine.annotator import Annotator, AnnotatorConfig, BatchContext, empty_like, register
from curate.languages.budget import BudgetExceeded, TreeBudget, find_budget, run_query, structure
from curate.languages.grammars import attach_source, get_parser, parse_source_less
from curate.languages.queries import node_queries, query_source
from curate.languages.registry import Language, find_language

DEFAULT_TIMEOUT_S = 2.0
DEFAULT_MAX_DOC_BYTES = 1024 * 1024


class ParseConfig(AnnotatorConfig):
    max_doc_bytes: int = Field(DEFAULT_MAX_DOC_BYTES, gt=0)
    """Documents larger than this (UTF-8 bytes) are not parsed: status ``too_large``."""
    timeout_s: float = Field(DEFAULT_TIMEOUT_S, gt=0)
    """Per-document parse time budget in seconds: status ``timeout`` when exceeded."""


# --- tree provider -------------------------------------------------------------------------


@dataclass(slots=True)
class _Parsed:
    data: bytes  # held so that id(data) cannot be reused while the entry lives
    language: str
    tree: Tree | None
    status: str  # parsed | too_large | timeout
    has_source: bool


class _RecentParses:
    """The parses of the current batch, by the identity of its bytes object.

    ``parse@1`` computes its statistics on the source-less tree of the budgeted callback parse
    and stores it here; the source is attached (``parse(data, old_tree=tree)``, +10-45%) only
    when a tree is handed out through ``TreeProvider.__call__``, i.e. when another annotator
    asks ``ctx.tree(i)``. Entries hold their bytes object, so an id is never reused while its
    entry lives. The segment clears the cache before every batch; ``max_bytes`` bounds it for
    callers that never do (oldest entries go first; a miss only costs a parse)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: dict[int, _Parsed] = {}
        self.keep = True
        """False while no annotator of the batch will ask for a tree again: each tree is then
        freed right after its statistics (measured: holding a parse-only batch's trees made
        the segment ~5-8% slower)."""

    def get(self, language: str, data: bytes) -> _Parsed | None:
        entry = self.entries.get(id(data))
        if entry is not None and entry.data is data and entry.language == language:
            return entry
        return None

    def put(self, entry: _Parsed) -> None:
        if not self.keep:
            return
        old = self.entries.pop(id(entry.data), None)
        if old is not None:
            self.bytes -= len(old.data)
        while self.entries and self.bytes + len(entry.data) > self.max_bytes:
            evicted = self.entries.pop(next(iter(self.entries)))
            self.bytes -= len(evicted.data)
        self.entries[id(entry.data)] = entry
        self.bytes += len(entry.data)

    def clear(self) -> None:
        self.entries.clear()
        self.bytes = 0


_RECENT = _RecentParses(max_bytes=8 * 1024 * 1024)


def begin_batch(keep_trees: bool = True) -> None:
    """Forget the trees of the previous batch (called by the segment before each batch).

    ``keep_trees``: whether this batch's trees are kept for the annotators that read
    ``ctx.tree(i)`` after ``parse@1`` (the segment passes False when none of them does)."""
    _RECENT.clear()
    _RECENT.keep = keep_trees


class TreeProvider:
    """``(language, data) -> Tree | None`` with the parse size and time guards.

    Trees it returns always carry their source (``Node.text`` is safe)."""

    def __init__(
        self, timeout_s: float = DEFAULT_TIMEOUT_S, max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES
    ):
        self.timeout_s = timeout_s
        self.max_doc_bytes = max_doc_bytes

    def parse(
        self, language: str | None, data: bytes, *, need_source: bool = True
    ) -> tuple[Tree | None, str]:
        """The tree (or None) and a status: ``parsed``, ``no_grammar``, ``too_large`` or
        ``timeout``. With ``need_source=False`` the tree may lack its source: for range-based
        statistics inside this module only, never to be handed out."""
        parser = get_parser(language) if language else None
        if parser is None or language is None:
            return None, "no_grammar"
        entry = _RECENT.get(language, data)
        if entry is None:
            if len(data) > self.max_doc_bytes:
                entry = _Parsed(data, language, None, "too_large", False)
            else:
                tree = parse_source_less(parser, data, self.timeout_s)
                entry = _Parsed(data, language, tree, "parsed" if tree else "timeout", False)
            _RECENT.put(entry)
        if entry.tree is not None and need_source and not entry.has_source:
            entry.tree = attach_source(parser, data, entry.tree)
            entry.has_source = True
        return entry.tree, entry.status

    def __call__(self, language: str, data: bytes) -> Tree | None:
        return self.parse(language, data)[0]


def make_tree_provider(config: ParseConfig | None = None) -> TreeProvider:
    """A provider using the guards of a ``parse`` annotator config (defaults otherwise)."""
    config = config or ParseConfig()
    return TreeProvider(config.timeout_s, config.max_doc_bytes)


tree_provider = TreeProvider()
"""The default provider (2 s, 1 MiB) for ``BatchContext(batch, tree_provider)``."""


# --- tree statistics -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TreeStats:
    status: str
    error_fraction: float
    node_count: int
    max_depth: int
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


def tree_stats(
    tree: Tree, lang: Language, n_bytes: int, budget: TreeBudget | None = None
) -> TreeStats:
    """All parse signals of one tree of ``lang`` over a document of ``n_bytes`` bytes.

    The walk and the query are charged to the document's ``budget`` (a fresh one of
    ``DEFAULT_TIMEOUT_S`` without it); raises ``BudgetExceeded`` when they do not fit."""
    if budget is None:
        budget = TreeBudget(DEFAULT_TIMEOUT_S)
    root = tree.root_node
    shape = structure(tree, budget)  # depth, and the query's cost, before the query runs
    queries = node_queries(lang)
    captures: dict[str, list[Node]] = {}
    if queries is not None:
        captures = run_query(QueryCursor(queries.query), root, tree, budget)
    if root.has_error:
        status = "error"
        error_bytes = covered_bytes(captures.get("error", []))
        error_fraction = error_bytes / n_bytes if n_bytes else 0.0
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
        max_depth=shape.max_depth,
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


@register
class ParseAnnotator(Annotator):
    """Tree-sitter parse status, error fraction and structure counts (see module doc)."""

    name = "parse"
    version = 1
    Config = ParseConfig
    output_schema = OUTPUT_SCHEMA
    config: ParseConfig

    def setup(self) -> None:
        self._provider = make_tree_provider(self.config)

    def _stats(
        self, ctx: BatchContext, i: int, lang: Language | None
    ) -> tuple[str, TreeStats | None]:
        if lang is None or lang.grammar is None or get_parser(lang.name) is None:
            return "no_grammar", None
        data = ctx.content_bytes(i)
        if len(data) > self.config.max_doc_bytes:
            return "too_large", None
        # Not ctx.tree(i): that would attach the source, which these statistics never read
        # unless the language's query has text predicates. A tree another annotator already
        # asked for is reused (same cache).
        parser = get_parser(lang.name)
        tree, status = self._provider.parse(lang.name, data, need_source=_needs_source(lang))
        if tree is None:  # "parsed" without a tree: the re-attach found the budget spent
            return ("timeout" if status == "parsed" else status), None
        budget = find_budget(parser, data) or TreeBudget(self.config.timeout_s)
        try:
            stats = tree_stats(tree, lang, len(data), budget)
        except BudgetExceeded:
            return "timeout", None
        return stats.status, stats

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        n = batch.num_rows
        if not self.config.enabled:
            return empty_like(OUTPUT_SCHEMA, n)
        if not hasattr(self, "_provider"):  # annotate() without setup(): tests, notebooks
            self.setup()
        names = ctx.column("language")
        langs: dict[str | None, Language | None] = {}
        status: list[str] = []
        columns: dict[str, list[object]] = {c: [] for c in _STAT_COLUMNS}
        for i in range(n):
            name = names[i]
            if name not in langs:
                langs[name] = find_language(name)
            row_status, stats = self._stats(ctx, i, langs[name])
            status.append(row_status)
            values = (
                (None,) * len(_STAT_COLUMNS)
                if stats is None
                else (
                    stats.error_fraction,
                    stats.node_count,
                    stats.max_depth,
                    stats.function_count,
                    stats.class_count,
                    stats.comment_bytes,
                    stats.docstring_bytes,
                )
            )
            for column, value in zip(_STAT_COLUMNS, values, strict=True):
                columns[column].append(value)
        arrays = [pa.array(status, pa.string())]
        arrays += [pa.array(columns[c], OUTPUT_SCHEMA.field(c).type) for c in _STAT_COLUMNS]
        return pa.RecordBatch.from_arrays(arrays, schema=OUTPUT_SCHEMA)
