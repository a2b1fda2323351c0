"""CPU seconds and requests of a run directory on an object store against the same run on
local disk: ``pipelines/demo.toml`` over ``examples/repos`` with the in-process runner, run
twice (fresh, then with nothing to do) to a local folder and to ``s3://`` on the loopback moto
server (``tests/support/s3.py``). Prints one JSON object.

    python benchmarks/bench_s3_run.py

Wall seconds against moto are mostly the server's and say nothing about AWS; CPU seconds of
this process and the PUT / object counts are the numbers to compare (docs/cluster.md).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from _repo import ROOT

from curate.config import load_pipeline
from curate.engine.runner import LocalRunner
from curate.pipeline import run_pipeline
from curate.rundir import RunDir
from tests.support.s3 import start_server


def _cfg(out: str):  # type: ignore[no-untyped-def]
    return load_pipeline(ROOT / "pipelines" / "demo.toml").with_run(
        input=(str(ROOT / "examples" / "repos"),), output=out, runner="local"
    )


def _twice(out: str) -> dict[str, float]:
    cpu = time.process_time()
    run_pipeline(_cfg(out), LocalRunner())
    fresh = time.process_time() - cpu
    cpu = time.process_time()
    report = run_pipeline(_cfg(out), LocalRunner())
    assert not report.did_work
    return {"fresh_cpu_s": round(fresh, 2), "rerun_cpu_s": round(time.process_time() - cpu, 2)}


def main() -> None:
    server, handle = start_server()
    try:
        result = {"local": _twice(tempfile.mkdtemp(prefix="bench-s3-") + "/run")}
        url = handle.make_bucket("bench-s3-run") + "/run"
        mirror = RunDir.at(url).mirror
        assert mirror is not None
        cpu = time.process_time()
        run_pipeline(_cfg(url), LocalRunner())
        fresh, puts = time.process_time() - cpu, mirror.puts
        cpu = time.process_time()
        assert not run_pipeline(_cfg(url), LocalRunner()).did_work
        rerun = time.process_time() - cpu
        keys = [k.split("/", 2)[2] for k in handle.filesystem().find("bench-s3-run/run")]
        shards = {Path(k).stem for k in keys if k.startswith("documents/")}
        per_shard = Counter(k.rsplit("/", 1)[0] for k in keys if Path(k).stem in shards)
        fixed = {k: v for k, v in per_shard.items() if not k.startswith("dedup/")}
        result["s3"] = {
            "fresh_cpu_s": round(fresh, 2),
            "rerun_cpu_s": round(rerun, 2),
            "puts_fresh": puts,
            "puts_rerun": mirror.puts - puts,
            "objects": len(keys),
            "shards": len(shards),
            "per_shard_fixed_objects": sum(fixed.values()) / max(len(shards), 1),
            "per_shard_dedup_shuffle_objects": (sum(per_shard.values()) - sum(fixed.values()))
            / max(len(shards), 1),
        }
    finally:
        server.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
