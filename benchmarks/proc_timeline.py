"""Sample a command's process tree (CPU seconds and RSS per process) while it runs.

    .venv/bin/python benchmarks/proc_timeline.py --out /tmp/t.jsonl -- curate run ...

Every ``--every`` seconds one JSON line per live process of the tree: ``t`` (seconds since
start), ``pid``, ``name`` (Ray's process title, e.g. ``ray::_execute``, or the executable),
``cpu`` (user + system seconds so far) and ``rss_mb``. ``summarize`` turns the lines into a
per-interval table of busy cores and the processes that used them, which shows where cores sit
idle (Ray start-up, driver-only steps, a straggling shard). ``--run RUN`` (the command's run
directory) also prints when the first unit of work started, in seconds after the command was
launched (the markers' ``time.start``): the fixed start-up latency of a run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import psutil


def _name(proc: psutil.Process) -> str:
    try:
        cmd = proc.cmdline()
    except (psutil.Error, OSError):
        return "?"
    if not cmd:
        return proc.name()
    head = cmd[0]
    if head.startswith("ray::"):
        return head.split()[0]
    if "python" in Path(head).name:
        script = next((Path(c).name for c in cmd[1:] if not c.startswith("-")), "")
        return f"python:{script}"
    return Path(head).name


def sample(cmd: list[str], out: Path, every: float, stdout: int | None = None) -> int:
    """Run ``cmd`` (its stdout to ``stdout``); write samples of its process tree to ``out``
    until it exits; returns its exit status."""
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=stdout)
    root = psutil.Process(child.pid)
    names: dict[int, str] = {}
    with out.open("w") as handle:
        while child.poll() is None:
            now = round(time.perf_counter() - started, 2)
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                procs = [root]
            for proc in procs:
                try:
                    with proc.oneshot():
                        times = proc.cpu_times()
                        rss = proc.memory_info().rss / 2**20
                        # a Ray worker renames itself after its first task: re-read until titled
                        if not names.get(proc.pid, "").startswith("ray::"):
                            names[proc.pid] = _name(proc)
                except psutil.Error:
                    continue
                row = {
                    "t": now,
                    "pid": proc.pid,
                    "name": names[proc.pid],
                    "cpu": round(times.user + times.system, 2),
                    "rss_mb": round(rss, 1),
                }
                handle.write(json.dumps(row) + "\n")
            time.sleep(every)
    return child.returncode


def summarize(path: Path, bin_s: float) -> str:
    """Per ``bin_s`` interval: busy cores in total and per process (name/pid), peak RSS."""
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    by_pid: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_pid[row["pid"]].append(row)
    names = {pid: max((r["name"] for r in rs), key=len) for pid, rs in by_pid.items()}
    end = max(r["t"] for r in rows)
    lines = []
    t = 0.0
    while t < end:
        busy: dict[int, float] = {}
        for pid, rs in by_pid.items():
            inside = [r for r in rs if t <= r["t"] < t + bin_s]
            before = [r for r in rs if r["t"] < t]
            if not inside:
                continue
            start_cpu = before[-1]["cpu"] if before else inside[0]["cpu"]
            used = inside[-1]["cpu"] - start_cpu
            if used > 0.05 * bin_s:
                busy[pid] = used / bin_s
        total = sum(busy.values())
        top = sorted(busy.items(), key=lambda kv: -kv[1])[:4]
        who = ", ".join(f"{names[p]}[{p}] {c:.2f}" for p, c in top)
        lines.append(f"{t:6.0f}-{t + bin_s:<4.0f} cores {total:4.2f}  {who}")
        t += bin_s
    peaks = sorted(
        ((max(r["rss_mb"] for r in rs), names[pid], pid) for pid, rs in by_pid.items()),
        reverse=True,
    )
    lines.append("peak RSS MB: " + ", ".join(f"{n}[{p}] {mb:.0f}" for mb, n, p in peaks[:8]))
    cpu = sum(rs[-1]["cpu"] for rs in by_pid.values())
    lines.append(f"total sampled CPU s {cpu:.1f}, wall {end:.1f} s")
    return "\n".join(lines)


def first_unit_s(run: Path, launched: float) -> float | None:
    """Seconds from ``launched`` (epoch) to the earliest unit start in ``run``'s markers."""
    starts = []
    for path in run.glob("_markers/*/*.json"):
        try:
            starts.append(json.loads(path.read_text())["time"]["start"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return round(min(starts) - launched, 2) if starts else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--every", type=float, default=0.5)
    parser.add_argument("--bin", type=float, default=5.0)
    parser.add_argument("--summarize", action="store_true", help="only summarize --out")
    parser.add_argument("--run", type=Path, help="the command's run directory (first unit)")
    parser.add_argument("cmd", nargs="*")
    args = parser.parse_args(argv)
    rc = 0
    launched = time.time()
    if not args.summarize:
        rc = sample(args.cmd, args.out, args.every)
    print(summarize(args.out, args.bin))
    if args.run is not None and not args.summarize:
        print(f"first unit started {first_unit_s(args.run, launched)} s after launch")
    return rc


if __name__ == "__main__":
    sys.exit(main())
