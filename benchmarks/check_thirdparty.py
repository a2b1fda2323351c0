"""Ingest real third-party archives and check what a reviewer checks (docs/ingest.md, "Checked on
third-party archives"):

1. conservation: per archive, ``documents + sum(skipped.files)`` equals the number of members
   counted independently with tarfile / zipfile (every entry that is not a directory);
2. languages: a table per language and per extension (or file name when there is none), plus the
   files without a language, for a person to read;
3. resume: a second ingest of the same output does no work and rewrites no file.

    .venv/bin/python benchmarks/fetch_thirdparty.py     # once: the archives
    .venv/bin/python benchmarks/check_thirdparty.py     # -> .bench/thirdparty-run, exit 1 on a failure

Independent of the test suite; uses only the public API (``curate.pipeline.ingest_only``, runner
``local``) and ``curate.open_run``.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tarfile
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curate import open_run  # noqa: E402
from curate.config import default_pipeline  # noqa: E402
from curate.pipeline import ingest_only  # noqa: E402

ARCHIVES = ROOT / ".bench" / "thirdparty"
RUN = ROOT / ".bench" / "thirdparty-run"


def count_members(archive: Path) -> int:
    """Entries that are not directories: regular files, symlinks, hard links, devices, ..."""
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            return sum(not info.is_dir() for info in zf.infolist())
    with tarfile.open(archive) as tf:
        return sum(not m.isdir() for m in tf)


def _key(path: str) -> str:
    """The extension (lower case), or the base name when the file has none."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else name


def ingest(archives: list[Path], workers: int):  # type: ignore[no-untyped-def]
    cfg = default_pipeline().with_run(
        input=tuple(str(a) for a in archives), output=str(RUN), runner="local", workers=workers
    )
    started = time.perf_counter()
    report = ingest_only(cfg)
    return report, time.perf_counter() - started


PLAN_FILES = ("manifest.parquet", "skipped/discovery.parquet")
"""Written by every run's planning step (cheap); compared by content, shard outputs by mtime."""


def _snapshot() -> dict[str, object]:
    out: dict[str, object] = {}
    for p in RUN.rglob("*.parquet"):
        rel = str(p.relative_to(RUN))
        if p.is_file() and "stats" not in p.parts:
            out[rel] = (
                hashlib.sha256(p.read_bytes()).hexdigest()
                if rel in PLAN_FILES
                else (p.stat().st_mtime_ns)
            )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--fresh", action="store_true", help="delete the run directory first")
    ap.add_argument("--unknown", type=int, default=60, help="list this many files without language")
    args = ap.parse_args()
    archives = sorted(p for p in ARCHIVES.iterdir() if p.is_file())
    if not archives:
        sys.exit(f"no archives in {ARCHIVES}: run benchmarks/fetch_thirdparty.py first")
    if args.fresh:
        shutil.rmtree(RUN, ignore_errors=True)
    failures: list[str] = []

    report, seconds = ingest(archives, args.workers)
    run = open_run(RUN)
    docs = run.documents.select("source_uri", "path", "language", "size_bytes").collect()
    skipped = run.skipped.select("source_uri", "path", "reason", "detail", "files").collect()
    print(f"ingest: {report.shards} shards, {docs.height} documents, {seconds:.1f} s")

    # 1. conservation per archive
    doc_counts = Counter(docs["source_uri"].to_list())
    skip_counts: Counter[str] = Counter()
    for uri, files in zip(skipped["source_uri"], skipped["files"], strict=True):
        skip_counts[uri] += files
    print("\n| archive | members | documents | skipped files | ok |\n|---|---|---|---|---|")
    totals = Counter()
    for archive in archives:
        uri = str(archive)
        members = count_members(archive)
        got = doc_counts[uri] + skip_counts[uri]
        ok = got == members
        totals.update(members=members, documents=doc_counts[uri], skipped=skip_counts[uri])
        if not ok:
            failures.append(f"{archive.name}: {members} members, {got} accounted for")
        print(
            f"| {archive.name} | {members} | {doc_counts[uri]} | {skip_counts[uri]} "
            f"| {'OK' if ok else 'MISMATCH'} |"
        )
    print(
        f"| **all {len(archives)}** | {totals['members']} | {totals['documents']} "
        f"| {totals['skipped']} | {'OK' if not failures else 'FAIL'} |"
    )
    stray = set(doc_counts) | set(skip_counts)
    stray -= {str(a) for a in archives}
    if stray:
        failures.append(f"rows from unexpected sources: {sorted(stray)}")

    print("\nskips by reason:")
    print(skipped.group_by("reason").agg(pl.len(), pl.col("files").sum()).sort("reason"))

    # 2. languages
    lang = (
        docs.group_by("language")
        .agg(pl.len().alias("files"), pl.col("size_bytes").sum().alias("bytes"))
        .sort("files", descending=True)
    )
    print("\n| language | files | bytes |\n|---|---|---|")
    for row in lang.iter_rows(named=True):
        print(f"| {row['language'] or '(none)'} | {row['files']} | {row['bytes']} |")

    by_key: dict[str, Counter[str]] = defaultdict(Counter)
    for path, language in zip(docs["path"], docs["language"], strict=True):
        by_key[_key(path)][language or "(none)"] += 1
    print("\n| extension / name | files | languages |\n|---|---|---|")
    for key, langs in sorted(by_key.items(), key=lambda kv: -sum(kv[1].values())):
        shown = ", ".join(f"{name} {n}" for name, n in langs.most_common())
        print(f"| `{key}` | {sum(langs.values())} | {shown} |")

    unknown = docs.filter(pl.col("language").is_null())
    print(f"\nwithout a language: {unknown.height} of {docs.height} documents")
    for row in unknown.head(args.unknown).iter_rows(named=True):
        print(f"  {Path(row['source_uri']).name}: {row['path']}")

    # 3. resume: a second run does no work and rewrites nothing
    before = _snapshot()
    again, seconds = ingest(archives, args.workers)
    after = _snapshot()
    rewritten = sorted(k for k in before if after.get(k) != before[k])
    print(
        f"\nsecond ingest: did_work={again.did_work}, shards_ingested={again.shards_ingested}, "
        f"{len(rewritten)} of {len(before)} output files changed (shard files by mtime, "
        f"{' and '.join(PLAN_FILES)} by content), {seconds:.1f} s"
    )
    if again.did_work or rewritten:
        failures.append(f"second ingest did work: {again.shards_ingested} shards, {rewritten}")

    print("\nRESULT:", "OK" if not failures else "FAIL")
    for failure in failures:
        print("  -", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
