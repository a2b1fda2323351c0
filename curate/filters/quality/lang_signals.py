"""Language-specific signals read from the shared tree-sitter tree.

- Python: ``import_only`` (every top-level statement is an import, ``__all__``/docstring or
  ``pass``) and ``pass_only_function_fraction`` (functions whose body is only ``pass``, ``...``
  or a docstring).
- C / C++: ``main_function_count`` (definitions of ``main``; more than one means a
  concatenation of programs or a test dump).

Values are null when the language does not apply or no tree is available. Every pass over a
tree is charged to the document's time budget (``curate.languages.budget``): over it,
``language_signals`` raises ``BudgetExceeded`` and the annotator leaves the values null with
``tree_signals_status = "timeout"``.

Cost: given the document's bytes (``data``), the signals work on the source-less tree that
``parse@1`` already built and run no query over it. A query visits every node (about 15 MB/s
of source); instead the few places where a match can be are found in the bytes with one regex
(``def`` keywords, ``main`` identifiers) and each is checked with
``descendant_for_byte_range`` and its parents. That gives exactly the query's matches:

- ``main``: the query's ``#eq? @name "main"`` means the identifier's bytes are ``main``, so
  every match starts at an occurrence of ``main`` in the bytes (all occurrences are checked);
- ``def``: every ``function_definition`` has a ``def`` keyword child, which is never followed
  by an identifier character, so the regex finds every one, except a MISSING (zero-width)
  keyword that error recovery may insert: trees with errors run the query as before.

Trees that the query would have been refused for (``run_query``'s cost prediction) are refused
here too, so the statuses stay what the query-based signals gave.
"""

from __future__ import annotations

import re
from typing import Any

from tree_sitter import Query, QueryCursor

from curate.languages.budget import (
    SIBLING_STEP_S,
    BudgetExceeded,
    TreeBudget,
    fits_without_walk,
    run_query,
    structure,
)
from curate.languages.grammars import DEFAULT_TIMEOUT_S

PYTHON = {"python"}
C_LIKE = {"c", "c++", "cpp", "objective-c", "cuda"}

_QUERIES: dict[tuple[int, str], Query] = {}
_PY_FUNC = "(function_definition body: (block) @body)"
_C_MAIN = """(function_definition declarator: (function_declarator
              declarator: (identifier) @name (#eq? @name "main")))"""
_PY_DEF = re.compile(rb"def(?![A-Za-z0-9_])")
"""A keyword ``def`` is never followed by an identifier character (that would make it part of
an identifier). No look-behind: it costs Python's ``re`` its literal search (15x slower); the
few ``xdef`` candidates are rejected by the tree."""
_MAIN = re.compile(rb"main")
_CHECK_EVERY = 64
"""Candidates between two looks at the deadline."""

_IMPORTS = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
_TRIVIAL = frozenset({"pass_statement", "comment", "string", "ellipsis", "concatenated_string"})


def _query(language: Any, source: str) -> Query:
    key = (id(language), source)
    if key not in _QUERIES:
        _QUERIES[key] = Query(language, source)
    return _QUERIES[key]


def _unwrap(node: Any) -> Any:
    """Grammar versions differ in wrapping expressions in ``expression_statement``."""
    if node.type == "expression_statement" and node.named_child_count == 1:
        return node.named_child(0)
    return node


def _trivial_statement(node: Any) -> bool:
    return _unwrap(node).type in _TRIVIAL


_MAYBE_TRIVIAL = re.compile(rb"""pass(?![A-Za-z0-9_])|\.|#|[rRbBuUfFtT]{0,2}['"]|\s""")
"""How a trivial statement (``pass``, ``...``, a string, a comment) can begin; a body whose
first byte does not match starts with a real statement (the ``\\s`` case is only cautious)."""


def _trivial_body(body: Any, data: bytes | None = None) -> bool:
    """Every statement of ``body`` is trivial. Most bodies start with a real statement: with
    ``data``, one regex at the body's first byte says so without reading the tree; else the
    first statement is read alone. The list of all statements is built only when the first one
    is trivial (``named_child(k)`` is O(k): a loop of them would be quadratic)."""
    count = body.named_child_count
    if count == 0:
        return True
    if data is not None and not _MAYBE_TRIVIAL.match(data, body.start_byte):
        return False
    if not _trivial_statement(body.named_child(0)):
        return False
    if count > 1 and not _trivial_statement(body.named_child(1)):
        return False  # a docstring, then code: the common case, read without the list
    return count <= 2 or all(_trivial_statement(s) for s in body.named_children[2:])


def _node_bytes(node: Any, data: bytes | None) -> bytes | None:
    """``node.text`` read from ``data`` (source-less trees have no text)."""
    return node.text if data is None else data[node.start_byte : node.end_byte]


def _check_query_fits(tree: Any, budget: TreeBudget) -> None:
    """Raise ``BudgetExceeded`` where ``run_query`` would refuse a query over ``tree``."""
    if fits_without_walk(tree, budget):
        return
    steps = structure(tree, budget).sibling_steps
    if steps * SIBLING_STEP_S > budget.left():
        budget.exceeded = True
        raise BudgetExceeded


_BODY_FIELDS: dict[int, int] = {}


def _body_field(language: Any) -> int:
    """The grammar's field id of ``body`` (``child_by_field_id`` skips the name lookup)."""
    key = id(language)
    if key not in _BODY_FIELDS:
        _BODY_FIELDS[key] = language.field_id_for_name("body")
    return _BODY_FIELDS[key]


