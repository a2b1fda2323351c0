"""Throughput of the quality annotator on real code, one worker (one core, polars on one thread).

Tree-sitter parsing is excluded (as the issue's target says): the batch context has no tree
provider, so the tree-based language signals are skipped; ``--with-trees`` includes them (and
the parse) for comparison.

    .venv/bin/python benchmarks/fetch_corpus.py          # once: .bench/quality/corpus.parquet
    .venv/bin/python benchmarks/bench_quality.py [--with-trees] [--batch-mb 4] [--repeat 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # one worker = one core

import argparse
import sys
import time
from pathlib import Path

import polars as pl
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.engine.annotator import BatchContext  # noqa: E402
from curate.filters.quality import QualityAnnotator, QualityConfig  # noqa: E402

CORPUS = ROOT / ".bench" / "quality" / "corpus.parquet"


def batches(frame: pl.DataFrame, batch_bytes: int) -> list[pa.RecordBatch]:
    out, start, acc = [], 0, 0
    sizes = frame["size_bytes"].to_list()
    table = frame.select("doc_uid", "path", "language", "content", "size_bytes").to_arrow()
    for i, size in enumerate(sizes):
        acc += size
        if acc >= batch_bytes:
            out.append(table.slice(start, i + 1 - start).combine_chunks().to_batches()[0])
            start, acc = i + 1, 0
    if start < len(sizes):
        out.append(table.slice(start).combine_chunks().to_batches()[0])
    return out


def tree_provider():  # type: ignore[no-untyped-def]
    from curate.languages.grammars import get_parser

    def provide(language: str, data: bytes):  # type: ignore[no-untyped-def]
        parser = get_parser(language)
        return parser.parse(data) if parser else None

    return provide


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--batch-mb", type=float, default=4, help="pipeline default: annotate_batch_bytes = 4 MiB"
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--with-trees", action="store_true")
    ap.add_argument("--ngram", type=int, default=5, help="0 skips repeated_ngram_fraction")
    ap.add_argument("--max-mb", type=float, default=48, help="use the first N MB of code files")
    args = ap.parse_args()
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} missing: run benchmarks/fetch_corpus.py first")
    # Code only: files whose language is known and is not prose / translation catalogs.
    frame = (
        pl.read_parquet(CORPUS)
        .filter(
            pl.col("language").is_not_null()
            & ~pl.col("language").is_in(["Text", "Gettext Catalog"])
        )
        .sort("doc_uid")
    )
    frame = frame.filter(pl.col("size_bytes").cum_sum() <= args.max_mb * 1e6)
    total = int(frame["size_bytes"].sum())
    work = batches(frame, int(args.batch_mb * 1024 * 1024))
    annotator = QualityAnnotator(QualityConfig(ngram=args.ngram))
    provider = tree_provider() if args.with_trees else None
    best = best_cpu = float("inf")
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        for batch in work:
            annotator.annotate(batch, BatchContext(batch, provider))
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    print(
        f"quality@1 {'with' if args.with_trees else 'without'} trees, ngram={args.ngram}: {frame.height} files, "
        f"{total / 1e6:.1f} MB in {len(work)} batches, best of {args.repeat}: wall {best:.2f} s = "
        f"{total / 1e6 / best:.1f} MB/s, CPU {best_cpu:.2f} s = {total / 1e6 / best_cpu:.1f} MB/s "
        f"per worker (POLARS_MAX_THREADS={os.environ['POLARS_MAX_THREADS']}; wall includes waiting "
        "for a core on a shared machine)"
    )


if __name__ == "__main__":
    main()
