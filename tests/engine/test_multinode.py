"""A real two-node Ray cluster on this machine (``ray.cluster_utils.Cluster``: a head and a
worker node, each its own raylet), joined with ``--address``: the curate package reaches the
workers through the runtime_env, and the outputs equal a local run's.

The cluster runs in a child process, so the session's own Ray (``ray_cluster``) is untouched."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, sys, tempfile
    import ray
    from ray.cluster_utils import Cluster

    out, root = sys.argv[1], sys.argv[2]
    import os
    os.makedirs("/tmp/ray", exist_ok=True)  # Ray writes its current-cluster address there
    temp = tempfile.mkdtemp(prefix="cc-mn-", dir="/tmp")
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "temp_dir": temp},
    )
    cluster.add_node(num_cpus=1)
    try:
        from curate.config import load_pipeline
        from curate.pipeline import run_pipeline

        cfg = load_pipeline(f"{root}/pipelines/demo.toml").with_run(
            input=tuple(f"{root}/examples/{p}" for p in ("repos", "archives", "exports")),
            output=out, runner="ray", address=cluster.address, workers=2,
        )
        report = run_pipeline(cfg)
        print(json.dumps({"shards": report.shards, "did_work": report.did_work}))
    finally:
        cluster.shutdown()
    """
)


def _digest(run: Path) -> dict[str, list[tuple]]:
    """Sorted rows of every result table (documents without content, attributes, decisions,
    mixture), so two runs compare by value whatever their file layout."""
    out = {}
    for folder in sorted([run / "documents", *run.glob("attributes/*"), *run.glob("decisions/*"), *(p for p in run.glob("mixtures/*") if p.is_dir())]):  # fmt: skip
        frame = pl.read_parquet(folder / "*.parquet")
        frame = frame.select(sorted(frame.columns))
        out[str(folder.relative_to(run))] = sorted(map(repr, frame.rows()))
    return out


@pytest.mark.ray
def test_two_node_cluster_gives_the_local_run_outputs(tmp_path: Path) -> None:
    from curate.config import load_pipeline
    from curate.engine.runner import LocalRunner
    from curate.pipeline import run_pipeline

    local = tmp_path / "local"
    cfg = load_pipeline(ROOT / "pipelines" / "demo.toml").with_run(
        input=tuple(str(ROOT / "examples" / p) for p in ("repos", "archives", "exports")),
        output=str(local),
        runner="local",
    )
    run_pipeline(cfg, LocalRunner())
    cluster_run = tmp_path / "cluster"
    # The driver runs outside the checkout, as on a cluster's head node: a worker can only
    # import curate from what the runtime_env shipped (or an installed copy).
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(cluster_run), str(ROOT)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["did_work"] and report["shards"] >= 2
    markers = [
        json.loads(m.read_text()) for m in (cluster_run / "_markers" / "annotate").glob("*.json")
    ]
    assert markers and all(m["stats"]["units"] == 1 for m in markers)
    # Both nodes worked, on the package shipped through the runtime_env, not this checkout.
    assert len({m["worker"]["ray_node"] for m in markers}) == 2
    assert all("runtime_resources" in m["worker"]["curate"] for m in markers), [
        m["worker"] for m in markers
    ]
    assert _digest(cluster_run) == _digest(local)
