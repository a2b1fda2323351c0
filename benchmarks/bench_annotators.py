"""Per-annotator throughput (MB per CPU-second) and an output digest, on a run's documents.

    .venv/bin/python benchmarks/bench_annotators.py                       # .bench/e2e/run, all
    .venv/bin/python benchmarks/bench_annotators.py --only secrets,pii --mb 40
    .venv/bin/python benchmarks/bench_annotators.py --digest before.json   # write digests
    .venv/bin/python benchmarks/bench_annotators.py --compare before.json  # same outputs?

Reads ``documents/*.parquet`` of a finished run (by default the e2e benchmark's run, see
``bench_e2e.py --fetch``), runs the default recipe's annotators over them in recipe order in this
one process, exactly as a shard's segment does (``AnnotateLoop``: size guards, shared trees), and
prints per annotator: CPU seconds, MB per CPU-second, one-time setup CPU, and a SHA-256 digest of
its output columns (so an optimisation can show identical findings). Tree-sitter parsing is
charged to the first annotator that asks for a tree (``parse@1`` in the default order).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.config import load_pipeline  # noqa: E402
from curate.engine.annotate import AnnotateLoop, byte_capped, row_group_batches  # noqa: E402


def _digest(batches: list[pa.RecordBatch]) -> str:
    sha = hashlib.sha256()
    for batch in batches:
        for column in batch.columns:
            sha.update(json.dumps(column.to_pylist(), sort_keys=True, default=str).encode())
    return sha.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / ".bench" / "e2e" / "run")
    parser.add_argument("--recipe", type=Path, default=ROOT / "pipelines" / "default.toml")
    parser.add_argument("--only", default="", help="comma-separated annotator names")
    parser.add_argument("--mb", type=float, default=0.0, help="stop after this many MB (0: all)")
    parser.add_argument("--digest", type=Path, help="write per-annotator digests to this JSON")
    parser.add_argument("--compare", type=Path, help="compare digests with this JSON")
    args = parser.parse_args()

    cfg = load_pipeline(args.recipe)
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    specs = [s for s in cfg.annotator_specs() if not wanted or s.key.split("@")[0] in wanted]
    setup: dict[str, float] = {}
    annotators = []
    for spec in specs:
        started = time.process_time()
        annotator = spec.cls(spec.config)
        annotator.setup()
        setup[spec.key] = time.process_time() - started
        annotators.append(annotator)

    loop = AnnotateLoop(annotators)
    outputs: dict[str, list[pa.RecordBatch]] = {a.key(): [] for a in annotators}
    total_bytes = 0
    limit = int(args.mb * 1e6) if args.mb else None
    for path in sorted((args.run / "documents").glob("*.parquet")):
        loop.begin_shard(pl.scan_parquet(path))
        for batch in byte_capped(row_group_batches(pq.ParquetFile(path)), 4 * 1024 * 1024):
            for annotator, out in zip(annotators, loop.annotate(batch), strict=True):
                outputs[annotator.key()].append(out)
            total_bytes += sum(len(b or b"") for b in batch.column("content").to_pylist())
            if limit and total_bytes >= limit:
                break
        if limit and total_bytes >= limit:
            break

    children = loop.stats.to_dict()
    print(f"{total_bytes / 1e6:.1f} MB of documents from {args.run}")
    tree_users = [a.key() for a in annotators if a.uses_trees]
    if tree_users and not any(a.key().startswith("parse@") for a in annotators):
        print(
            f"note: parse@1 is not measured, so {tree_users[0]} pays the tree-sitter parse "
            "(add parse to --only for the pipeline's split)"
        )
    print(f"{'annotator':<14}{'CPU s':>8}{'MB/CPU-s':>10}{'setup s':>9}  digest")
    digests = {}
    for annotator in annotators:
        key = annotator.key()
        cpu = float(children.get(key, {}).get("cpu_s", 0.0))
        digests[key] = _digest(outputs[key])
        rate = total_bytes / 1e6 / cpu if cpu else float("inf")
        print(f"{key:<14}{cpu:>8.2f}{rate:>10.1f}{setup[key]:>9.2f}  {digests[key]}")
    if args.digest:
        args.digest.write_text(json.dumps(digests, indent=1) + "\n")
    if args.compare:
        before = json.loads(args.compare.read_text())
        for key, digest in digests.items():
            same = before.get(key)
            status = "same" if same == digest else ("new" if same is None else "DIFFERENT")
            print(f"{key:<14}{status}")


if __name__ == "__main__":
    main()
