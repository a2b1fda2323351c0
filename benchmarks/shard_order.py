"""How well a unit order spreads a run's shard phase (ingest + annotate) over W workers.

For a finished run: each shard's measured work (its ingest and annotate markers' ``cpu_s``,
less the one-time set-up), then the makespan of handing the shards out in three orders to W
workers that each take the next unit when free (what ``RayRunner.map`` does): by compressed
``input_bytes`` (the order before session 9), by the planner's ``work_bytes`` estimate
(expected uncompressed bytes, ``curate.ingest.expected``) and by the measured work itself
(LPT on the true costs). For 2 workers also the best split of all (a floor). And each
worker's busy time in the run, from the markers' ``worker.pid``, ``time`` and ``cpu_s``.

    PYTHONPATH=. .venv/bin/python benchmarks/shard_order.py RUN --input DIR --workers 2
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow.parquet as pq

from curate.engine.shards import fan_out, plan_shards
from curate.ingest import discover_sources
from curate.ingest.config import IngestConfig

STEPS = ("ingest", "annotate")


def makespan(order: Sequence[str], cost: dict[str, float], workers: int) -> float:
    """Seconds until the last unit ends when ``order`` is handed out to ``workers``."""
    free = [0.0] * workers
    for unit in order:
        heapq.heappush(free, heapq.heappop(free) + cost[unit])
    return max(free)


def best_split(costs: list[float]) -> float:
    """The smallest makespan of any 2-way split (subset sums, to the centisecond)."""
    cents = [round(c * 100) for c in costs]
    sums = 1  # bit i set: some subset sums to i centiseconds
    for c in cents:
        sums |= sums << c
    total = sum(cents)
    return min(max(i, total - i) for i in range(total + 1) if sums >> i & 1) / 100


def _markers(run: Path, unit: str) -> list[dict]:
    return [json.loads((run / "_markers" / s / f"{unit}.json").read_text()) for s in STEPS]


def report(run: Path, inputs: list[str], workers: int) -> dict[str, float]:
    units = pq.read_table(run / "manifest.parquet").column("shard_id").to_pylist()
    records = {u: _markers(run, u) for u in units}
    # A worker's one-time set-up (``setup_cpu_s``: imports, compiled kernels) is in its first
    # unit, whichever that was: taken out, it is the same for every order.
    setup = {u: sum(r["stats"].get("setup_cpu_s", 0.0) for r in records[u]) for u in units}
    cost = {u: sum(r["stats"]["cpu_s"] for r in records[u]) - setup[u] for u in units}
    sources, _ = discover_sources(inputs, IngestConfig())
    shards = {s.shard_id: s for s in plan_shards(sources, 256 << 20, fan_out(workers))}
    assert set(shards) == set(units), "the run's plan is not the default one of its inputs"

    def by(key: Callable[[str], float]) -> list[str]:
        return sorted(units, key=lambda u: -key(u))  # stable: ties keep unit order

    total = sum(cost.values())
    out = {"shards": len(units), "setup_cpu_s": sum(setup.values()), "total_cpu_s": total}
    out["ideal_s"] = total / workers
    for name, key in (
        ("input_bytes", lambda u: shards[u].input_bytes),
        ("work_bytes", lambda u: shards[u].work_bytes),
        ("measured", lambda u: cost[u]),
    ):
        out[f"makespan_{name}"] = makespan(by(key), cost, workers)
    if workers == 2:
        out["makespan_best_split"] = best_split(list(cost.values()))
    busy: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for u in units:
        for r in records[u]:
            busy[r["worker"]["pid"]][0] += r["time"]["end"] - r["time"]["start"]
            busy[r["worker"]["pid"]][1] += r["stats"]["cpu_s"]
    for i, (pid, (wall, cpu)) in enumerate(sorted(busy.items())):
        out[f"worker{i}_pid{pid}_busy_wall_s"] = wall
        out[f"worker{i}_pid{pid}_cpu_s"] = cpu
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--input", action="append", required=True, help="the runs' inputs")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    for run in args.runs:
        print(run)
        for key, value in report(run, args.input, args.workers).items():
            print(f"  {key:32s} {value:10.2f}" if isinstance(value, float) else f"  {key} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
