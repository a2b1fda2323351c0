"""Mixture writing throughput (MB of content written per second, one worker).

    .venv/bin/python benchmarks/bench_mix.py --mb 100
    .venv/bin/python benchmarks/bench_mix.py --mb 100 --only natural --repeat 7
    .venv/bin/python benchmarks/bench_mix.py --run RUN --only natural   # an existing run, on a copy

Builds a synthetic run directory once (``.bench/mix/run``: documents in 4 shards, a decisions
table dropping ~10%, a secrets attribute with spans in 1% of files), then times ``run_mix`` with
the ``LocalRunner`` (a single process, Arrow and polars limited to one thread) for several
mixture configurations. Reported: wall-clock MB/s and MB per CPU-second of the process (the
machine is shared, so CPU time is the steadier measure of one worker's throughput). The time
includes all three passes (plan, weights, write) and the manifest, not the one-time imports of
a worker process. With ``--run`` the inputs of an
existing run (``documents/``, ``attributes/``, ``decisions/``) are copied once to
``.bench/mix/copy-<name>`` and the configurations run on real files (the budget configuration
then takes the run's three largest languages).
"""

from __future__ import annotations

import os

import _repo  # noqa: F401  (puts the repository root on sys.path: tests.support)

# one worker = one core: no extra Arrow / polars threads
os.environ.setdefault("POLARS_MAX_THREADS", "1")

import argparse
import random
import shutil
import statistics
import time
from pathlib import Path

import polars as pl
import pyarrow as pa

from curate.engine.runner import LocalRunner
from curate.filters.secrets.annotators import METADATA_SPANS
from curate.mix import MixtureConfig, run_mix
from curate.rundir import RunDir
from curate.schema import SPANS
from tests.support.run_synth import document, write_run

SECRETS_FOLDER = pa.schema(
    [
        pa.field("doc_uid", pa.string(), nullable=False),
        ("secret_spans", SPANS),
        ("secret_metadata_spans", METADATA_SPANS),
    ]
)

ROOT = Path(".bench/mix")
# (extension, header, statement template, footer): syntactically valid files per language
TEMPLATES = {
    "Python": (".py", "import os\nfrom pkg_{m} import helper\n\n\ndef run_{i}(value):\n",
               "    {a}_{k} = helper({b}, {n})  # {b} step {k}\n", "    return value\n"),
    "JavaScript": (".js", "import {{ helper }} from './pkg_{m}';\n\nexport function run{i}(value) {{\n",
                   "  const {a}_{k} = helper({b}, {n}); // {b} step {k}\n", "  return value;\n}}\n"),
    "Go": (".go", "package pkg{m}\n\nfunc Run{i}(value int) int {{\n",
           "\t{a}_{k} := helper({b}, {n}) // {b} step {k}\n", "\treturn value\n}}\n"),
    "Java": (".java", "package org.pkg{m};\n\nclass Run{i} {{\n  int run(int value) {{\n",
             "    int {a}_{k} = helper({b}, {n}); // {b} step {k}\n", "    return value;\n  }}\n}}\n"),
    "C++": (".cpp", "#include \"pkg_{m}.h\"\n\nint run_{i}(int value) {{\n",
            "  int {a}_{k} = helper({b}, {n}); // {b} step {k}\n", "  return value;\n}}\n"),
}  # fmt: skip
WORDS = ["value", "count", "items", "result", "config", "index", "buffer", "node", "user", "data"]


def _content(rng: random.Random, lang: str, i: int) -> tuple[str, str]:
    ext, head, stmt, foot = TEMPLATES[lang]
    body = "".join(
        stmt.format(a=rng.choice(WORDS), b=rng.choice(WORDS), k=k, n=rng.randint(0, 10**6))
        for k in range(rng.randint(20, 300))
    )
    return ext, head.format(m=i % 13, i=i) + body + foot


