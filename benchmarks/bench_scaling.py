"""Wall-time speed-up of ``curate run`` with 2 workers against 1 on the same inputs.

Runs the recipe twice (``--workers 1`` and ``--workers 2``) into temp dirs, prints wall seconds,
CPU seconds of the whole process tree (children included) and the speed-up, and checks that the
mixtures are identical (row digests from ``run_digest.py``, so shard layout does not matter).

    .venv/bin/python benchmarks/bench_scaling.py --input /work/main/.bench/e2e/archives

On a shared machine the numbers are noisy; rerun on an idle one before quoting them.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proc_timeline import sample
from run_digest import folders, table_digest


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(recipe: Path, inputs: Path, out: Path, workers: int) -> tuple[float, float]:
    """One ``curate run``; returns (wall seconds, CPU seconds of its process tree). The
    process tree is sampled into ``out.with_suffix('.timeline.jsonl')`` (``sampled_rss``)."""
    curate = Path(sys.executable).with_name("curate")  # the venv's console script
    cmd = [str(curate), "run", str(recipe), "--input", str(inputs)]
    cmd += ["--output", str(out), "--workers", str(workers), "--quiet"]
    cpu, wall = _children_cpu(), time.perf_counter()
    if sample(cmd, out.with_suffix(".timeline.jsonl"), 0.5, subprocess.DEVNULL) != 0:
        raise SystemExit(f"curate run failed: {' '.join(cmd)}")
    return time.perf_counter() - wall, _children_cpu() - cpu


def sampled_rss(timeline: Path) -> list[tuple[int, float, str]]:
    """Peak RSS (MB) of every process of the run, sampled twice a second: ``(pid, MB, name)``,
    largest first. Catches what markers miss: tasks without markers (policy, mixer) and
    Ray's own processes."""
    peak: dict[int, tuple[float, str]] = {}
    for line in timeline.read_text().splitlines():
        row = json.loads(line)
        old = peak.get(row["pid"], (0.0, ""))
        name = max(old[1], row["name"], key=len)
        peak[row["pid"]] = (max(old[0], row["rss_mb"]), name)
    return sorted(((p, mb, n) for p, (mb, n) in peak.items()), key=lambda r: -r[1])


def process_rss(run: Path) -> list[tuple[int, float, list[str]]]:
    """Peak RSS (MB) of every process that ran units, from the step markers: ``(pid, max RSS,
    the steps it ran)``, largest first. Ray workers are reused between tasks, so a worker's
    figure is its peak over everything it ran."""
    peak: dict[int, float] = {}
    steps: dict[int, set[str]] = {}
    for path in (run / "_markers").glob("*/*.json"):
        marker = json.loads(path.read_text())
        pid = marker.get("worker", {}).get("pid")
        rss = [v.get("max_rss_mb") for v in marker.get("stats", {}).values() if isinstance(v, dict)]
        rss = [r for r in rss if r] + [marker.get("stats", {}).get("max_rss_mb") or 0]
        if pid is None:
            continue
        peak[pid] = max(peak.get(pid, 0.0), *rss)
        steps.setdefault(pid, set()).add(path.parent.name.split("__")[0])
    return sorted(((p, peak[p], sorted(steps[p])) for p in peak), key=lambda r: -r[1])


def mixture_digests(run: Path) -> list[tuple[str, int, str]]:
    """Sorted (folder, rows, digest) for every mixture of a run."""
    return [
        (name, *table_digest(files, set()))
        for name, files in folders(run)
        if name.startswith("mixtures/")
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", type=Path, default=Path("pipelines/default.toml"))
    parser.add_argument("--input", type=Path, default=Path("/work/main/.bench/e2e/archives"))
    args = parser.parse_args(argv)
    results: dict[int, tuple[float, float, list[tuple[str, int, str]]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        for workers in (1, 2):
            out = Path(tmp) / f"w{workers}"
            wall, cpu = run_once(args.pipeline, args.input, out, workers)
            results[workers] = (wall, cpu, mixture_digests(out))
            print(f"workers={workers}\twall_s={wall:.1f}\tcpu_s={cpu:.1f}")
            for pid, mb, steps in process_rss(out):
                print(f"  pid {pid}: peak RSS {mb:.0f} MB ({', '.join(steps)})")
            for pid, mb, name in sampled_rss(out.with_suffix(".timeline.jsonl"))[:6]:
                print(f"  sampled pid {pid}: peak RSS {mb:.0f} MB ({name})")
    speedup = results[1][0] / results[2][0]
    same = results[1][2] == results[2][2] and bool(results[1][2])
    print(f"speed-up (wall, 1 -> 2 workers): {speedup:.2f}x")
    print(f"mixtures identical: {same} ({len(results[1][2])} mixture folders)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
