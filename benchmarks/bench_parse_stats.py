"""Where parse@1's time goes beyond the parse: per language, CPU of a bare
``parser.parse(bytes)``, of the budgeted read-callback parse, of the statistics query (one
C-level traversal) and of the max-depth TreeCursor walk (one Python-level traversal), as
multiples of the bare parse and as nanoseconds per tree node.

    .venv/bin/python benchmarks/bench_parse_stats.py [--mb 24] [--repeat 5]

Corpus: the documents of ``benchmarks/bench_pipeline.py``'s corpus (.bench/corpus-<mb>mb-x1,
built by that script) that have a grammar. Every figure is the best of ``--repeat`` rounds of
CPU time (``time.process_time``), rounds interleaved across the measured operations.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from tree_sitter import QueryCursor

from curate.filters.parse import max_depth
from curate.languages import detect_language, get_parser
from curate.languages.grammars import parse_source_less
from curate.languages.queries import node_queries
from curate.languages.registry import Language, find_language

ROOT = Path(__file__).resolve().parents[1]


def load(corpus: Path) -> list[tuple[Language, bytes]]:
    docs = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file() and not p.is_symlink()):
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        name = detect_language(str(path), text[:4096])
        lang = find_language(name) if name else None
        data = text.encode()
        if lang and get_parser(lang.name) and node_queries(lang) and len(data) <= 1 << 20:
            docs.append((lang, data))
    return docs


def row(name: str, items: list[tuple[Language, bytes]], repeat: int) -> str:
    """One table row: best-of-``repeat`` CPU of each operation over ``items``."""
    parser = get_parser(name)
    assert parser is not None
    trees = [parse_source_less(parser, data, 5.0) for _, data in items]
    ops: dict[str, Callable[[], object]] = {
        "bare": lambda: [parser.parse(data) for _, data in items],
        "callback": lambda: [parse_source_less(parser, data, 5.0) for _, data in items],
        "query": lambda: [
            QueryCursor(node_queries(lang).query).captures(tree.root_node)  # type: ignore[union-attr]
            for (lang, _), tree in zip(items, trees, strict=True)
        ],
        "walk": lambda: [max_depth(tree) for tree in trees],  # type: ignore[arg-type]
    }
    best = {key: float("inf") for key in ops}
    for _ in range(repeat):
        for key, op in ops.items():
            started = time.process_time()
            op()
            best[key] = min(best[key], time.process_time() - started)
    nodes = sum(t.root_node.descendant_count for t in trees)  # type: ignore[union-attr]
    mb = sum(len(d) for _, d in items) / 1e6
    bare = best["bare"]
    return (
        f"| {name} | {len(items)} | {mb:.1f} | {nodes:,} | {bare:.2f} "
        f"| {best['callback'] / bare:.2f}x | {best['query'] / bare:.2f}x "
        f"| {best['walk'] / bare:.2f}x | {bare / nodes * 1e9:.0f} "
        f"| {best['query'] / nodes * 1e9:.0f} | {best['walk'] / nodes * 1e9:.0f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=24)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    corpus = ROOT / ".bench" / f"corpus-{args.mb:g}mb-x1"
    if not corpus.is_dir():
        raise SystemExit(f"{corpus} missing: run benchmarks/bench_pipeline.py --mb {args.mb:g}")
    docs = load(corpus)
    by_language: dict[str, list[tuple[Language, bytes]]] = {}
    for lang, data in docs:
        by_language.setdefault(lang.name, []).append((lang, data))
    print(
        "| language | files | MB | nodes | bare parse s | callback parse | query | depth walk "
        "| bare ns/node | query ns/node | walk ns/node |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, items in sorted(by_language.items(), key=lambda kv: -len(kv[1])):
        if len(items) >= 20:
            print(row(name, items, args.repeat))


if __name__ == "__main__":
    main()
