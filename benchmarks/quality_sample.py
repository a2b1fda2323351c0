"""Human-judgement sample for docs/quality.md: run the quality annotator (with tree-sitter trees)
and the default policy over the fetched corpus, then draw 50 dropped and 50 kept files with a
fixed seed and print a head of each for a person to judge.

    .venv/bin/python benchmarks/fetch_corpus.py
    .venv/bin/python benchmarks/quality_sample.py [--seed 0] [--n 50] [--lines 12]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.engine.annotator import BatchContext  # noqa: E402
from curate.filters.quality import QualityAnnotator  # noqa: E402
from curate.languages.grammars import get_parser  # noqa: E402
from curate.policy import PolicyConfig, decide, rule_stats  # noqa: E402

CORPUS = ROOT / ".bench" / "quality" / "corpus.parquet"
DECIDED = ROOT / ".bench" / "quality" / "decided.parquet"


def _tree(language: str, data: bytes):  # type: ignore[no-untyped-def]
    parser = get_parser(language)
    return parser.parse(data) if parser else None


def decide_corpus() -> pl.DataFrame:
    # Ingest keeps files whose language it detects; unknown extensions are skipped there.
    frame = pl.read_parquet(CORPUS).filter(pl.col("language").is_not_null())
    parts = []
    for chunk in frame.iter_slices(2000):
        batch = chunk.to_arrow().combine_chunks().to_batches()[0]
        out = QualityAnnotator().annotate(batch, BatchContext(batch, _tree))
        parts.append(chunk.drop("content").hstack(pl.from_arrow(pa.Table.from_batches([out]))))
    decided = decide(pl.concat(parts), PolicyConfig()).collect()
    decided.write_parquet(DECIDED)
    return decided


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--lines", type=int, default=12)
    args = ap.parse_args()
    decided = decide_corpus()
    content = pl.read_parquet(CORPUS).select("doc_uid", "content")
    print(f"{decided.height} files, kept {decided['keep'].sum()}")
    with pl.Config(tbl_rows=40):
        print(rule_stats(decided, by=None).filter(pl.col("files_failing") > 0))
    for label, keep in (("DROPPED", False), ("KEPT", True)):
        sample = (
            decided.filter(pl.col("keep") == keep).sample(n=args.n, seed=args.seed).sort("doc_uid")
        )
        sample = sample.join(content, on="doc_uid", how="left")
        for i, row in enumerate(sample.iter_rows(named=True), 1):
            print(
                f"\n=== {label} {i}: {row['doc_uid']} [{row['language']}, {row['size_bytes']} B] {row['drop_reason'] or ''}"
            )
            for line in row["content"].splitlines()[: args.lines]:
                print("  | " + line[:140])


if __name__ == "__main__":
    main()
