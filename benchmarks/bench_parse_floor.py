"""Parse floor: CPU of a bare ``parser.parse(bytes)`` versus the parse annotator on the same
documents, measured in one process with rounds interleaved (best of ``--repeat``).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_parse_floor.py --mb 40 [--repeat 2]

Documents: ``<run>/documents/*.parquet`` (default the e2e benchmark's run), read in file order
until ``--mb`` MB of content. The bare parse covers only documents whose ``language`` has a
grammar; the annotator sees every document (it skips the rest cheaply), so the ratio is the
annotator's whole cost over the parse it cannot avoid.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curate.config import load_pipeline
from curate.languages import get_parser

ROOT = Path(__file__).resolve().parents[1]


def load(run: Path, limit: int) -> list[pa.RecordBatch]:
    batches, total = [], 0
    for path in sorted((run / "documents").glob("*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
            batches.append(batch)
            total += sum(len(c.encode()) for c in batch.column("content").to_pylist())
            if total >= limit:
                return batches
    return batches


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=Path("/work/main/.bench/e2e/run"))
    ap.add_argument("--recipe", type=Path, default=ROOT / "pipelines" / "default.toml")
    ap.add_argument("--mb", type=float, default=40.0)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    batches = load(args.run, int(args.mb * 1e6))
    docs = []
    for batch in batches:
        for lang, text in zip(
            batch.column("language").to_pylist(), batch.column("content").to_pylist(), strict=True
        ):
            parser = get_parser(lang) if lang else None
            if parser is not None:
                docs.append((parser, text.encode()))
    spec = next(
        s for s in load_pipeline(args.recipe).annotator_specs() if s.key.startswith("parse@")
    )
    annotator = spec.cls(spec.config)
    annotator.setup()
    from curate.engine.annotate import AnnotateLoop

    best = {"bare": float("inf"), "annotator": float("inf")}
    for _ in range(args.repeat):
        started = time.process_time()
        for parser, data in docs:
            parser.parse(data)
        best["bare"] = min(best["bare"], time.process_time() - started)
        loop = AnnotateLoop([annotator])
        started = time.process_time()
        for batch in batches:
            loop.annotate(batch)
        best["annotator"] = min(best["annotator"], time.process_time() - started)
    mb = sum(len(d) for _, d in docs) / 1e6
    print(f"{len(docs)} parsable documents, {mb:.1f} MB")
    print(f"bare parse CPU s     {best['bare']:.2f}")
    print(f"parse annotator CPU s {best['annotator']:.2f}")
    print(f"ratio                {best['annotator'] / best['bare']:.2f}")


if __name__ == "__main__":
    main()
