"""Tree-sitter queries compiled from the registry's node tables (one per language, cached).

A query runs in C over the whole tree, which is several times faster than visiting every node
from Python; only the matched nodes become Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Query

from curate.languages.grammars import get_ts_language
from curate.languages.registry import Language

CAPTURES = ("error", "function", "class", "comment", "doc")


@dataclass(frozen=True, slots=True)
class NodeQueries:
    """The compiled query of one language: one pass captures @function, @class, @comment,
    @doc and @error (ERROR nodes)."""

    query: Query
    has_functions: bool
    has_classes: bool
    has_comments: bool
    has_docstrings: bool

    @property
    def tabulated(self) -> bool:
        """Whether any count or size comes from the query (else it would only find ERROR
        nodes, which the has_error-guided walk finds without visiting every node)."""
        return self.has_functions or self.has_classes or self.has_comments or self.has_docstrings


def _pattern(spec: str, capture: str) -> str:
    node, _, field = spec.partition(":")
    inner = f" {field}: (_)" if field else ""
    return f"({node}{inner}) @{capture}"


def query_source(lang: Language) -> str:
    """The query text of ``lang``."""
    parts = ["(ERROR) @error"]
    parts += [_pattern(s, "function") for s in lang.function_nodes]
    parts += [_pattern(s, "class") for s in lang.class_nodes]
    parts += [_pattern(s, "comment") for s in lang.comment_nodes]
    if lang.docstring_query:
        parts.append(lang.docstring_query.strip())
    return "\n".join(parts)


_CACHE: dict[str, NodeQueries | None] = {}


def node_queries(lang: Language) -> NodeQueries | None:
    """Compiled queries for ``lang``; None when it has no loadable grammar.

    A node type the grammar does not know raises ``tree_sitter.QueryError`` (the registry
    tests check every type against its grammar).
    """
    if lang.name not in _CACHE:
        ts_lang = get_ts_language(lang.name)
        if ts_lang is None:
            _CACHE[lang.name] = None
        else:
            _CACHE[lang.name] = NodeQueries(
                query=Query(ts_lang, query_source(lang)),
                has_functions=bool(lang.function_nodes),
                has_classes=bool(lang.class_nodes),
                has_comments=bool(lang.comment_nodes),
                has_docstrings=lang.docstring_query is not None,
            )
    return _CACHE[lang.name]
