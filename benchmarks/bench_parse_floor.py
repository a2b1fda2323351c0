"""Parse floor: CPU of a bare ``parser.parse(bytes)`` versus the parse annotator (and, with
``--archives``, versus ingest + parse annotator) on the same documents, in one process with
rounds interleaved; reports the best round of each side and every round's paired ratio.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_parse_floor.py --mb 40 [--repeat 2]
    PYTHONPATH=. .venv/bin/python benchmarks/bench_parse_floor.py \
        --archives /work/main/.bench/e2e/archives/numpy-2.1.3.tar.gz --repeat 3 [--also counts=false]

Documents: ``<run>/documents/*.parquet`` (default the e2e benchmark's run), in file order until
``--mb`` MB of content; or, with ``--archives``, the documents each round ingests from those
archives (``ingest_shard`` into a fresh run directory, the recipe's ingest config and batch
caps: what a pipeline worker does for a shard). Batches are cut as the annotate step cuts them
(one row group at a time, at most ``run.annotate_batch_bytes``), and the process tunes its
allocator as a pipeline worker does. The bare parse covers only documents whose ``language``
has a grammar; the annotator sees every document (it skips the rest cheaply), so the ratio is
the annotator's whole cost over the parse it cannot avoid. ``--set KEY=VALUE`` overrides a key
of the recipe's parse config (a JSON value, else a string); ``--also counts=false`` measures
another config on the same batches. Each batch goes through every side in turn (bare parse,
annotator, variants; the order rotates from batch to batch), so the drifting load of a shared
machine weighs on all sides alike.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate.config import load_pipeline
from curate.engine import worker_cache
from curate.engine.annotate import AnnotateLoop, byte_capped, row_group_batches
from curate.languages import get_parser

ROOT = Path(__file__).resolve().parents[1]


def load(documents: Path, limit: int | None, batch_bytes: int) -> list[pa.RecordBatch]:
    """The documents' batches as the annotate step cuts them, until ``limit`` content bytes."""
    batches, total = [], 0
    for path in sorted(documents.glob("*.parquet")):
        for batch in byte_capped(row_group_batches(pq.ParquetFile(path)), batch_bytes):
            batches.append(batch)
            total += sum(batch.column("size_bytes").to_pylist())
            if limit is not None and total >= limit:
                return batches
    return batches


def parsable(batches: list[pa.RecordBatch]) -> list[tuple[Any, bytes]]:
    docs = []
    for batch in batches:
        languages = batch.column("language").to_pylist()
        contents = batch.column("content").cast(pa.large_binary()).to_pylist()
        for lang, data in zip(languages, contents, strict=True):
            parser = get_parser(lang) if lang else None
            if parser is not None:
                docs.append((parser, data))
    return docs


def ingest_into(out: Path, archives: list[str], cfg: Any) -> float:
    """Ingest ``archives`` as one shard into ``out`` (replaced); returns the CPU seconds."""
    from curate.engine.shards import ShardSpec
    from curate.ingest import discover_sources
    from curate.ingest.identity import assign_identities
    from curate.ingest.stage import ingest_shard
    from curate.rundir import RunDir

    shutil.rmtree(out, ignore_errors=True)
    run = RunDir.at(out)
    run.documents.mkdir(parents=True)
    run.skipped.mkdir(parents=True)
    specs, _skips = discover_sources(archives, cfg.ingest)
    shard = ShardSpec("bench", tuple(assign_identities(specs, archives)))
    started = time.process_time()
    ingest_shard(
        run, shard, cfg.ingest, batch_rows=cfg.run.batch_rows, batch_bytes=cfg.run.batch_bytes
    )
    return time.process_time() - started


def cpu(fn: Callable[[Any], object], items: list[Any]) -> float:
    """CPU seconds of ``fn`` over ``items`` (results dropped as they come)."""
    started = time.process_time()
    for item in items:
        fn(item)
    return time.process_time() - started


def _bare(doc: tuple[Any, bytes]) -> object:
    return doc[0].parse(doc[1])


