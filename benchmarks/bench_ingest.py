"""Ingest throughput per worker (one process) on a rebuildable corpus: the running Python's
standard library (minus site-packages, __pycache__ and the static-library config dir), written
as a directory, tar.gz, tar.zst, zip, a zstd JSONL export and a Parquet export.

    .venv/bin/python benchmarks/bench_ingest.py [--workdir DIR] [--repeat N] [--profile KIND]

MB/s counts the uncompressed bytes of the corpus files (documents and skipped files alike).
Wall and CPU seconds are the best of --repeat runs; CPU seconds (this process plus the git
child processes) are the per-worker cost and vary less than wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import json
import os
import pstats
import shutil
import subprocess
import sysconfig
import tarfile
import time
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from curate.ingest import IngestConfig, RawFile, discover_sources, read_source


def corpus_files(stdlib: Path) -> list[Path]:
    out = []
    for d, dirs, files in os.walk(stdlib):
        dirs[:] = sorted(
            x
            for x in dirs
            if x not in ("site-packages", "__pycache__") and not x.startswith("config-")
        )
        out.extend(
            Path(d) / f
            for f in sorted(files)
            if (Path(d) / f).is_file() and not (Path(d) / f).is_symlink()
        )
    return out


def build(workdir: Path) -> dict[str, Path]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    forms = {
        "directory": workdir / "stdlib",
        "tar.gz": workdir / "stdlib.tar.gz",
        "tar.zst": workdir / "stdlib.tar.zst",
        "zip": workdir / "stdlib.zip",
        "jsonl.zst": workdir / "stdlib.jsonl.zst",
        "parquet": workdir / "stdlib.parquet",
        "git": workdir / "stdlib.git",
    }
    if all(p.exists() for p in forms.values()):
        return forms
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    files = corpus_files(stdlib)
    rows = []
    for src in files:
        rel = src.relative_to(stdlib).as_posix()
        dst = forms["directory"] / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        rows.append((rel, src.read_bytes()))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        tf.add(forms["directory"], arcname="stdlib")
    forms["tar.gz"].write_bytes(gzip.compress(buf.getvalue(), compresslevel=6))
    forms["tar.zst"].write_bytes(zstandard.ZstdCompressor(level=3).compress(buf.getvalue()))
    with zipfile.ZipFile(forms["zip"], "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in rows:
            zf.writestr(f"stdlib/{rel}", data)
    lines = (
        json.dumps({"content": d.decode("utf-8", "replace"), "path": r, "repo": "stdlib"})
        for r, d in rows
    )
    forms["jsonl.zst"].write_bytes(
        zstandard.ZstdCompressor(level=3).compress("\n".join(lines).encode())
    )
    table = pa.table(
        {
            "content": [d for _, d in rows],
            "path": [r for r, _ in rows],
            "repo": ["stdlib"] * len(rows),
        }
    )
    pq.write_table(table, forms["parquet"], compression="zstd", row_group_size=256)
    gitdir = ["git", f"--git-dir={forms['git']}", f"--work-tree={forms['directory']}"]
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}  # fmt: skip
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(forms["git"])], check=True)
    subprocess.run([*gitdir, "add", "-A"], check=True, env=env)
    subprocess.run([*gitdir, "commit", "-q", "-m", "stdlib"], check=True, env=env)
    return forms


def cpu_seconds() -> float:
    """CPU time of this process plus its waited-for children (the git processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run_once(path: Path, cfg: IngestConfig) -> tuple[float, float, int, int, int, int]:
    start, cpu_start = time.perf_counter(), cpu_seconds()
    specs, _ = discover_sources([str(path)], cfg)
    docs = files = nbytes = 0
    for spec in specs:
        for item in read_source(spec, cfg):
            if isinstance(item, RawFile):
                docs += 1
                files += 1
                nbytes += item.size_bytes
            else:
                files += item.files
                nbytes += item.size_bytes or 0
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    return wall, cpu, docs, files, nbytes, sum(s.size_bytes for s in specs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/curate-bench-ingest"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", default=None, help="form to profile with cProfile (e.g. tar.gz)")
    args = ap.parse_args()
    forms = build(args.workdir)
    # Default limits, but no size cap so every corpus byte is read and decoded.
    cfg = IngestConfig(max_file_bytes=1 << 30)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(
        f"{'form':<10} {'input MB':>9} {'files':>6} {'docs':>6} {'MB':>6} "
        f"{'wall s':>7} {'MB/s':>6} {'files/s':>7} {'cpu s':>6} {'MB/cpu-s':>8} {'files/cpu-s':>11}"
    )
    for name, path in forms.items():
        if args.profile == name:
            prof = cProfile.Profile()
            prof.runcall(run_once, path, cfg)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        runs = [run_once(path, cfg) for _ in range(args.repeat)]
        wall = min(r[0] for r in runs)
        cpu = min(r[1] for r in runs)
        _, _, docs, files, nbytes, in_bytes = runs[0]
        mb = nbytes / 1e6
        print(
            f"{name:<10} {in_bytes / 1e6:>9.1f} {files:>6} {docs:>6} {mb:>6.1f} "
            f"{wall:>7.2f} {mb / wall:>6.1f} {files / wall:>7.0f} {cpu:>6.2f} {mb / cpu:>8.1f} "
            f"{files / cpu:>11.0f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
