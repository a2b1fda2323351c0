"""Ingest + parse throughput of the whole shard segment, local and on Ray with 1 and 2 workers.

Corpus (rebuilt by this script, nothing downloaded): the running interpreter's standard library
and /usr/include, copied as two "repository checkouts" under .bench/corpus/.

    .venv/bin/python benchmarks/bench_pipeline.py [--repeat 1]

Prints one JSON line per configuration: seconds, MB/s and files/s (total and per worker), and
the peak RSS of the process doing the work (the driver for local, the largest Ray worker for
Ray, sampled every 50 ms with psutil).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import sysconfig
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate.config import parse_pipeline  # noqa: E402
from curate.engine.runner import LocalRunner, RayRunner  # noqa: E402
from curate.pipeline import run_pipeline  # noqa: E402


def build_corpus(dest: Path) -> Path:
    if dest.is_dir():
        return dest
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    shutil.copytree(
        stdlib,
        dest / "cpython-stdlib",
        ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"),
        symlinks=True,
    )
    if Path("/usr/include").is_dir():
        shutil.copytree("/usr/include", dest / "usr-include", symlinks=True)
    return dest


class PeakRss:
    """Samples the RSS of matching processes in a background thread."""

    def __init__(self, match: str | None):
        self.match = match
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            procs = (
                [me]
                if self.match is None
                else [
                    p
                    for p in psutil.process_iter(["cmdline"])
                    if any(self.match in part for part in (p.info["cmdline"] or []))
                ]
            )
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    self.peak = max(self.peak, p.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(corpus: Path, out: Path, runner_kind: str, workers: int, parse: bool) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    recipe = {
        "run": {
            "input": [str(corpus)],
            "output": str(out),
            "runner": runner_kind,
            "workers": workers,
            "shard_target_bytes": 16 * 1024 * 1024,
        },
        "annotators": {"parse": {}} if parse else {},
    }
    cfg = parse_pipeline(recipe)
    runner = (
        LocalRunner()
        if runner_kind == "local"
        else RayRunner(workers=workers, temp_dir=out.parent / "ray")
    )
    started = time.perf_counter()
    with PeakRss(None if runner_kind == "local" else "ray::") as rss:
        run_pipeline(cfg, runner)
    seconds = time.perf_counter() - started
    runner.close()
    import curate

    docs = curate.open_run(out).documents.select("size_bytes").collect()
    mb = docs["size_bytes"].sum() / 1e6
    return {
        "runner": runner_kind,
        "workers": workers,
        "parse": parse,
        "files": docs.height,
        "mb": round(mb, 1),
        "seconds": round(seconds, 2),
        "mb_per_s": round(mb / seconds, 2),
        "mb_per_s_per_worker": round(mb / seconds / workers, 2),
        "files_per_s_per_worker": round(docs.height / seconds / workers, 1),
        "peak_rss_mb_per_worker": round(rss.peak / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=ROOT / ".bench" / "corpus")
    args = parser.parse_args()
    corpus = build_corpus(args.corpus)
    out = ROOT / ".bench" / "runs"
    for runner_kind, workers in [("local", 1), ("ray", 1), ("ray", 2)]:
        for parse in (False, True):
            print(
                json.dumps(
                    measure(corpus, out / f"{runner_kind}{workers}", runner_kind, workers, parse)
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
