"""Language-specific signals read from the shared tree-sitter tree (``ctx.tree(i)``).

- Python: ``import_only`` (every top-level statement is an import, ``__all__``/docstring or
  ``pass``) and ``pass_only_function_fraction`` (functions whose body is only ``pass``, ``...``
  or a docstring).
- C / C++: ``main_function_count`` (definitions of ``main``; more than one means a
  concatenation of programs or a test dump).

Values are null when the language does not apply or no tree is available. Every query and
walk is charged to the document's time budget (``curate.languages.budget``): over it,
``language_signals`` raises ``BudgetExceeded`` and the annotator leaves the values null with
``tree_signals_status = "timeout"``.
"""

from __future__ import annotations

from typing import Any

from tree_sitter import Query, QueryCursor

from curate.languages.budget import TreeBudget, run_query
from curate.languages.grammars import DEFAULT_TIMEOUT_S

PYTHON = {"python"}
C_LIKE = {"c", "c++", "cpp", "objective-c", "cuda"}

_QUERIES: dict[tuple[int, str], Query] = {}
_PY_FUNC = "(function_definition body: (block) @body)"
_C_MAIN = """(function_definition declarator: (function_declarator
              declarator: (identifier) @name (#eq? @name "main")))"""


def _query(language: Any, source: str) -> Query:
    key = (id(language), source)
    if key not in _QUERIES:
        _QUERIES[key] = Query(language, source)
    return _QUERIES[key]


def _unwrap(node: Any) -> Any:
    """Grammar versions differ in wrapping expressions in ``expression_statement``."""
    if node.type == "expression_statement" and node.named_child_count == 1:
        return node.named_children[0]
    return node


def _trivial_statement(node: Any) -> bool:
    node = _unwrap(node)
    return node.type in {"pass_statement", "comment", "string", "ellipsis", "concatenated_string"}


def python_signals(tree: Any, budget: TreeBudget | None = None) -> dict[str, Any]:
    budget = budget or TreeBudget(DEFAULT_TIMEOUT_S)
    root = tree.root_node
    statements = [c for c in root.named_children if c.type != "comment"]
    imports = [
        c
        for c in statements
        if c.type in {"import_statement", "import_from_statement", "future_import_statement"}
    ]
    others = [
        c
        for c in statements
        if c not in imports and not _trivial_statement(c) and not _is_dunder_all(c)
    ]
    cursor = QueryCursor(_query(tree.language, _PY_FUNC))
    captures = run_query(cursor, root, tree, budget).get("body", [])
    with budget.running() as deadline:
        trivial = 0
        for k, body in enumerate(captures):
            if not k & 255:
                deadline.check()
            trivial += all(_trivial_statement(s) for s in body.named_children)
    return {
        "import_only": bool(imports) and not others,
        "pass_only_function_fraction": trivial / len(captures) if captures else None,
    }


def _is_dunder_all(node: Any) -> bool:
    child = _unwrap(node)
    if child.type not in {"assignment", "augmented_assignment"}:
        return False
    left = child.child_by_field_name("left")
    return left is not None and left.text in {b"__all__", b"__version__"}


def c_signals(tree: Any, budget: TreeBudget | None = None) -> dict[str, Any]:
    budget = budget or TreeBudget(DEFAULT_TIMEOUT_S)
    cursor = QueryCursor(_query(tree.language, _C_MAIN))
    captures = run_query(cursor, tree.root_node, tree, budget).get("name", [])
    return {"main_function_count": len(captures)}


def language_signals(
    language: str | None, tree: Any | None, budget: TreeBudget | None = None
) -> dict[str, Any]:
    """The language-specific columns for one document (missing keys mean null). ``budget``:
    the document's (a fresh ``DEFAULT_TIMEOUT_S`` one without it); raises ``BudgetExceeded``."""
    if tree is None or not language:
        return {}
    lang = language.lower()
    if lang in PYTHON:
        return python_signals(tree, budget)
    if lang in C_LIKE:
        return c_signals(tree, budget)
    return {}


def needs_tree(language: str | None) -> bool:
    return bool(language) and language.lower() in PYTHON | C_LIKE
