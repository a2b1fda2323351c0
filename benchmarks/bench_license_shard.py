"""license@1's work outside ``annotate``: CPU of ``begin_shard`` and ``tree_rows``.

Runs the pipeline's annotate loop (``parse@1`` and ``license@1`` from the recipe, the run's
document shards, the engine's batches) and prints the CPU seconds of license@1's
``tree_rows``, ``annotate`` and ``begin_shard``. For before/after, run it from each checkout:

    PYTHONPATH=. .venv/bin/python benchmarks/bench_license_shard.py --run /work/main/.bench/e2e/run
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pyarrow.parquet as pq

from curate.config import load_pipeline
from curate.engine.annotate import AnnotateLoop, byte_capped, shard_frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--recipe", default="pipelines/default.toml")
    args = parser.parse_args()
    specs = [
        s for s in load_pipeline(args.recipe).annotator_specs() if s.key.split("@")[0] in
        ("parse", "license")
    ]  # fmt: skip
    annotators = [spec.cls(spec.config) for spec in specs]
    for annotator in annotators:
        annotator.setup()
    license_ = next(a for a in annotators if a.name == "license")
    spent = {"tree_rows": 0.0, "annotate": 0.0}
    for name in spent:
        method = getattr(license_, name)

        def timed(*a, _method=method, _name=name, **k):
            started = time.process_time()
            try:
                return _method(*a, **k)
            finally:
                spent[_name] += time.process_time() - started

        setattr(license_, name, timed)
    loop = AnnotateLoop(annotators)
    for path in sorted((args.run / "documents").glob("*.parquet")):
        # as annotate_shard reads a shard: the first row group once, for begin_shard and its
        # batches
        parquet = pq.ParquetFile(path)
        first = parquet.read_row_group(0) if parquet.num_row_groups else None
        loop.begin_shard(shard_frame(path, first))
        for index in range(parquet.num_row_groups):
            table = first if index == 0 and first is not None else parquet.read_row_group(index)
            first = None
            for batch in byte_capped(iter(table.to_batches()), 4 * 1024 * 1024):
                loop.annotate(batch)
    shard = loop.stats.to_dict()[license_.key()]["begin_shard_cpu_s"]
    print(
        f"license@1 CPU s: tree_rows {spent['tree_rows']:.3f}  annotate {spent['annotate']:.3f}"
        f"  begin_shard {shard:.3f}  tree_rows+begin_shard {spent['tree_rows'] + shard:.3f}"
    )


if __name__ == "__main__":
    main()
