"""One time budget per document for every pass over its tree-sitter tree.

A document's ``TreeBudget`` (``timeout_s`` seconds) is charged by the budgeted parse, the
re-attach of its source, every query and every Python walk over its tree, whichever annotator
or step runs them and however far apart in time they run (parse@1 parses a whole batch before
the quality annotator reads the trees, so the budget is an account of seconds spent, not one
wall-clock deadline). A pass runs inside ``budget.running()``; it sees a ``Deadline`` (the
budget left when the pass began) and raises ``BudgetExceeded`` when past it. Once a document
is over budget every later pass raises at once, so its tree-derived values are null.

How each kind of pass is bounded:

- the parse: tree-sitter's ``progress_callback`` on the read-callback ``parse`` (cancels);
- Python walks (``TreeCursor`` loops): ``Deadline.check()`` every ``CHECK_EVERY`` nodes;
- queries (``QueryCursor.captures``/``matches``): **cannot be cancelled** in py-tree-sitter
  0.26.1 — its ``progress_callback`` segfaults (the binding points the cursor at an options
  struct in a block scope that has ended). A query's cost is predicted instead, from the
  tree's shape: tree-sitter's query cursor looks for the next *named* sibling of every node
  it visits (``ts_tree_cursor_current_status``), so a run of L anonymous siblings costs about
  L²/2 sibling steps (measured: 40,000 unclosed ``{`` in C, ``[`` in JSON or ``(`` in Python
  take 1.6-1.9 s, the same count of named siblings 0.02 s). ``structure()`` measures those
  runs in a budgeted walk; ``run_query`` refuses a query whose predicted time exceeds what
  is left. Apart from that term a query is linear in the nodes it visits.
"""

from __future__ import annotations

import heapq
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

clock = time.monotonic

CHECK_EVERY = 1024
"""Python walks look at the clock once per this many nodes (``n & (CHECK_EVERY - 1) == 0``)."""

WIDE = 64
"""Consecutive sibling leaves before a walk starts measuring their run of anonymous siblings:
a run shorter than ``WIDE`` costs at most ``WIDE²/2`` steps, negligible."""

SIBLING_STEP_S = 2.5e-9
"""Seconds per sibling step of the query cursor (measured 2.2-2.4 ns on this machine: 40,000
anonymous siblings, 8e8 steps, 1.7-1.9 s CPU)."""


class BudgetExceeded(Exception):
    """A pass over a document's tree ran (or would run) past the document's time budget."""


@dataclass(slots=True)
class Deadline:
    """The moment (``time.monotonic``) a pass must stop."""

    at: float

    def expired(self) -> bool:
        return clock() > self.at

    def check(self) -> None:
        if clock() > self.at:
            raise BudgetExceeded

    def left(self) -> float:
        return self.at - clock()


@dataclass(slots=True)
class Structure:
    """Shape facts of a tree measured by one walk: its depth and the predicted sibling steps
    of a query over it (see the module doc)."""

    max_depth: int
    sibling_steps: int


class TreeBudget:
    """Seconds of tree work one document may still use (see the module doc)."""

    __slots__ = ("exceeded", "parse_s", "spent", "structure", "timeout_s")

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s
        self.spent = 0.0
        self.exceeded = False
        self.parse_s: float | None = None
        """CPU-wall seconds of the budgeted parse (a re-attach can cost about as much)."""
        self.structure: Structure | None = None
        """Cached by the first walk that measures it (the shape is the same for the
        source-less tree and the re-attached one)."""

    def left(self) -> float:
        return 0.0 if self.exceeded else self.timeout_s - self.spent

    def running(self) -> _Pass:
        """One pass: ``with budget.running() as deadline`` yields its ``Deadline``, charges the
        time it took, and marks the budget exceeded when the pass raised ``BudgetExceeded``
        (which propagates)."""
        return _Pass(self)


class _Pass:
    """The context manager of ``TreeBudget.running`` (a class, not a generator: several
    passes run per document, and a generator-based one cost ~1.5 us each)."""

    __slots__ = ("budget", "start")

    def __init__(self, budget: TreeBudget):
        self.budget = budget
        self.start = 0.0

    def __enter__(self) -> Deadline:
        budget = self.budget
        left = budget.left()
        if left <= 0:
            budget.exceeded = True
            raise BudgetExceeded
        self.start = start = clock()
        return Deadline(start + left)

    def __exit__(self, kind: type[BaseException] | None, _err: object, _tb: object) -> bool:
        budget = self.budget
        if kind is not None and issubclass(kind, BudgetExceeded):
            budget.exceeded = True
        budget.spent += clock() - self.start
        return False


# --- the budgets of recent documents ---------------------------------------------------------

_MAX_ENTRIES = 4096
_MAX_BYTES = 32 * 1024 * 1024
_RECENT: OrderedDict[tuple[int, int], tuple[bytes, TreeBudget]] = OrderedDict()
_held_bytes = 0