def _python_bodies(tree: Any, data: bytes | None, budget: TreeBudget) -> list[Any]:
    """The ``block`` bodies of every function definition (the captures of ``_PY_FUNC``), from
    the query (a tree with errors, or no ``data``); else see ``_function_bodies``."""
    cursor = QueryCursor(_query(tree.language, _PY_FUNC))
    return run_query(cursor, tree.root_node, tree, budget).get("body", [])


def _function_bodies(tree: Any, data: bytes, budget: TreeBudget) -> tuple[int, int]:
    """``(bodies, trivial)``: the ``block`` bodies of every function definition (the
    captures of ``_PY_FUNC``) and those with only trivial statements, from the ``def``
    keywords of ``data`` (an error-free tree)."""
    _check_query_fits(tree, budget)
    descendant = tree.root_node.named_descendant_for_byte_range
    body_field = _body_field(tree.language)
    bodies = trivial = 0
    with budget.running() as deadline:
        for k, match in enumerate(_PY_DEF.finditer(data)):
            if not k % _CHECK_EVERY:
                deadline.check()
            start = match.start()
            # The smallest named node over the ``def`` bytes: a function_definition only when
            # they are its keyword (its other anonymous children are never ``def``; inside a
            # name, string or comment that node is found instead), one call and no .parent.
            function = descendant(start, start + 3)
            if function is None or function.type != "function_definition":
                continue
            body = function.child_by_field_id(body_field)
            if body is not None and body.type == "block":
                bodies += 1
                trivial += _trivial_body(body, data)
    return bodies, trivial


def _import_only(root: Any, data: bytes | None) -> bool:
    """Every top-level statement is an import, a trivial statement or ``__all__`` (and there
    is an import); stops at the first statement that is none of these (a cursor: no list of
    every top-level node)."""
    has_imports = False
    cursor = root.walk()
    more = cursor.goto_first_child()
    while more:
        c = cursor.node
        if c.is_named:
            kind = c.type
            if kind in _IMPORTS:
                has_imports = True
            elif kind != "comment" and not _trivial_statement(c) and not _is_dunder_all(c, data):
                return False
        more = cursor.goto_next_sibling()
    return has_imports


def python_signals(
    tree: Any, budget: TreeBudget | None = None, data: bytes | None = None
) -> dict[str, Any]:
    """``data``: the document's bytes (required for a source-less tree; without it the
    function bodies come from a query)."""
    budget = budget or TreeBudget(DEFAULT_TIMEOUT_S)
    import_only = _import_only(tree.root_node, data)
    if data is not None and not tree.root_node.has_error:
        bodies, trivial = _function_bodies(tree, data, budget)
    else:
        found = _python_bodies(tree, data, budget)
        bodies, trivial = len(found), 0
        with budget.running() as deadline:
            for k, body in enumerate(found):
                if not k & 255:
                    deadline.check()
                trivial += _trivial_body(body, data)
    return {
        "import_only": import_only,
        "pass_only_function_fraction": trivial / bodies if bodies else None,
    }


def _is_dunder_all(node: Any, data: bytes | None = None) -> bool:
    child = _unwrap(node)
    if child.type not in {"assignment", "augmented_assignment"}:
        return False
    left = child.child_by_field_name("left")
    return left is not None and _node_bytes(left, data) in {b"__all__", b"__version__"}


def _main_definitions(tree: Any, data: bytes, budget: TreeBudget) -> int:
    """The matches of ``_C_MAIN``, from the occurrences of ``main`` in ``data``."""
    _check_query_fits(tree, budget)
    root = tree.root_node
    count = 0
    with budget.running() as deadline:
        for k, match in enumerate(_MAIN.finditer(data)):
            if not k % _CHECK_EVERY:
                deadline.check()
            start = match.start()
            name = root.descendant_for_byte_range(start, start + 4)
            if (
                name is None
                or name.type != "identifier"
                or name.start_byte != start
                or name.end_byte != start + 4
            ):
                continue
            declarator = name.parent
            if declarator is None or declarator.type != "function_declarator":
                continue
            definition = declarator.parent
            count += (
                definition is not None
                and definition.type == "function_definition"
                and declarator.child_by_field_name("declarator") == name
                and definition.child_by_field_name("declarator") == declarator
            )
    return count


def c_signals(
    tree: Any, budget: TreeBudget | None = None, data: bytes | None = None
) -> dict[str, Any]:
    """``data``: the document's bytes (required for a source-less tree; without it the
    definitions come from the ``#eq?`` query, which reads the tree's source)."""
    budget = budget or TreeBudget(DEFAULT_TIMEOUT_S)
    if data is not None:
        return {"main_function_count": _main_definitions(tree, data, budget)}
    cursor = QueryCursor(_query(tree.language, _C_MAIN))
    captures = run_query(cursor, tree.root_node, tree, budget).get("name", [])
    return {"main_function_count": len(captures)}


def language_signals(
    language: str | None,
    tree: Any | None,
    budget: TreeBudget | None = None,
    data: bytes | None = None,
) -> dict[str, Any]:
    """The language-specific columns for one document (missing keys mean null). ``budget``:
    the document's (a fresh ``DEFAULT_TIMEOUT_S`` one without it); raises ``BudgetExceeded``.
    ``data``: the document's bytes, which ``tree`` may lack (see the module doc)."""
    if tree is None or not language:
        return {}
    lang = language.lower()
    if lang in PYTHON:
        return python_signals(tree, budget, data)
    if lang in C_LIKE:
        return c_signals(tree, budget, data)
    return {}


def needs_tree(language: str | None) -> bool:
    return bool(language) and language.lower() in PYTHON | C_LIKE
