"""Throughput of the quality annotator on real code, one worker (one core, polars on one thread).

Tree-sitter parsing is excluded (as the issue's target says): the batch context has no tree
provider, so the tree-based language signals are skipped; ``--with-trees`` includes them (and
the parse) for comparison.

    .venv/bin/python benchmarks/fetch_corpus.py          # once: .bench/quality/corpus.parquet
    .venv/bin/python benchmarks/bench_quality.py [--with-trees] [--batch-mb 4] [--repeat 3]

``--costs`` prints the CPU seconds of each signal group instead (best of ``--repeat``), on the
documents of a finished run (default: the e2e benchmark's, first ``--mb`` MB, 4 MiB batches as
``bench_annotators.py``), the tree signals on the trees ``parse@1`` leaves (source-less, its budgets spent), the parse
itself excluded: the table of docs/quality.md, "Cost".

    .venv/bin/python benchmarks/bench_quality.py --costs [--run .bench/e2e/run] [--mb 40]
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
from curate.engine.trees import TreeProvider  # noqa: E402
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


def costs(run: Path, mb: float, repeat: int) -> None:
    """CPU seconds of each signal group over the first ``mb`` MB of ``run``'s documents."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from curate.engine.annotate import byte_capped, row_group_batches
    from curate.filters.parse import ParseAnnotator
    from curate.filters.quality import markers, text_stats
    from curate.filters.quality.annotator import SCHEMA

    work, total = [], 0
    for path in sorted((run / "documents").glob("*.parquet")):
        for batch in byte_capped(row_group_batches(pq.ParquetFile(path)), 4 * 1024 * 1024):
            work.append(batch)
            total += int(pc.sum(pc.binary_length(batch.column("content"))).as_py() or 0)
            if total >= mb * 1e6:
                break
        if total >= mb * 1e6:
            break

    def text(batch: pa.RecordBatch, view: text_stats.ByteView) -> dict[str, object]:
        content = view.content
        return {
            # One compiled pass gives both (cached on the view): its whole cost is this row.
            "character classes + line statistics (compiled pass)": lambda: (
                text_stats.char_class_counts(content, view),
                text_stats.line_stats(content, 300, view),
            ),
            "encoded / data-literal fractions": lambda: text_stats.pattern_fractions(
                content, view.sizes, view
            ),
            "repeated 5-gram fraction": lambda: text_stats.repeated_ngram_fraction(
                content, 5, view
            ),
            "path and header markers": lambda: markers.path_and_header_signals(
                pl.DataFrame(
                    {
                        "content": view.series,
                        "path": pl.Series(batch.column("path"), dtype=pl.String),
                    }
                )
            ),
        }

    from curate.filters.quality import kernels

    kernels.warm_up()  # as the annotator's setup does: the JIT is set-up, not per-batch cost
    best: dict[str, float] = {}
    for _ in range(repeat):
        spent: dict[str, float] = {}
        for batch in work:
            view = text_stats.ByteView.of(text_stats.as_large_string(batch.column("content")))
            for name, op in text(batch, view).items():
                start = time.process_time()
                op()  # type: ignore[operator]
                spent[name] = spent.get(name, 0.0) + time.process_time() - start
            ctx = BatchContext(batch, TreeProvider())
            ParseAnnotator().annotate(batch, ctx)  # the trees (and budgets) parse@1 leaves
            columns = {name: [None] * batch.num_rows for name in SCHEMA.names}
            start = time.process_time()
            QualityAnnotator._tree_signals(ctx, columns)
            name = "tree signals (Python, C/C++; parse excluded)"
            spent[name] = spent.get(name, 0.0) + time.process_time() - start
        for name, cpu in spent.items():
            best[name] = min(best.get(name, float("inf")), cpu)
    print(f"{total / 1e6:.1f} MB of {run}, best of {repeat}, CPU s:")
    for name, cpu in best.items():
        print(f"  {name:<46}{cpu:7.3f}")
    print(
        f"  {'sum':<46}{sum(best.values()):7.3f}  = {total / 1e6 / sum(best.values()):.1f} MB/CPU-s"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--batch-mb", type=float, default=4, help="pipeline default: annotate_batch_bytes = 4 MiB"
    )
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--with-trees", action="store_true")
    ap.add_argument("--ngram", type=int, default=5, help="0 skips repeated_ngram_fraction")
    ap.add_argument("--max-mb", type=float, default=48, help="use the first N MB of code files")
    ap.add_argument("--costs", action="store_true", help="CPU of each signal group (see doc)")
    ap.add_argument("--run", type=Path, default=ROOT / ".bench" / "e2e" / "run")
    ap.add_argument("--mb", type=float, default=40, help="--costs: first N MB of the run")
    args = ap.parse_args()
    if args.costs:
        costs(args.run, args.mb, args.repeat)
        return
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
    provider = TreeProvider() if args.with_trees else None
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