def document_budget(parser: Any, data: bytes, timeout_s: float) -> TreeBudget:
    """The budget of the document ``data`` parsed with ``parser``: the same object for every
    pass over it in this process (while it is among the recent documents), a new one for new
    bytes, another grammar or another ``timeout_s``.

    Keyed by object identity; each entry holds its bytes, so an id is never reused while its
    entry lives. Bounded (``_MAX_ENTRIES`` documents, ``_MAX_BYTES`` bytes held); a document
    that fell out gets a fresh budget (its later passes are bounded all the same, by the
    budget once more)."""
    global _held_bytes
    key = (id(data), id(parser))
    entry = _RECENT.get(key)
    if entry is not None and entry[0] is data and entry[1].timeout_s == timeout_s:
        return entry[1]
    if entry is not None:
        _held_bytes -= len(entry[0])
        del _RECENT[key]
    budget = TreeBudget(timeout_s)
    while _RECENT and (len(_RECENT) >= _MAX_ENTRIES or _held_bytes + len(data) > _MAX_BYTES):
        _, (old, _old_budget) = _RECENT.popitem(last=False)
        _held_bytes -= len(old)
    _RECENT[key] = (data, budget)
    _held_bytes += len(data)
    return budget


def find_budget(parser: Any, data: bytes) -> TreeBudget | None:
    """The remembered budget of ``data`` parsed with ``parser``, if any (see
    ``document_budget``)."""
    entry = _RECENT.get((id(data), id(parser)))
    return entry[1] if entry is not None and entry[0] is data else None


def forget_documents() -> None:
    """Drop every remembered budget (tests; a worker never needs to)."""
    global _held_bytes
    _RECENT.clear()
    _held_bytes = 0


# --- budgeted passes -------------------------------------------------------------------------


def structure(tree: Any, budget: TreeBudget) -> Structure:
    """Depth and predicted query sibling steps of ``tree``, by one budgeted TreeCursor walk
    (cached on the budget). Raises ``BudgetExceeded``."""
    if budget.structure is not None:
        return budget.structure
    with budget.running() as deadline:
        budget.structure = _walk_structure(tree, deadline)
    return budget.structure


def _walk_structure(tree: Any, deadline: Deadline) -> Structure:
    # A run of anonymous siblings is a run of leaves (anonymous nodes have no children) that
    # the walk steps through with next_sibling alone; only from the WIDE-th leaf of such a
    # run on is each node's is_named read, so ordinary trees pay a counter per step.
    cursor = tree.walk()
    first_child = cursor.goto_first_child
    next_sibling = cursor.goto_next_sibling
    parent = cursor.goto_parent
    depth = deepest = steps = descents = leaves = anonymous = 0
    mask = CHECK_EVERY - 1
    # The clock is read once per CHECK_EVERY descents and once per CHECK_EVERY steps of a
    # long leaf run: every node is one or the other (up to a factor of two in between).
    while True:
        if first_child():
            depth += 1
            if depth > deepest:
                deepest = depth
            leaves = 0
            descents += 1
            if not descents & mask:
                deadline.check()
            continue
        if next_sibling():
            leaves += 1
            if leaves > WIDE:
                if leaves == WIDE + 1:
                    anonymous = 0
                elif not leaves & mask:
                    deadline.check()
                if cursor.node.is_named:
                    anonymous = 0
                else:
                    anonymous += 1
                    steps += anonymous
            continue
        leaves = 0
        while True:
            if not parent():
                return Structure(deepest, steps)
            depth -= 1
            if next_sibling():
                break


def worst_sibling_steps(tree: Any, limit: float = 0.0, max_expand: int = 4096) -> int:
    """An upper bound of a query's sibling steps read from the tree in C, without a walk.

    A run of anonymous siblings lies among one node's children, so a node of ``c`` children
    costs at most ``c²/2`` steps, and a subtree of ``d`` nodes at most ``d²/2`` (its child
    counts sum to less than ``d``). Starting from the root's ``d²/2``, the largest subtrees are
    replaced by their own children's count plus their children's subtree bounds, until the
    bound is at most ``limit`` (or ``max_expand`` nodes were expanded, or one node's own
    children already exceed it): most large trees then need no walk at all."""
    root = tree.root_node
    nodes = root.descendant_count
    bound = nodes * nodes // 2
    heap = [(-nodes, 0, root)]
    tie = expanded = 0
    while bound > limit and heap and expanded < max_expand:
        neg, _, node = heapq.heappop(heap)
        children = node.child_count
        own = children * children // 2
        if own > limit:
            break  # this node's children alone exceed the limit: no expansion can fit
        bound += own - neg * neg // 2
        expanded += 1
        for child in node.children:
            size = child.descendant_count
            if size > 1:
                bound += size * size // 2
                tie += 1
                heapq.heappush(heap, (-size, tie, child))
    return bound


def fits_without_walk(tree: Any, budget: TreeBudget) -> bool:
    """Whether the walk-free bound already shows a query over ``tree`` fits the budget."""
    if budget.structure is not None:
        return False
    left = budget.left() / SIBLING_STEP_S
    return worst_sibling_steps(tree, left) <= left


def run_query(
    cursor: Any, node: Any, tree: Any, budget: TreeBudget, *, matches: bool = False
) -> Any:
    """``cursor.captures(node)`` (or ``.matches``) within ``budget``: refused (raises
    ``BudgetExceeded``) when the predicted cost of the tree's anonymous sibling runs exceeds
    what is left of the budget; otherwise run and charged. The prediction walks the tree only
    when the walk-free bound (``worst_sibling_steps``) does not already fit, which on real code
    is only for the rare trees with long runs of anonymous siblings."""
    steps = 0 if fits_without_walk(tree, budget) else structure(tree, budget).sibling_steps
    with budget.running() as deadline:
        if steps * SIBLING_STEP_S > deadline.left():
            raise BudgetExceeded
        return cursor.matches(node) if matches else cursor.captures(node)
