"""End-to-end throughput of the default pipeline against the bare tree-sitter parse.

    .venv/bin/python benchmarks/bench_e2e.py --fetch          # once: ~60 MB of archives
    .venv/bin/python benchmarks/bench_e2e.py --repeat 2       # interleaved rounds, prints tables
    .venv/bin/python benchmarks/bench_e2e.py --repeat 2 --write   # also into docs/benchmarks.md

The corpus is a fixed, pinned set of real public source archives from the package registries
(PyPI sdists through PyPI's JSON API, npm tarballs through ``npm pack``) in several languages —
Python, C, C++, Cython, Rust, JavaScript, TypeScript, CSS, Markdown, ... — kept in
``.bench/e2e/`` (git-ignored; nothing is committed).

Each round runs ``curate run pipelines/default.toml --runner local`` on it in a fresh child
process (so its peak RSS is its own: ``os.wait4``), then, in this process, a bare
``parser.parse(bytes)`` of the same documents that have a grammar. Per-step CPU seconds come
from the run's statistics (``stats/steps/*.json``), the end-to-end CPU from the child's rusage.
The machine is shared and noisy: compare ratios within a round, and the best of the rounds.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench" / "e2e"
INPUTS = BENCH / "archives"
DOCS = ROOT / "docs" / "benchmarks.md"
MARK = "<!-- bench_e2e -->"

PYPI = [
    "numpy==2.1.3",  # C, C++, Python, Cython, Fortran bits, meson
    "django==5.1.3",  # Python, JavaScript, CSS, HTML
    "pydantic_core==2.27.1",  # Rust, Python
    "orjson==3.10.12",  # Rust (+ vendored C)
    "zstandard==0.23.0",  # C (vendored zstd), Python
    "pybind11==2.13.6",  # C++ headers
    "greenlet==3.1.1",  # C++, assembly
    "pygments==2.18.0",  # Python, many languages' samples
    "sphinx==8.1.3",  # Python, JavaScript, CSS
    "sqlalchemy==2.0.36",  # Python, Cython
    "regex==2024.11.6",  # C
    "psutil==6.1.0",  # C, Python
]
NPM = [
    "typescript@5.6.3",  # JavaScript, TypeScript declarations
    "lodash@4.17.21",  # JavaScript
    "vue@3.5.13",  # JavaScript, TypeScript
    "rxjs@7.8.1",  # TypeScript, JavaScript
    "bootstrap@5.3.3",  # SCSS, CSS, JavaScript
    "highlight.js@11.10.0",  # JavaScript, CSS
]


def fetch() -> None:
    """Download every archive of the corpus that is not there yet."""
    INPUTS.mkdir(parents=True, exist_ok=True)
    for spec in PYPI:
        name, version = spec.split("==")
        url, filename = _sdist_url(name, version)
        target = INPUTS / filename
        if not target.exists():
            print(f"fetching {filename}", file=sys.stderr)
            with urllib.request.urlopen(url) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
    for spec in NPM:
        stem = spec.replace("@", "-").lstrip("-").replace("/", "-")
        if any(p.name.startswith(stem) for p in INPUTS.iterdir()):
            continue
        print(f"fetching {spec}", file=sys.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                ["npm", "pack", spec, "--silent"], cwd=tmp, check=True, stdout=subprocess.DEVNULL
            )
            for tgz in Path(tmp).glob("*.tgz"):
                shutil.move(str(tgz), INPUTS / tgz.name)


def _sdist_url(name: str, version: str) -> tuple[str, str]:
    """The sdist of ``name==version`` from PyPI's simple index (PEP 691 JSON)."""
    request = urllib.request.Request(
        f"https://pypi.org/simple/{name}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    files = json.load(urllib.request.urlopen(request))["files"]
    stems = {f"{n}-{version}" for n in (name, name.replace("-", "_"), name.replace("_", "-"))}
    for f in files:
        base = f["filename"].lower()
        if base.endswith((".tar.gz", ".zip")) and any(
            base.startswith(s.lower() + ".") for s in stems
        ):
            return f["url"], f["filename"]
    raise SystemExit(f"no sdist of {name}=={version} on PyPI")


def run_pipeline(out: Path, recipe: Path) -> dict:
    """One pipeline run in a child process: its rusage and the run's per-step statistics."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "curate.cli", "run", str(recipe), "--runner", "local",
         "--input", str(INPUTS), "--output", str(out), "--json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"pipeline failed:\n{stderr.decode()[-3000:]}")
    steps = {}
    for path in sorted((out / "stats" / "steps").glob("*.json")):
        data = json.loads(path.read_text())
        steps[data["step"]] = data["counters"]
    return {"wall_s": wall, "steps": steps, "report": json.loads(stdout.decode().splitlines()[-1])}


def bare_parse(out: Path) -> tuple[float, float, int]:
    """(CPU seconds, MB, files) of ``parser.parse(bytes)`` over the documents with a grammar."""
    import polars as pl

    from curate.languages import get_parser

    docs = pl.read_parquet(out / "documents" / "*.parquet", columns=["language", "content"])
    items = []
    for language, text in docs.iter_rows():
        parser = get_parser(language) if language else None
        if parser is not None:
            items.append((parser, text.encode("utf-8", "surrogatepass")))
    started = time.process_time()
    for parser, data in items:
        parser.parse(data)
    return time.process_time() - started, sum(len(d) for _, d in items) / 2**20, len(items)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fetch", action="store_true", help="download the corpus, then exit")
    ap.add_argument("--repeat", type=int, default=2, help="interleaved rounds (best of)")
    ap.add_argument("--recipe", type=Path, default=ROOT / "pipelines" / "default.toml")
    ap.add_argument("--write", action="store_true", help=f"write the tables into {DOCS}")
    args = ap.parse_args()
    if args.fetch:
        fetch()
        return 0
    if not INPUTS.is_dir() or not any(INPUTS.iterdir()):
        sys.exit("no corpus: run benchmarks/bench_e2e.py --fetch first")
    out = BENCH / "run"
    rounds = []
    for _ in range(args.repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = run_pipeline(out, args.recipe)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        result["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        result["peak_rss_mb"] = after.ru_maxrss / 1024  # max over children so far
        bare_cpu, bare_mb, bare_files = bare_parse(out)
        result.update(bare_cpu_s=bare_cpu, bare_mb=bare_mb, bare_files=bare_files)
        rounds.append(result)
        print(
            f"round: pipeline {result['cpu_s']:.1f} CPU-s, bare parse {bare_cpu:.1f} CPU-s, "
            f"ratio {result['cpu_s'] / bare_cpu:.2f}",
            file=sys.stderr,
        )
    text = report(rounds)
    print(text)
    if args.write:
        write_section(text)
    return 0


def report(rounds: list[dict]) -> str:
    from curate.stats import step_table

    best = min(rounds, key=lambda r: r["cpu_s"])
    bare = min(r["bare_cpu_s"] for r in rounds)
    ingest = best["steps"].get("ingest", {})
    mb = ingest.get("bytes", 0) / 2**20
    lines = [
        f"Corpus: {len(list(INPUTS.iterdir()))} archives ({sum(p.stat().st_size for p in INPUTS.iterdir()) / 2**20:.0f} MB), "
        f"{ingest.get('documents', 0)} documents, {mb:.1f} MB ingested; {best['bare_files']} files "
        f"({best['bare_mb']:.1f} MB) have a grammar.",
        "",
        "| | CPU s | MB per CPU-s | x bare parse |",
        "|---|---:|---:|---:|",
        f"| bare `parser.parse(bytes)` | {bare:.1f} | {best['bare_mb'] / bare:.1f} | 1.00 |",
        f"| whole pipeline (child process, incl. start-up) | {best['cpu_s']:.1f} | {mb / best['cpu_s']:.2f} | {best['cpu_s'] / bare:.2f} |",
    ]
    lines += [
        "",
        "| step | CPU s | MB per CPU-s | x bare parse |",
        "|---|---:|---:|---:|",
    ]
    for row in step_table(best["steps"], sub_steps=True):
        name = row["step"].replace("  ", "&nbsp;&nbsp;")
        cpu = row["cpu_s"]
        rate = f"{mb / cpu:.1f}" if cpu else ""
        lines.append(f"| {name} | {cpu:.2f} | {rate} | {cpu / bare:.2f} |")
    setup = best["steps"].get("annotate", {}).get("setup_cpu_s")
    if setup is not None:
        lines.append(f"| &nbsp;&nbsp;(annotator set-up, part of annotate) | {setup:.2f} | | |")
    lines += [
        "",
        f"Wall {best['wall_s']:.0f} s; peak RSS of the pipeline process {best['peak_rss_mb']:.0f} MB; "
        f"rounds (pipeline / bare CPU): "
        + ", ".join(f"{r['cpu_s']:.1f}/{r['bare_cpu_s']:.1f}" for r in rounds),
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    doc = DOCS.read_text(encoding="utf-8")
    block = f"{MARK}\n{text}\n{MARK}"
    if MARK in doc:
        head, _, rest = doc.partition(MARK)
        _, _, tail = rest.partition(MARK)
        doc = head + block + tail
    else:
        doc += "\n\n## End to end (benchmarks/bench_e2e.py)\n\n" + block + "\n"
    DOCS.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
