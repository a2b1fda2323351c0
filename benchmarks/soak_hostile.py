"""Soak the pipeline on the hostile corpus (benchmarks/hostile_corpus.py) and check the run.

    python benchmarks/soak_hostile.py [--runner local|ray] [--workers 2] [--bomb-mb 2048]
        [--bracket-depth 100000] [--languages c,python] [--keep DIR]

Generates the corpus in a temp dir, runs ``curate run pipelines/default.toml`` on it as a
subprocess (the recipe copied with ``shard_target_bytes = 1``, so every input case is its own
shard and its ingest + annotate seconds are read from the shard markers), then checks:
exit 0, no ``Traceback`` in the output, every input file accounted for (documents + skipped
files per case = the count the generator wrote), nothing written outside the run dir, the peak
RSS of the process tree (psutil, sampled every 0.2 s; plus getrusage's largest child), and the
longest per-case time. Prints a table; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from hostile_corpus import ESCAPE, write_corpus  # noqa: E402

RSS_LIMIT_MB = 1024


def _snapshot(root: Path, exclude: Path) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == exclude or exclude in Path(dirpath).parents:
            dirnames[:] = []
            continue
        for name in [*filenames, *dirnames]:
            p = os.path.join(dirpath, name)
            if Path(p) == exclude:
                continue
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[p] = (st.st_size, st.st_mtime_ns)
    return out


class TreeRss(threading.Thread):
    """Peak summed RSS of a process and its descendants (psutil), sampled."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_mb, self.done = pid, every, 0.0, False

    def run(self) -> None:
        try:
            import psutil
        except ImportError:
            return
        try:
            proc = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.done:
            total = 0
            try:
                for p in [proc, *proc.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
            except psutil.Error:
                return
            self.peak_mb = max(self.peak_mb, total / 2**20)
            time.sleep(self.every)


def _recipe(tmp: Path) -> Path:
    text = (ROOT / "pipelines" / "default.toml").read_text()
    text, n = re.subn(r"(?m)^shard_target_bytes\s*=.*$", "shard_target_bytes = 1", text)
    assert n == 1, "default.toml has no shard_target_bytes line"
    path = tmp / "soak.toml"
    path.write_text(text)
    return path


def _case_of(uri: str, corpus: Path) -> str:
    rel = os.path.relpath(uri, corpus)
    return rel.split(os.sep, 1)[0]


def _tables(run: Path, corpus: Path) -> tuple[dict[str, int], dict[str, int], dict[str, list[str]]]:
    docs: dict[str, int] = {}
    skipped: dict[str, int] = {}
    reasons: dict[str, list[str]] = {}
    for f in sorted((run / "documents").glob("*.parquet")):
        for uri in pq.read_table(f, columns=["source_uri"]).column("source_uri").to_pylist():
            docs[_case_of(uri, corpus)] = docs.get(_case_of(uri, corpus), 0) + 1
    for f in sorted((run / "skipped").glob("*.parquet")):
        t = pq.read_table(f, columns=["source_uri", "reason", "files"]).to_pylist()
        for row in t:
            case = _case_of(row["source_uri"], corpus)
            skipped[case] = skipped.get(case, 0) + int(row["files"] or 0)
            reasons.setdefault(case, []).append(row["reason"])
    return docs, skipped, reasons


def _case_seconds(run: Path, corpus: Path) -> dict[str, float]:
    """Ingest + annotate seconds per case, from the shard markers (one case per shard)."""
    manifest = pq.read_table(run / "manifest.parquet").to_pylist()
    markers = run / "_markers"
    out: dict[str, float] = {}
    for shard in manifest:
        sid = shard["shard_id"]
        total = 0.0
        for step in markers.iterdir():
            m = step / f"{sid}.json"
            if not m.exists():
                continue
            info = json.loads(m.read_text())
            total += float(info.get("stats", {}).get("wall_s") or 0.0)  # curate.engine.step
        cases = sorted({_case_of(u, corpus) for u in shard["source_uris"]})
        key = "+".join(cases)
        out[key] = out.get(key, 0.0) + total
    return out


def soak(args: argparse.Namespace, tmp: Path) -> int:
    corpus = tmp / "corpus"
    started = time.perf_counter()
    cases = write_corpus(corpus, args.bomb_mb, args.big_mb, args.bracket_depth, args.languages)
    gen_s = time.perf_counter() - started
    run = tmp / "run"
    recipe = _recipe(tmp)
    before = _snapshot(tmp, run)
    cmd = [sys.executable, "-c", "from curate.cli import main; main()", "run", str(recipe), "--input", str(corpus),
           "--output", str(run), "--runner", args.runner]  # fmt: skip
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    sampler = TreeRss(proc.pid)
    sampler.start()
    output, _ = proc.communicate()
    sampler.done = True
    wall = time.perf_counter() - started
    child_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    text = output.decode("utf-8", "replace")
    after = _snapshot(tmp, run)

    failures: list[str] = []
    if proc.returncode != 0:
        failures.append(f"exit code {proc.returncode}")
    if "Traceback" in text:
        failures.append("Traceback in the output")
    changed = sorted(p for p in after if before.get(p) != after[p])
    if changed:
        failures.append(f"written outside the run dir: {changed[:5]}")
    escaped = [str(p) for base in (tmp, tmp.parent, Path.cwd(), Path("/tmp"))
               for p in base.glob(f"**/{ESCAPE}*") if run not in p.parents][:5]  # fmt: skip
    if escaped:
        failures.append(f"traversal target written: {escaped}")

    rows = []
    if proc.returncode == 0:
        docs, skipped, reasons = _tables(run, corpus)
        seconds = _case_seconds(run, corpus)
        for case, expected in sorted(cases.items()):
            got = docs.get(case, 0) + skipped.get(case, 0)
            why = reasons.get(case, [])
            if expected is None:
                ok = got > 0 or bool(why)
            elif expected == 0:
                ok = why == ["empty_source"] and docs.get(case, 0) == 0
            else:
                ok = got == expected
            if "source_error" in why:
                ok = False
            if not ok:
                failures.append(
                    f"{case}: expected {expected}, got {docs.get(case, 0)} documents + {skipped.get(case, 0)} skipped {sorted(set(why))}"
                )
            shown = sorted(set(why))
            rows.append(
                (
                    case,
                    expected,
                    docs.get(case, 0),
                    skipped.get(case, 0),
                    ",".join(shown)[:60],
                    seconds.get(case, 0.0),
                    ok,
                )
            )
        longest = max(seconds.items(), key=lambda kv: kv[1], default=("-", 0.0))
    else:
        longest = ("-", 0.0)
        print(text[-4000:])

    print(f"corpus: {len(cases)} cases, generated in {gen_s:.1f} s; run: {' '.join(cmd[3:])}")
    print(f"{'case':<34} {'expect':>6} {'docs':>6} {'skip':>6} {'secs':>7}  ok  reasons")
    for case, expected, d, s, why, secs, ok in rows:
        print(
            f"{case[:34]:<34} {expected!s:>6} {d:>6} {s:>6} {secs:>7.2f}  {'y' if ok else 'N'}   {why}"
        )
    print(f"wall {wall:.1f} s, exit {proc.returncode}, tracebacks {text.count('Traceback')}")
    print(
        f"peak RSS: process tree {sampler.peak_mb:.0f} MB (psutil), largest child {child_rss_mb:.0f} MB (getrusage)"
    )
    print(f"longest case: {longest[0]} {longest[1]:.2f} s (ingest + annotate)")
    rss = max(sampler.peak_mb, child_rss_mb)
    if rss > RSS_LIMIT_MB:
        failures.append(f"peak RSS {rss:.0f} MB > {RSS_LIMIT_MB} MB")
    for f in failures:
        print(f"FAIL: {f}")
    print("OK" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runner", default="local", choices=("local", "ray"))
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--bomb-mb", type=int, default=2048)
    ap.add_argument("--big-mb", type=int, default=100)
    ap.add_argument("--bracket-depth", type=int, default=100_000)
    ap.add_argument("--languages", default=None, help="bracket files for these only (default: all)")
    ap.add_argument("--keep", type=Path, default=None, help="use this (new) folder and keep it")
    args = ap.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True)
        sys.exit(soak(args, args.keep.resolve()))
    with tempfile.TemporaryDirectory(prefix="curate-soak-") as tmp:
        sys.exit(soak(args, Path(tmp).resolve()))


if __name__ == "__main__":
    main()
