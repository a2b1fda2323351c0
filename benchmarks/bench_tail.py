"""CPU of the pipeline's tail (policy, mixture, card, summary) and of the child's start-up.

    .venv/bin/python benchmarks/bench_tail.py --run .bench/e2e/run --repeat 3

``--run`` is a finished run of ``pipelines/default.toml`` (``benchmarks/bench_e2e.py`` leaves
one in ``.bench/e2e/run``); it is only read. Each round copies its ingest, annotate and dedup
outputs (and their markers) into a scratch folder and runs ``curate run --runner local`` on
the copy in a fresh child process, so only the tail steps run. Rounds alternate with a no-op
rerun of the finished copy, whose CPU is the start-up: imports, planning and the up-to-date
checks of every step. Steps' CPU comes from ``stats/steps/*.json``, the child's from rusage.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _repo import ROOT

TAIL = ("policy", "mixture", "card", "summary")
KEEP = ("documents", "attributes", "dedup", "skipped", "manifest.parquet", "pipeline.toml")


def prepare(src: Path, dst: Path) -> None:
    """``dst``: ``src`` without the tail steps' outputs and markers."""
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    for name in KEEP:
        path = src / name
        if path.is_dir():
            shutil.copytree(path, dst / name)
        elif path.is_file():
            shutil.copy2(path, dst / name)
    shutil.copytree(
        src / "_markers",
        dst / "_markers",
        ignore=lambda folder, names: [
            n for n in names if Path(folder) == src / "_markers" and n in TAIL
        ],
    )
    steps = src / "stats" / "steps"
    (dst / "stats" / "steps").mkdir(parents=True)
    for path in steps.glob("*.json"):
        if path.stem not in TAIL:
            shutil.copy2(path, dst / "stats" / "steps" / path.name)


def child(recipe: Path, inputs: Path, out: Path) -> float:
    """CPU seconds of one ``curate run`` on ``out`` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [sys.executable, "-m", "curate.cli", "run", str(recipe), "--runner", "local",
         "--input", str(inputs), "--output", str(out), "--quiet"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def steps_cpu(out: Path) -> dict[str, float]:
    cpu = {}
    for name in TAIL:
        path = out / "stats" / "steps" / f"{name}.json"
        if path.is_file():
            cpu[name] = json.loads(path.read_text())["counters"]["cpu_s"]
    return cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=ROOT / ".bench" / "e2e" / "run")
    ap.add_argument("--inputs", type=Path, help="the run's inputs (default: RUN/../archives)")
    ap.add_argument("--recipe", type=Path, default=ROOT / "pipelines" / "default.toml")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="leave the last round's run here")
    args = ap.parse_args()
    inputs = args.inputs or args.run.parent / "archives"
    rounds = []
    with tempfile.TemporaryDirectory(prefix="bench_tail-") as tmp:
        out = args.keep or Path(tmp) / "run"
        for _ in range(args.repeat):
            prepare(args.run, out)
            total = child(args.recipe, inputs, out)
            steps = steps_cpu(out)
            noop = child(args.recipe, inputs, out)
            row = {"tail_child": total, "startup": noop, **steps, "tail": sum(steps.values())}
            rounds.append(row)
            print(" ".join(f"{k} {v:.2f}" for k, v in row.items()), file=sys.stderr)
    best = {k: min(r[k] for r in rounds) for k in rounds[0]}
    print("| | best CPU s | all rounds |\n|---|---:|---|")
    for key in ("startup", *TAIL, "tail", "tail_child"):
        if key in best:
            runs = ", ".join(f"{r[key]:.2f}" for r in rounds)
            print(f"| {key} | {best[key]:.2f} | {runs} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