def build(mb: int) -> RunDir:
    run_root = ROOT / f"run-{mb}"
    if (run_root / "manifest.parquet").is_file():
        return RunDir.at(run_root)
    shutil.rmtree(run_root, ignore_errors=True)
    rng = random.Random(0)
    docs, secrets, decisions = [], [], []
    total, i = 0, 0
    while total < mb * 1_000_000:
        lang = rng.choice(list(TEMPLATES))
        ext, content = _content(rng, lang, i)
        d = document(
            f"org/repo{i % 400}", f"src/m{i % 13}/f{i}{ext}", content, lang, f"{i % 4:016x}"
        )
        docs.append(d)
        spans = (
            [{"start": 0, "end": 6, "kind": "api_key", "detector": "bench", "value_hash": None}]
            if i % 100 == 0
            else []
        )
        secrets.append(
            {"doc_uid": d["doc_uid"], "secret_spans": spans, "secret_metadata_spans": []}
        )
        decisions.append(
            {
                "doc_uid": d["doc_uid"],
                "keep": i % 10 != 0,
                "drop_reason": None,
                "rule_x": i % 10 != 0,
            }
        )
        total += d["size_bytes"]
        i += 1
    return write_run(
        run_root,
        docs,
        attributes={"secrets@1": secrets},
        decisions={"default": decisions},
        schemas={"secrets@1": SECRETS_FOLDER},
    )


def copy_run(src: Path) -> RunDir:
    """A copy of ``src``'s inputs, so the benchmark never writes into someone else's run."""
    dest = ROOT / f"copy-{src.resolve().name}"
    if not (dest / "manifest.parquet").is_file():
        shutil.rmtree(dest, ignore_errors=True)
        for sub in ("documents", "attributes", "decisions", "skipped"):
            if (src / sub).is_dir():
                shutil.copytree(src / sub, dest / sub)
        shutil.copy2(src / "manifest.parquet", dest / "manifest.parquet")
    return RunDir.at(dest)


def top_languages(run: RunDir, n: int) -> list[str]:
    sizes = (
        pl.scan_parquet(run.documents / "*.parquet")
        .drop_nulls("language")
        .group_by("language")
        .agg(pl.col("size_bytes").sum())
        .sort("size_bytes", descending=True)
        .collect()
    )
    return sizes["language"].head(n).to_list()


def main() -> None:
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--run", type=Path, help="benchmark a copy of this run instead")
    ap.add_argument("--repeat", type=int, default=1, help="runs per configuration")
    ap.add_argument("--only", default="", help="run only configurations whose label contains this")
    args = ap.parse_args()
    run = copy_run(args.run) if args.run else build(args.mb)
    langs = top_languages(run, 3) if args.run else ["Python", "Go", "Java"]
    docs = pl.scan_parquet(run.documents / "*.parquet")
    total_mb = docs.select(pl.col("size_bytes").sum()).collect().item() / 1e6
    weights = [0.5, 0.3, 0.2][: len(langs)]
    configs = {
        "files, natural, redaction": MixtureConfig(name="b1"),
        "files, natural, redaction, zstd level 1": MixtureConfig(name="b1z", compression_level=1),
        "files, budget 3 langs (up+downsampling)": MixtureConfig(
            name="b2",
            strategy="budget",
            shares={lang: w / sum(weights) for lang, w in zip(langs, weights, strict=True)},
            total_tokens=int(total_mb * 1e6 / 3.5),
        ),
        "files, FIM 50% char": MixtureConfig(name="b3", fim={"rate": 0.5}),
        "files, FIM 50% node": MixtureConfig(name="b4", fim={"rate": 0.5, "boundary": "node"}),
        "repositories, dependency order": MixtureConfig(name="b5", repo={"enabled": True}),
    }
    print(
        f"{'configuration':<42} {'MB out':>8} {'wall s':>7} {'MB/s':>7} {'cpu s':>7} {'MB/cpu-s':>9} {'MB file':>8}"
        + (f"  (best / median of {args.repeat})" if args.repeat > 1 else "")
    )
    for label, cfg in configs.items():
        if args.only not in label:
            continue
        walls, cpus = [], []
        for _ in range(args.repeat):
            started, cpu = time.perf_counter(), time.process_time()
            manifest = run_mix(run, cfg, LocalRunner())
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            shutil.rmtree(run.mixture(cfg.name), ignore_errors=True)
        mb = manifest["totals"]["content_bytes"] / 1e6
        file_mb = manifest["totals"]["file_bytes"] / 1e6
        for pick in (min, statistics.median) if args.repeat > 1 else (min,):
            wall, cpu = pick(walls), pick(cpus)
            print(
                f"{label:<42} {mb:8.1f} {wall:7.2f} {mb / wall:7.1f} {cpu:7.2f} {mb / cpu:9.1f} {file_mb:8.1f}"
            )


if __name__ == "__main__":
    main()
