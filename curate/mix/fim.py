"""Fill-in-the-middle: cut a sample into prefix / middle / suffix and reorder it with sentinels.

PSM:  <prefix_token> prefix <suffix_token> suffix <middle_token> middle
SPM:  <prefix_token> <suffix_token> suffix <middle_token> prefix middle
(the SPM variant StarCoder and Megatron train jointly with PSM). Split points are drawn from a
seeded ``random.Random``, so the same seed, sample and epoch always give the same output.
With ``boundary = "node"`` split points are tree-sitter leaf boundaries, so no lexical token is
ever cut in two; where no grammar parses the text, line starts are used instead.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Sequence
from typing import Any

from curate.languages.budget import CHECK_EVERY, Deadline
from curate.mix.config import FimConfig


def leaf_boundaries(grammar: str | None, text: str, timeout_s: float = 1.0) -> list[int]:
    """Character offsets where a tree-sitter leaf starts or ends (plus 0 and len(text)).
    Without a grammar, when parsing fails, or when the parse and the leaf walk together run
    over ``timeout_s`` (one ``TreeBudget``): offsets of line starts."""
    from curate.languages.budget import BudgetExceeded, TreeBudget

    cuts: set[int] = {0, len(text)}
    data = text.encode("utf-8", "surrogatepass")
    tree = None
    budget = TreeBudget(timeout_s)
    if grammar is not None:
        from curate.mix.deps import _query, parse

        try:
            tree = parse(_query(grammar)[0], data, timeout_s, budget)
        except Exception:  # an unparsable file just falls back to line starts
            tree = None
    if tree is not None:
        try:
            with budget.running() as deadline:
                return sorted(cuts | _bytes_to_chars(data, text, _leaf_cuts(tree, deadline)))
        except BudgetExceeded:
            pass
    pos = 0
    for line in text.splitlines(keepends=True):
        pos += len(line)
        cuts.add(pos)
    return sorted(cuts)


def _leaf_cuts(tree: Any, deadline: Deadline) -> set[int]:
    """Byte offsets of every leaf's start and end, by a TreeCursor walk within ``deadline``."""
    byte_cuts: set[int] = set()
    cursor = tree.walk()
    mask = CHECK_EVERY - 1
    visited = 0
    while True:
        visited += 1
        if not visited & mask:
            deadline.check()
        node = cursor.node
        if node.child_count == 0:
            byte_cuts.add(node.start_byte)
            byte_cuts.add(node.end_byte)
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return byte_cuts


def leaf_snapper(grammar: str | None, text: str, timeout_s: float = 1.0) -> Callable[[int], int]:
    """A function moving a character offset of ``text`` out of any tree-sitter leaf it falls
    inside (to the nearer edge of that leaf). Without a grammar or a tree within ``timeout_s``,
    offsets move to the nearest line start. Costs one parse, no walk over the tree."""
    data = text.encode("utf-8", "surrogatepass")
    ascii_only = len(data) == len(text)
    tree = None
    if grammar is not None:
        from curate.mix.deps import _query, parse

        try:
            tree = parse(_query(grammar)[0], data, timeout_s)
        except Exception:  # an unparsable file falls back to line starts
            tree = None
    if tree is None:
        starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

        def to_line(c: int) -> int:
            i = bisect.bisect_right(starts, c) - 1
            lo, hi = starts[i], starts[i + 1] if i + 1 < len(starts) else len(text)
            return lo if c - lo <= hi - c else hi

        return to_line
    root = tree.root_node

    def snap(c: int) -> int:
        b = c if ascii_only else len(text[:c].encode("utf-8", "surrogatepass"))
        node = root.descendant_for_byte_range(b, b)
        if node is None or node.child_count or not (node.start_byte < b < node.end_byte):
            return c
        edge = node.start_byte if b - node.start_byte <= node.end_byte - b else node.end_byte
        return edge if ascii_only else len(data[:edge].decode("utf-8", "surrogatepass"))

    return snap


def _bytes_to_chars(data: bytes, text: str, byte_offsets: set[int]) -> set[int]:
    if len(data) == len(text):
        return byte_offsets
    # prefix sums of UTF-8 lengths: char i starts at byte starts[i]
    starts = [0]
    for ch in text:
        starts.append(starts[-1] + len(ch.encode("utf-8", "surrogatepass")))
    out = set()
    for b in byte_offsets:
        i = bisect.bisect_left(starts, b)
        if i < len(starts) and starts[i] == b:
            out.add(i)
    return out


def choose_mode(rng: random.Random, cfg: FimConfig) -> str | None:
    """``"psm"``, ``"spm"`` or None (left as is), drawn at the configured rates."""
    if cfg.rate <= 0 or rng.random() >= cfg.rate:
        return None
    return "spm" if rng.random() < cfg.spm_rate else "psm"


def transform(
    text: str,
    mode: str,
    rng: random.Random,
    cfg: FimConfig,
    *,
    cuts: Sequence[int] | None = None,
    lo: int = 0,
    hi: int | None = None,
    snap: Callable[[int], int] | None = None,
) -> str:
    """Reorder ``text`` around two split points drawn from ``cuts`` (sorted offsets) or, when
    ``cuts`` is None, from any character offset in [lo, hi], moved by ``snap`` (which takes and
    returns offsets relative to ``lo``) when given."""
    hi = len(text) if hi is None else hi
    if cuts:
        a, b = sorted((cuts[rng.randrange(len(cuts))], cuts[rng.randrange(len(cuts))]))
    else:
        a, b = rng.randint(lo, hi), rng.randint(lo, hi)
        if snap is not None:
            a, b = lo + snap(a - lo), lo + snap(b - lo)
        a, b = sorted((a, b))
    prefix, middle, suffix = text[:a], text[a:b], text[b:]
    if mode == "psm":
        return f"{cfg.prefix_token}{prefix}{cfg.suffix_token}{suffix}{cfg.middle_token}{middle}"
    return f"{cfg.prefix_token}{cfg.suffix_token}{suffix}{cfg.middle_token}{prefix}{middle}"
