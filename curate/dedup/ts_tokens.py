"""Tree-sitter tokens for near-dedup (``near.tokenizer = "tree_sitter"``).

A document's tokens are the leaves of its syntax tree, in source order:

* comments are dropped;
* string literals (including docstrings, template and raw strings, characters, regexes) become
  ``<s>``, number literals ``<n>`` — the whole literal subtree is one token;
* identifiers are kept *by identity only*: they are emitted as ``IDENT_MARK + name`` and
  :mod:`curate.dedup.minhash` replaces each by the position of its first occurrence inside the
  shingle (``<id0>``..``<idN>``), so consistently renamed code gives the same shingles while the
  pattern of which names repeat (``x = x + y`` vs ``x = y + z``) still counts;
* member names (``obj.NAME``: Python ``attribute``, JS ``property_identifier``, C/Go/Rust
  ``field_identifier``) keep their text: they name an API, not a local, and keeping them cut
  false merges of unrelated look-alike files five-fold (docs/dedup.md);
* keywords, operators, punctuation and other named leaves (``true``, primitive types) keep
  their text.

Node kinds are classified once per grammar from the node-type names (``*identifier``,
``*string*``, ``*_literal`` numbers, ``*comment*`` plus the registry's ``comment_nodes``), so
every bundled grammar works without a per-language table. Files whose language is not a
programming language (markup, data, prose: their content is text), has no grammar, or whose
parse fails or whose parse and leaf walk together run over the time budget (one
``curate.languages.budget.TreeBudget`` per document), fall back to the ``words`` tokens; the reason is
returned so the caller can record it (``dup_tokenizer``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from curate.languages import get_parser, parse_with_budget
from curate.languages.budget import CHECK_EVERY, BudgetExceeded, Deadline, TreeBudget
from curate.languages.registry import find_language

IDENT_MARK = "\x01"
"""Prefix of an identifier token (never part of real source tokens: ``\\x01`` is a control
character that the word pattern and every grammar's keywords/operators exclude)."""
STRING_TOKEN = "<s>"
NUMBER_TOKEN = "<n>"

TREE_SITTER = "tree_sitter"
FALLBACK_NO_GRAMMAR = "words:no_grammar"
FALLBACK_TIMEOUT = "words:parse_timeout"
FALLBACK_FAILED = "words:parse_failed"
FALLBACK_TOO_LARGE = "words:too_large"
FALLBACK_NOT_CODE = "words:not_code"

# Node categories (per grammar, by kind id).
_KEEP, _IDENT, _STRING, _NUMBER, _SKIP, _MEMBER = 0, 1, 2, 3, 4, 5
_MEMBER_FIELDS = frozenset({"attribute", "property", "field"})
"""Fields of member-access nodes (Python ``attribute``, JS ``property``, C/Go/Rust ``field``)."""

_IDENT_RE = re.compile(
    r"identifier$|^(name|variable_name|instance_variable|class_variable|global_variable|constant)$"
)
_STRING_RE = re.compile(
    r"string|^(char|character|rune|regex|text_block|heredoc_body)$"
    r"|(char|character|rune)_literal$"
)
_NUMBER_RE = re.compile(
    r"^(integer|float|number|numeric|int|real|imaginary|rational|complex)$"
    r"|(integer|float|floating_point|number|numeric|int|real|imaginary|hex|octal|bin|binary"
    r"|decimal)_literal$"
)


def _category(kind: str, named: bool, comments: frozenset[str]) -> int:
    if kind in comments or "comment" in kind:
        return _SKIP
    if not named:
        return _KEEP
    if _STRING_RE.search(kind):
        return _STRING
    if _NUMBER_RE.search(kind):
        return _NUMBER
    if kind in ("property_identifier", "field_identifier"):
        return _MEMBER
    if _IDENT_RE.search(kind):
        return _IDENT
    return _KEEP


@lru_cache(maxsize=256)
def _kind_table(language_name: str) -> np.ndarray | None:
    """Category of every node kind id of the language's grammar (None without a parser)."""
    parser = get_parser(language_name)
    lang = find_language(language_name)
    if parser is None or parser.language is None or lang is None:
        return None
    ts = parser.language
    comments = frozenset(lang.comment_nodes)
    return np.array(
        [
            _category(ts.node_kind_for_id(i) or "", ts.node_kind_is_named(i), comments)
            for i in range(ts.node_kind_count)
        ],
        dtype=np.int8,
    )


def tree_sitter_tokens(
    text: str, language: str | None, timeout_s: float, max_bytes: int = 1 << 20
) -> tuple[list[str] | None, str]:
    """``(tokens, status)``; tokens is None when the caller must fall back (status says why).
    ``timeout_s`` bounds the parse and the leaf walk together; ``max_bytes`` the input."""
    lang = find_language(language)
    if lang is None:
        return None, FALLBACK_NO_GRAMMAR
    if lang.kind != "programming":  # markup, data, prose: their content is in the text leaves
        return None, FALLBACK_NOT_CODE
    table = _kind_table(language)
    parser = get_parser(language)
    if table is None or parser is None:
        return None, FALLBACK_NO_GRAMMAR
    data = text.encode("utf-8")
    if len(data) > max_bytes:
        return None, FALLBACK_TOO_LARGE
    budget = TreeBudget(timeout_s)
    try:
        tree = parse_with_budget(parser, data, timeout_s, budget)
    except Exception:  # a grammar bug must not stop the shard: fall back and say so
        parser.reset()
        return None, FALLBACK_FAILED
    if tree is None:
        return None, FALLBACK_TIMEOUT
    try:
        with budget.running() as deadline:
            return _leaf_tokens(tree, data, table.tolist(), deadline), TREE_SITTER
    except BudgetExceeded:
        return None, FALLBACK_TIMEOUT


def _leaf_tokens(
    tree, data: bytes, table: list[int], deadline: Deadline | None = None
) -> list[str]:  # type: ignore[no-untyped-def]
    out: list[str] = []
    append = out.append
    n_kinds = len(table)
    cursor = tree.walk()
    mask = CHECK_EVERY - 1
    visited = 0
    while True:
        visited += 1
        if deadline is not None and not visited & mask:
            deadline.check()
        node = cursor.node
        kid = node.kind_id
        cat = table[kid] if kid < n_kinds else _KEEP
        descend = False
        if cat == _KEEP:
            if node.child_count:
                descend = True
            else:
                start, end = node.start_byte, node.end_byte
                if end > start:  # MISSING nodes are zero-width: not in the source
                    if node.is_named:  # e.g. `true`, primitive types; prose text splits
                        out.extend(data[start:end].decode("utf-8", "replace").split())
                    else:
                        append(node.type)
        elif cat == _IDENT and cursor.field_name not in _MEMBER_FIELDS:
            append(IDENT_MARK + data[node.start_byte : node.end_byte].decode("utf-8", "replace"))
        elif cat in (_IDENT, _MEMBER):  # member names are API, not local names: kept
            append(data[node.start_byte : node.end_byte].decode("utf-8", "replace"))
        elif cat == _STRING:
            append(STRING_TOKEN)
        elif cat == _NUMBER:
            append(NUMBER_TOKEN)
        if descend and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return out