def _sets(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` overrides: the value as JSON (``false``, ``2.0``), else as a string."""
    out: dict[str, Any] = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _variant(spec: Any, sets: list[str]) -> Any:
    """The recipe's parse annotator with ``sets`` applied, set up."""
    config = spec.cls.Config.model_validate({**spec.config.model_dump(), **_sets(sets)})
    annotator = spec.cls(config)
    annotator.setup()
    return annotator


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, default=Path("/work/main/.bench/e2e/run"))
    ap.add_argument("--archives", nargs="+", help="ingest these archives in every round")
    ap.add_argument("--recipe", type=Path, default=ROOT / "pipelines" / "default.toml")
    ap.add_argument("--mb", type=float, default=40.0, help="documents of --run (0: all)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="KEY=VALUE[,KEY=VALUE]",
        help="another parse config to measure on the same batches (repeatable)",
    )
    args = ap.parse_args()

    worker_cache.tune_allocator()
    cfg = load_pipeline(args.recipe)
    batch_bytes = cfg.run.annotate_batch_bytes
    spec = next(s for s in cfg.annotator_specs() if s.key.startswith("parse@"))
    sides: dict[str, Any] = {"annotator": _variant(spec, args.set)}
    for also in args.also:
        sides[f"annotator[{also}]"] = _variant(spec, [*args.set, *also.split(",")])
    tmp = Path(tempfile.mkdtemp(prefix="parse-floor-"))
    archives = [str(Path(a).resolve()) for a in args.archives or ()]
    if archives:
        ingest_into(tmp / "warm", archives[:1], cfg)  # imports and language tables, untimed
    rounds: list[dict[str, float]] = []
    try:
        for _ in range(args.repeat):
            row: dict[str, float] = {}
            if archives:
                row["ingest"] = ingest_into(tmp / "run", archives, cfg)
                batches = load(tmp / "run" / "documents", None, batch_bytes)
            else:
                limit = int(args.mb * 1e6) if args.mb else None
                batches = load(args.run / "documents", limit, batch_bytes)
            loops = {name: AnnotateLoop([a]) for name, a in sides.items()}
            # Batch by batch, each side in turn (the order rotates), so that the load of this
            # shared machine drifting during a round weighs on every side alike.
            for k, batch in enumerate(batches):
                work: list[tuple[str, Callable[[Any], object], list[Any]]] = [
                    ("bare", _bare, parsable([batch]))
                ]
                work += [(name, loop.annotate, [batch]) for name, loop in loops.items()]
                for j in range(len(work)):
                    name, fn, items = work[(j + k) % len(work)]
                    row[name] = row.get(name, 0.0) + cpu(fn, items)
            rounds.append(row)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best = {key: min(r[key] for r in rounds) for key in rounds[0]}
    docs = parsable(batches)
    mb = sum(len(d) for _, d in docs) / 1e6
    total = sum(sum(b.column("size_bytes").to_pylist()) for b in batches) / 1e6
    print(f"{len(docs)} parsable documents, {mb:.1f} MB (of {total:.1f} MB ingested/read)")
    w = max(26, *(len(side) + 18 for side in sides))
    for key, value in best.items():
        print(f"{key + ' CPU s (best)':<{w}}{value:.2f}")
    for side in sides:
        paired = ", ".join(f"{r[side] / r['bare']:.2f}" for r in rounds)
        print(f"{side + ' / bare':<{w}}{best[side] / best['bare']:.2f}   rounds: {paired}")
    if archives:
        print(f"{'ingest / bare':<{w}}{best['ingest'] / best['bare']:.2f}")
        for side in sides:
            paired = ", ".join(f"{(r['ingest'] + r[side]) / r['bare']:.2f}" for r in rounds)
            both = (best["ingest"] + best[side]) / best["bare"]
            print(f"{'ingest + ' + side + ' / bare':<{w}}{both:.2f}   rounds: {paired}")


if __name__ == "__main__":
    main()
