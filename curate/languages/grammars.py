"""Tree-sitter grammars (offline, from tree-sitter-language-pack 0.13.0) and budgeted parsing.

Parsers are cached per process. ``parse_with_budget`` uses the read-callback form of
``Parser.parse``: tree-sitter 0.26 ignores any time budget on ``parse(bytes)``, but cancels a
callback-fed parse when ``progress_callback`` returns True (measured: a 14 MB input stops within
a few ms of a 50 ms budget; see docs/benchmarks.md, "Parse").

The parse and the re-attach are charged to the document's ``TreeBudget``
(``curate.languages.budget``), which every later pass over the tree (queries, walks) shares;
without an explicit ``budget`` the document's budget is looked up by ``(data, parser)``.

Trap (py-tree-sitter 0.26.1): a tree from the callback form keeps no source, and ``Node.text``
or a text predicate (``#eq?``, ``#any-of?``) on it crashes the process with a segfault. So
``parse_source_less`` (the budgeted parse alone) is only for callers that read ranges and node
types and never hand the tree out; ``parse_with_budget`` follows it with ``attach_source``
(``parse(data, old_tree=tree)``), which returns the same tree with its source attached. That
second pass reuses unchanged subtrees (about +10% on trees without errors) but re-parses around
ERROR nodes (up to a full parse) and cannot be cancelled, so it runs only while the budget
still holds at least the time the parse took (otherwise the document is over budget: None).
The parse and the re-attach together therefore stay within about ``timeout_s``.
"""

from __future__ import annotations

import logging
import threading

from tree_sitter import Language as TSLanguage
from tree_sitter import Parser, Tree
from tree_sitter_language_pack import get_language as _pack_language
from tree_sitter_language_pack import get_parser as _pack_parser

from curate.languages.budget import (
    BudgetExceeded,
    TreeBudget,
    clock,
    document_budget,
    find_budget,
)
from curate.languages.registry import all_languages, find_language

log = logging.getLogger(__name__)

_PARSERS: dict[str, Parser | None] = {}
_TS_LANGUAGES: dict[str, TSLanguage | None] = {}


def _grammar_of(language_name: str) -> str | None:
    lang = find_language(language_name)
    return lang.grammar if lang is not None else None


def load_grammar(grammar: str) -> TSLanguage | None:
    """The tree-sitter ``Language`` for a grammar name (cached), None if it does not load."""
    if grammar not in _TS_LANGUAGES:
        try:
            _TS_LANGUAGES[grammar] = _pack_language(grammar)  # type: ignore[arg-type]
        except Exception as err:  # a broken or missing binding must not stop a shard
            log.warning("tree-sitter grammar %r does not load: %s", grammar, err)
            _TS_LANGUAGES[grammar] = None
    return _TS_LANGUAGES[grammar]


def get_ts_language(language_name: str) -> TSLanguage | None:
    """The tree-sitter ``Language`` of a registry language, or None without a grammar."""
    grammar = _grammar_of(language_name)
    return load_grammar(grammar) if grammar else None


def get_parser(language_name: str) -> Parser | None:
    """A cached parser for a registry language (name or alias), None without a grammar.

    One parser per grammar per process; parsers are not thread-safe, which is fine for the
    process-per-worker engine.
    """
    grammar = _grammar_of(language_name)
    if grammar is None:
        return None
    if grammar not in _PARSERS:
        parser = None
        if load_grammar(grammar) is not None:
            try:
                parser = _pack_parser(grammar)  # type: ignore[arg-type]
            except Exception as err:
                log.warning("tree-sitter parser %r does not load: %s", grammar, err)
        _PARSERS[grammar] = parser
    return _PARSERS[grammar]


DEFAULT_TIMEOUT_S = 2.0
"""The per-document time budget of every pass over a tree unless configured otherwise."""

_CHUNK_BYTES = 1 << 16
"""Read-callback chunks are at most 64 KiB, served from one per-thread scratch buffer."""
_SCRATCH = threading.local()


