"""Writing a run's documents files, and reading them back as the later steps do, per Parquet
layout: CPU seconds of the write and of each read, bytes on disk, values checked identical.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_documents_io.py [--run RUN] [--rounds N]

Each variant rewrites every ``documents/*.parquet`` of ``--run`` with the same row groups (one
per ingest batch, as ``curate.ingest.stage`` writes them), then reads the files the ways the
pipeline does: annotate (every column, row group by row group, with Arrow's threads as
``curate.engine.annotate`` reads them, and on the calling thread), dedup's near-duplicate bands (``pl.read_parquet`` of five columns with ``content``) and the mixer
(``pq.read_table`` of its columns with ``content``, one thread). Rounds alternate the
variants; the best round of each is printed, after a warm-up round.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.engine import worker_cache
from curate.rundir import PARQUET_COMPRESSION
from curate.schema import DOCUMENTS, DOCUMENTS_PLAIN, dictionary_columns

ROOT = Path(__file__).resolve().parents[1]
_NEAR = ["doc_uid", "content_sha", "repo", "language", "content"]
_MIX = ["doc_uid", "repo", "language", "size_bytes", "content"]
_SMALL = dictionary_columns(DOCUMENTS, DOCUMENTS_PLAIN)


def _writer(
    path: Path, level: int, dictionary: bool | list[str], stats: bool | list[str] = True
) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        path,
        DOCUMENTS,
        compression=PARQUET_COMPRESSION,
        compression_level=level,
        use_dictionary=dictionary,
        write_statistics=stats,
    )


VARIANTS: dict[str, Callable[[Path], pq.ParquetWriter]] = {
    "zstd3 dict all (before)": lambda p: _writer(p, 3, True),
    "zstd3 dict small (after)": lambda p: _writer(p, 3, _SMALL),
    "zstd3 dict small, no content stats": lambda p: _writer(
        p, 3, _SMALL, [n for n in DOCUMENTS.names if n != "content"]
    ),
    "zstd2 dict small": lambda p: _writer(p, 2, _SMALL),
    "zstd1 dict small": lambda p: _writer(p, 1, _SMALL),
    "zstd2 dict all": lambda p: _writer(p, 2, True),
    "zstd1 dict all": lambda p: _writer(p, 1, True),
}


def _cpu(fn: Callable[[], object]) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def write_files(groups: dict[str, list[pa.Table]], out: Path, make: Callable) -> float:
    """CPU seconds to write every file of ``groups`` (name -> its row groups) into ``out``."""
    started = time.process_time()
    for name, tables in groups.items():
        writer = make(out / name)
        for table in tables:
            writer.write_table(table)
        writer.close()
    worker_cache.release_arrow_pool()
    return time.process_time() - started


def read_annotate(files: list[Path], threads: bool) -> None:
    for path in files:
        parquet = pq.ParquetFile(path)
        for index in range(parquet.num_row_groups):
            parquet.read_row_group(index, use_threads=threads).to_batches()


def reads(files: list[Path]) -> dict[str, float]:
    out = {
        "annotate": _cpu(lambda: read_annotate(files, False)),
        "annotate threads": _cpu(lambda: read_annotate(files, True)),
        "near bands": _cpu(lambda: [pl.read_parquet(f, columns=_NEAR) for f in files]),
        "mixer": _cpu(lambda: [pq.read_table(f, columns=_MIX, use_threads=False) for f in files]),
    }
    worker_cache.release_arrow_pool()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=ROOT / ".bench" / "e2e" / "run")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    worker_cache.tune_allocator()
    sources = sorted((args.run / "documents").glob("*.parquet"))
    groups = {}
    for path in sources:
        parquet = pq.ParquetFile(path)
        groups[path.name] = [parquet.read_row_group(i) for i in range(parquet.num_row_groups)]
    reference = {name: pa.concat_tables(tables) for name, tables in groups.items()}
    scratch = Path(tempfile.mkdtemp(prefix="documents-io-"))
    best: dict[str, dict[str, float]] = {}
    try:
        for round_ in range(args.rounds + 1):
            names = list(VARIANTS) if round_ % 2 == 0 else list(reversed(VARIANTS))
            for name in names:
                out = scratch / str(list(VARIANTS).index(name))
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                cpu = {"write": write_files(groups, out, VARIANTS[name])}
                files = sorted(out.glob("*.parquet"))
                cpu |= reads(files)
                if round_ == 0:  # warm-up; check the values once
                    for path in files:
                        assert pq.read_table(path).equals(reference[path.name]), (name, path)
                    best[name] = {"bytes": sum(f.stat().st_size for f in files)}
                    continue
                for key, value in cpu.items():
                    best[name][key] = round(min(best[name].get(key, 1e9), value), 3)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(json.dumps(best, indent=1))


if __name__ == "__main__":
    main()
