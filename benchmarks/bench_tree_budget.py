"""Overhead of the per-document tree time budget (curate/languages/budget.py) on normal code.

    .venv/bin/python benchmarks/bench_tree_budget.py [--mb 8] [--repeat 5]

Files: the CPython standard library (``*.py``) and ``/usr/include`` (``*.h``, parsed as C),
up to ``--mb`` MB each, read in sorted order. For each language, best-of-``--repeat`` CPU
seconds (``time.process_time``, rounds interleaved) of:

- ``stats``: parse@1's work per file without the budget (callback parse with a plain deadline,
  the statistics query, the max-depth walk: the code before the budget) and with it
  (``parse_source_less`` + ``tree_stats``: registry look-up, one walk measuring depth and
  anonymous sibling runs, the cost check, the query);
- ``signals``: the quality tree signals on a source-attached tree, unbudgeted query vs
  ``language_signals`` with the document's budget, once with the structure already measured
  by parse@1 (the pipeline's case) and once without (quality alone: one extra walk).
"""

from __future__ import annotations

import argparse
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

from tree_sitter import QueryCursor

from curate.filters.parse import covered_bytes, max_depth, tree_stats
from curate.filters.quality.lang_signals import (
    _C_MAIN,
    _PY_FUNC,
    _query,
    _trivial_statement,
    language_signals,
)
from curate.languages import get_parser
from curate.languages.budget import TreeBudget, forget_documents, structure
from curate.languages.grammars import parse_source_less
from curate.languages.queries import node_queries
from curate.languages.registry import find_language

ROOTS = {
    "Python": (Path(sysconfig.get_paths()["stdlib"]), ".py"),
    "C": (Path("/usr/include"), ".h"),
}


def load(root: Path, suffix: str, max_bytes: int) -> list[bytes]:
    out, total = [], 0
    for path in sorted(root.rglob(f"*{suffix}")):
        if "site-packages" in path.parts or path.is_symlink() or not path.is_file():
            continue
        try:
            data = path.read_text("utf-8").encode()
        except (OSError, UnicodeDecodeError):
            continue
        if len(data) > 1 << 20 or total + len(data) > max_bytes:
            continue
        out.append(data)
        total += len(data)
    return out


def old_parse(parser, data: bytes, timeout_s: float):  # type: ignore[no-untyped-def]
    """The budgeted parse as it was: a read callback and a plain deadline."""
    view = memoryview(data)
    deadline = time.monotonic() + timeout_s
    return parser.parse(
        lambda off, _pt: view[off : off + 65536],
        progress_callback=lambda _o, _e: time.monotonic() > deadline,
    )


def old_stats(tree, lang, n: int) -> tuple:  # type: ignore[no-untyped-def]
    caps = QueryCursor(node_queries(lang).query).captures(tree.root_node)
    err = covered_bytes(caps.get("error", [])) / n if tree.root_node.has_error and n else 0.0
    return err, tree.root_node.descendant_count, max_depth(tree), len(caps.get("function", []))


def old_signals(language: str, tree) -> int:  # type: ignore[no-untyped-def]
    if language == "C":
        caps = QueryCursor(_query(tree.language, _C_MAIN)).captures(tree.root_node)
        return len(caps.get("name", []))
    bodies = QueryCursor(_query(tree.language, _PY_FUNC)).captures(tree.root_node).get("body", [])
    return sum(all(_trivial_statement(s) for s in b.named_children) for b in bodies)


def measure(language: str, docs: list[bytes], repeat: int) -> dict[str, float]:
    parser = get_parser(language)
    lang = find_language(language)
    trees = [parser.parse(d) for d in docs]

    def with_structure() -> list[TreeBudget]:
        budgets = [TreeBudget(60.0) for _ in docs]
        for t, b in zip(trees, budgets, strict=True):
            structure(t, b)
        return budgets

    shaped = with_structure()

    def new_stats() -> None:
        forget_documents()
        for d in docs:
            budget = TreeBudget(60.0)
            tree = parse_source_less(parser, d, 60.0, budget)
            tree_stats(tree, lang, len(d), budget)

    ops: dict[str, Callable[[], object]] = {
        "stats_old": lambda: [old_stats(old_parse(parser, d, 60.0), lang, len(d)) for d in docs],
        "stats_new": new_stats,
        "signals_old": lambda: [old_signals(language, t) for t in trees],
        "signals_new_shaped": lambda: [
            language_signals(language, t, b) for t, b in zip(trees, shaped, strict=True)
        ],
        "signals_new_alone": lambda: [
            language_signals(language, t, TreeBudget(60.0)) for t in trees
        ],
    }
    best = {k: float("inf") for k in ops}
    for _ in range(repeat):
        for key, op in ops.items():
            start = time.process_time()
            op()
            best[key] = min(best[key], time.process_time() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=8)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(
        "| language | files | MB | parse@1 old s | new s | ratio | signals old s | new (after parse@1) | ratio | new (alone) | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for language, (root, suffix) in ROOTS.items():
        docs = load(root, suffix, int(args.mb * 1e6))
        if not docs:
            continue
        b = measure(language, docs, args.repeat)
        mb = sum(map(len, docs)) / 1e6
        print(
            f"| {language} | {len(docs)} | {mb:.1f} | {b['stats_old']:.2f} | {b['stats_new']:.2f} "
            f"| {b['stats_new'] / b['stats_old']:.3f} | {b['signals_old']:.3f} "
            f"| {b['signals_new_shaped']:.3f} | {b['signals_new_shaped'] / b['signals_old']:.3f} "
            f"| {b['signals_new_alone']:.3f} | {b['signals_new_alone'] / b['signals_old']:.3f} |"
        )


if __name__ == "__main__":
    main()
