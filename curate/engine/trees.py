"""Tree-sitter trees shared by the annotators of one batch, with the parse size and time guards.

The engine builds one ``TreeProvider`` per fused segment; ``BatchContext.tree(i)`` asks it. The
provider keeps the parses of the current batch (``begin_batch`` forgets them), so ``parse@1`` and
every later annotator that reads trees parse each file once. Trees never leave the worker.

``parse@1`` computes its statistics on the source-less tree of the budgeted callback parse
(``need_source=False``); the source is attached (``parse(data, old_tree=tree)``, +10-45%) only
when a tree is handed out, i.e. when an annotator asks ``ctx.tree(i)`` (see
docs/architecture.md, "Traps").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tree_sitter import Tree

from curate.languages.grammars import attach_source, get_parser, parse_source_less

DEFAULT_TIMEOUT_S = 2.0
DEFAULT_MAX_DOC_BYTES = 1024 * 1024
CACHE_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class TreeGuards:
    """Per-document limits of every tree handed out: larger documents are not parsed
    (``too_large``), slower parses are cancelled (``timeout``)."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES


@dataclass(slots=True)
class _Parsed:
    data: bytes  # held so that id(data) cannot be reused while the entry lives
    language: str
    tree: Tree | None
    status: str  # parsed | too_large | timeout
    has_source: bool


class _RecentParses:
    """The parses of the current batch, by the identity of its bytes object.

    Entries hold their bytes object, so an id is never reused while its entry lives. The engine
    clears the cache before every batch; ``max_bytes`` bounds it for callers that never do
    (oldest entries go first; a miss only costs a parse)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: dict[int, _Parsed] = {}
        self.keep = True
        """False while no annotator of the batch will ask for a tree again: each tree is then
        freed right after its statistics (measured: holding a parse-only batch's trees made
        the segment ~5-8% slower)."""
        self.only: frozenset[int] | None = None
        """With ``keep``: the ids of the bytes objects whose trees are kept (None: all)."""

    def get(self, language: str, data: bytes) -> _Parsed | None:
        entry = self.entries.get(id(data))
        if entry is not None and entry.data is data and entry.language == language:
            return entry
        return None

    def put(self, entry: _Parsed) -> None:
        if not self.keep or (self.only is not None and id(entry.data) not in self.only):
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


class TreeProvider:
    """``(language, data) -> Tree | None`` with the size and time guards, caching the parses of
    the current batch. Trees it returns from ``__call__`` always carry their source."""

    def __init__(self, guards: TreeGuards | None = None, *, cache_bytes: int = CACHE_MAX_BYTES):
        self.guards = guards or TreeGuards()
        self._recent = _RecentParses(cache_bytes)

    @property
    def timeout_s(self) -> float:
        return self.guards.timeout_s

    @property
    def max_doc_bytes(self) -> int:
        return self.guards.max_doc_bytes

    def begin_batch(self, keep_trees: bool = True, only: Iterable[bytes] | None = None) -> None:
        """Forget the trees of the previous batch. ``keep_trees``: whether this batch's trees
        are kept for annotators that read ``ctx.tree(i)`` after ``parse@1``; ``only``: just the
        trees of these documents (the batch's own bytes objects; None: every document's)."""
        self._recent.clear()
        self._recent.keep = keep_trees
        self._recent.only = None if only is None else frozenset(map(id, only))

    @property
    def cached(self) -> int:
        """Number of parses held (for tests of the batch lifetime)."""
        return len(self._recent.entries)

    @property
    def keeps_trees(self) -> bool:
        return self._recent.keep

    def parse(
        self, language: str | None, data: bytes, *, need_source: bool = True
    ) -> tuple[Tree | None, str]:
        """The tree (or None) and a status: ``parsed``, ``no_grammar``, ``too_large`` or
        ``timeout``. With ``need_source=False`` the tree may lack its source: for range-based
        statistics only, never to be handed out."""
        parser = get_parser(language) if language else None
        if parser is None or language is None:
            return None, "no_grammar"
        entry = self._recent.get(language, data)
        if entry is None:
            if len(data) > self.guards.max_doc_bytes:
                entry = _Parsed(data, language, None, "too_large", False)
            else:
                tree = parse_source_less(parser, data, self.guards.timeout_s)
                entry = _Parsed(data, language, tree, "parsed" if tree else "timeout", False)
            self._recent.put(entry)
        if entry.tree is not None and need_source and not entry.has_source:
            entry.tree = attach_source(parser, data, entry.tree)
            entry.has_source = True
        return entry.tree, entry.status

    def __call__(self, language: str, data: bytes) -> Tree | None:
        return self.parse(language, data)[0]