def _scratch() -> bytearray:
    buffer = getattr(_SCRATCH, "buffer", None)
    if buffer is None:
        buffer = _SCRATCH.buffer = bytearray(_CHUNK_BYTES)
    return buffer


def parse_source_less(
    parser: Parser, data: bytes, timeout_s: float, budget: TreeBudget | None = None
) -> Tree | None:
    """The budgeted read-callback parse alone (None on timeout, or when the document's
    ``budget`` is already spent). The tree has **no source**:
    only use range-based APIs on it (types, byte offsets, counts, queries without text
    predicates); ``Node.text`` segfaults. Hand out only ``attach_source(...)`` trees.

    Trap (py-tree-sitter 0.26.1): every object the read callback returns is leaked (one
    reference is never released). Returning slices of ``data`` pinned every parsed document
    in memory for the life of the worker (measured: a worker's peak RSS grew from 373 to
    413 MB between a 13 MB and a 54 MB shard; with this callback it stays flat). So the
    callback copies each chunk into one permanent per-thread scratch buffer, resized in place
    to the chunk's length, and returns that same object: the leaked references are to an
    object that lives forever anyway, and a chunk is only valid until the next read, which is
    all tree-sitter asks for. (Fixed power-of-two buffers took 10-21 Python calls per
    document; this takes one per 64 KiB.)
    """
    if budget is None:
        budget = document_budget(parser, data, timeout_s)
    view = memoryview(data)
    scratch = _scratch()
    size = len(data)

    def read(offset: int, _point: object) -> bytes | bytearray:
        if offset >= size:
            # The end (tree-sitter asks ~3 times a document): the interpreter's one empty
            # bytes object, which lives forever too, instead of a resize to nothing and back.
            return b""
        # Resized in place to exactly the chunk: the same object every call (see above).
        scratch[:] = view[offset : offset + _CHUNK_BYTES]
        return scratch

    start = clock()
    try:
        with budget.running() as deadline:
            at = deadline.at

            def over_budget(_offset: int, _has_error: bool) -> bool:
                return clock() > at

            try:
                tree = parser.parse(read, progress_callback=over_budget)
            except ValueError:  # raised by tree-sitter when the progress callback cancels
                parser.reset()  # otherwise the next parse would resume the abandoned one
                raise BudgetExceeded from None
    except BudgetExceeded:
        return None
    budget.parse_s = clock() - start
    return tree


def attach_source(
    parser: Parser, data: bytes, tree: Tree, budget: TreeBudget | None = None
) -> Tree | None:
    """The same tree with its source (``parse(data, old_tree=tree)``; see the module doc), or
    None when the document's budget no longer holds the time its parse took."""
    if budget is None:
        budget = find_budget(parser, data) or document_budget(parser, data, DEFAULT_TIMEOUT_S)
    if budget.left() < (budget.parse_s or 0.0):
        budget.exceeded = True
        return None
    try:
        with budget.running():
            return parser.parse(data, old_tree=tree)
    except BudgetExceeded:
        return None


def parse_with_budget(
    parser: Parser, data: bytes, timeout_s: float, budget: TreeBudget | None = None
) -> Tree | None:
    """Parse ``data``, giving up after ``timeout_s`` seconds (None on timeout).

    The returned tree has its source attached (``Node.text`` works; see the module doc).
    ``budget``: the document's budget, when the caller charges later passes to it too.
    """
    if budget is None:
        budget = document_budget(parser, data, timeout_s)
    tree = parse_source_less(parser, data, timeout_s, budget)
    return None if tree is None else attach_source(parser, data, tree, budget)


_SNIPPET = b"x\n"


def grammar_status() -> dict[str, bool]:
    """For every grammar named in the registry: does it load offline and parse a snippet?"""
    status: dict[str, bool] = {}
    for lang in all_languages():
        if lang.grammar is None or lang.grammar in status:
            continue
        parser = get_parser(lang.name)
        ok = False
        if parser is not None:
            tree = parse_with_budget(parser, _SNIPPET, 5.0)
            ok = tree is not None and tree.root_node is not None
        status[lang.grammar] = ok
    return status
