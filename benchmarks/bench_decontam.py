"""Decontamination false-positive rate on real, unrelated code, listing every flagged file.

Reads ``documents/*.parquet`` (column ``content``) of a finished run, by default the e2e
benchmark's run of real PyPI/npm code, checks up to ``--mb`` MB against the benchmarks and prints
the flagged rate and each flagged path with its evidence, so a flag can be judged by hand.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pyarrow.parquet as pq

from curate.dedup.decontam import build_index


def _documents(run: Path):
    for path in sorted((run / "documents").glob("*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(columns=["path", "content"]):
            yield from zip(*(c.to_pylist() for c in batch.columns), strict=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", type=Path, default=Path("/work/main/.bench/e2e/run"))
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--benchmark", action="append", default=None)
    args = ap.parse_args()
    index = build_index(args.benchmark or ["humaneval"])
    limit, seen, docs, flagged = args.mb * 1e6, 0, 0, []
    cpu = time.process_time()
    names, texts = [], []
    for name, text in _documents(args.run):
        if seen >= limit:
            break
        seen += len(text.encode("utf-8", "surrogatepass"))
        names.append(name)
        texts.append(text)
    docs = len(texts)
    cpu = time.process_time()  # the annotator's path: whole batches through check_batch
    for lo in range(0, docs, 1024):
        for name, m in zip(
            names[lo : lo + 1024], index.check_batch(texts[lo : lo + 1024]), strict=True
        ):
            if m.contaminated:
                flagged.append((name, m.evidence))
    cpu = time.process_time() - cpu
    print(
        f"{seen / 1e6:.1f} MB, {docs} files, {len(flagged)} flagged "
        f"({100 * len(flagged) / max(docs, 1):.3f}%), {seen / 1e6 / cpu:.1f} MB/CPU-s"
    )
    for name, evidence in flagged:
        print(f"  {name}: {'; '.join(evidence)}")


if __name__ == "__main__":
    main()
