"""The pipeline's ingest step alone, in one process: the recipe's shard plan of the inputs, then
``ingest_shard`` of every shard per round (allocator tuning and Arrow pool release as the engine
does them), CPU seconds per round after a warm-up shard.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_ingest_step.py [--input DIR] [--rounds N]

The first ``pa.array`` of a process imports pandas (~0.2 CPU-s, pyarrow's pandas check); it is
done before the timing, as a pipeline process pays it once, in its first ingest unit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from curate.config import load_pipeline
from curate.engine import worker_cache
from curate.engine.shards import ShardSpec, fan_out, plan_shards
from curate.ingest import discover_sources
from curate.ingest.stage import ingest_shard
from curate.rundir import RunDir

ROOT = Path(__file__).resolve().parents[1]


def ingest_round(out: Path, shards: list[ShardSpec], cfg: object) -> list[float]:
    """CPU seconds of each shard's ingest into a fresh run directory ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    run = RunDir.at(out)
    run.documents.mkdir(parents=True)
    run.skipped.mkdir(parents=True)
    seconds = []
    for shard in shards:
        started = time.process_time()
        ingest_shard(
            run,
            shard,
            cfg.ingest,  # type: ignore[attr-defined]
            batch_rows=cfg.run.batch_rows,  # type: ignore[attr-defined]
            batch_bytes=cfg.run.batch_bytes,  # type: ignore[attr-defined]
        )
        worker_cache.release_arrow_pool()
        seconds.append(time.process_time() - started)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", default=str(ROOT / ".bench" / "e2e" / "archives"))
    ap.add_argument("--recipe", type=Path, default=ROOT / "pipelines" / "default.toml")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="write the last round's run directory here")
    args = ap.parse_args()

    worker_cache.tune_allocator()
    pa.array([0])  # the one-time pandas import (module doc), untimed
    cfg = load_pipeline(args.recipe)
    sources, _skips = discover_sources([args.input], cfg.ingest)
    shards = plan_shards(sources, cfg.run.shard_target_bytes, fan_out(cfg.run.workers))
    out = args.keep or Path(tempfile.mkdtemp(prefix="ingest-step-")) / "run"
    ingest_round(out, shards[-1:], cfg)  # warm-up: language tables, first-use caches
    rounds = [ingest_round(out, shards, cfg) for _ in range(args.rounds)]
    if args.keep is None:
        shutil.rmtree(out.parent, ignore_errors=True)
    totals = [round(sum(r), 3) for r in rounds]
    print(
        json.dumps(
            {
                "shards": len(shards),
                "rounds_cpu_s": totals,
                "best_cpu_s": min(totals),
                "median_cpu_s": sorted(totals)[len(totals) // 2],
            }
        )
    )


if __name__ == "__main__":
    main()
