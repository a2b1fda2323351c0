"""Per-worker set-up: CPU seconds of each default annotator's ``setup()`` in a fresh process.

    .venv/bin/python benchmarks/bench_setup.py            # default recipe, 3 warm repeats
    .venv/bin/python benchmarks/bench_setup.py --repeat 5

Each measurement is a new Python process (as a fresh Ray worker is) that imports the recipe's
modules, then times ``cls(config).setup()`` with ``time.process_time``. *Cold*: the disk cache
(``CURATE_CACHE_DIR``) points at a new empty temp dir, so every cached build is built and
written; *warm*: the same dir again, so builds are read. Each annotator alone (its own shared
pieces included) and the whole default set in one process (shared pieces counted once, the
``setup_cpu_s`` the annotate step records). The import of the annotator modules is shown apart:
a worker pays it when it unpickles the task, outside ``setup_cpu_s``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys, time
t0 = time.process_time()
from curate.config import load_pipeline
cfg = load_pipeline(sys.argv[1])
specs = cfg.annotator_specs()
out = {"import": time.process_time() - t0}
wanted = set(sys.argv[2].split(",")) if sys.argv[2] else None
for spec in specs:
    if wanted and spec.key not in wanted:
        continue
    started = time.process_time()
    spec.cls(spec.config).setup()
    out[spec.key] = time.process_time() - started
print(json.dumps(out))
"""


def _run(recipe: Path, only: str, cache: Path) -> dict[str, float]:
    env = {**os.environ, "CURATE_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(recipe), only],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _total(times: dict[str, float], names: list[str]) -> float:
    return sum(times[k] for k in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, default=ROOT / "pipelines" / "default.toml")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs (median)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from curate.config import load_pipeline

    keys = [s.key for s in load_pipeline(args.recipe).annotator_specs()]
    rows: list[tuple[str, float, float, float]] = []
    for only in [*keys, ""]:
        with tempfile.TemporaryDirectory(prefix="bench_setup_") as tmp:
            cold = _run(args.recipe, only, Path(tmp))
            warm = [_run(args.recipe, only, Path(tmp)) for _ in range(args.repeat)]
        names = [only] if only else keys
        label = only or "all (one process)"
        imports = statistics.median(w["import"] for w in warm)
        warm_s = statistics.median(_total(w, names) for w in warm)
        rows.append((label, _total(cold, names), warm_s, imports))
    print("| annotator | cold set-up CPU s | warm set-up CPU s | import CPU s |")
    print("|---|---:|---:|---:|")
    for label, cold_s, warm_s, import_s in rows:
        print(f"| {label} | {cold_s:.3f} | {warm_s:.3f} | {import_s:.2f} |")


if __name__ == "__main__":
    main()
