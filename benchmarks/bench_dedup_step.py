"""CPU of the whole ``[dedup]`` step per sub-step, and digests of its attribute files.

    .venv/bin/python benchmarks/bench_dedup_step.py --work /tmp/dd                  # .bench/e2e/run
    .venv/bin/python benchmarks/bench_dedup_step.py --work /tmp/dd --digest before.json
    .venv/bin/python benchmarks/bench_dedup_step.py --work /tmp/dd --compare before.json
    .venv/bin/python benchmarks/bench_dedup_step.py --work /tmp/dd --profile dedup.prof

Copies a finished run's ``documents/``, ``manifest.parquet``, ``pipeline.toml`` and its
non-dedup ``attributes/`` (the keep policy reads quality and license columns) to ``--work``
(the source stays read-only), runs the recipe's dedup step there in this process with the
local runner, and prints each sub-step's CPU seconds (``stats/steps/dedup__*.json``) and a
SHA-256 per ``exact_dedup@1`` / ``near_dedup@1`` file and ``dedup/near/clusters`` table, and
the step's report (counts, CC rounds), so an optimisation can show identical outputs.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEDUP_ATTRS = ("exact_dedup", "near_dedup", "repo_dedup")


def copy_inputs(src: Path, dst: Path) -> None:
    """A fresh copy of what the dedup step reads (no ``dedup/``, no markers, no dedup attributes)."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    shutil.copytree(src / "documents", dst / "documents")
    for name in ("manifest.parquet", "pipeline.toml"):
        shutil.copy2(src / name, dst / name)
    for attr in (src / "attributes").iterdir():
        if attr.name.split("@")[0] not in DEDUP_ATTRS:
            shutil.copytree(attr, dst / "attributes" / attr.name)


def digests(run: Path, report: dict[str, object]) -> dict[str, str]:
    """SHA-256 of every dedup attribute file and near-dup cluster table, and the step's report
    (counts, CC rounds, rates by language) as JSON."""
    out = {}
    files = [
        f for a in ("exact_dedup@1", "near_dedup@1") for f in (run / "attributes" / a).rglob("*")
    ]
    files += list((run / "dedup" / "near" / "clusters").glob("*.parquet"))
    for f in sorted(f for f in files if f.suffix == ".parquet"):
        out[str(f.relative_to(run))] = hashlib.sha256(f.read_bytes()).hexdigest()
    out["report"] = json.dumps(report, sort_keys=True, default=str)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", type=Path, default=ROOT / ".bench" / "e2e" / "run")
    ap.add_argument("--work", type=Path, required=True, help="Scratch copy (replaced).")
    ap.add_argument("--profile", type=Path, help="Write cProfile stats here.")
    ap.add_argument("--digest", type=Path, help="Write the attribute digests here.")
    ap.add_argument("--compare", type=Path, help="Compare against digests written before.")
    args = ap.parse_args()

    from curate.config import load_pipeline
    from curate.dedup import run_dedup
    from curate.engine.runner import LocalRunner
    from curate.rundir import RunDir

    copy_inputs(args.run, args.work)
    section = load_pipeline(args.work / "pipeline.toml").section("dedup")
    prof = cProfile.Profile() if args.profile else None
    cpu = time.process_time()
    if prof:
        prof.enable()
    report = run_dedup(RunDir.at(args.work), section, LocalRunner())
    if prof:
        prof.disable()
        prof.dump_stats(args.profile)
    cpu = time.process_time() - cpu
    for f in sorted((args.work / "stats" / "steps").glob("dedup__*.json")):
        step = json.loads(f.read_text())
        print(f"{step['step']:<28} {step['counters'].get('cpu_s', 0.0):7.2f} CPU-s")
    print(f"{'dedup (process)':<28} {cpu:7.2f} CPU-s")
    got = digests(args.work, report)
    if args.digest:
        args.digest.write_text(json.dumps(got, indent=1))
    if args.compare:
        want = json.loads(args.compare.read_text())
        differ = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
        print(f"{len(got)} digests, {len(differ)} differ", *differ, sep="\n  ")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
