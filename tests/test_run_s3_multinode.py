"""A run written to the loopback S3 server (``s3_server``) by a real two-node Ray cluster
(``ray.cluster_utils.Cluster``, in a child process) whose nodes have DIFFERENT local mirror
folders (``CURATE_MIRROR_DIR`` set per node before it starts): each worker refreshes its own
node's mirror from the store before a unit, so units whose inputs another node wrote still find
them, and the stored run equals a local run's. The nodes still share one disk here; a driver
whose files no node can see is tested in tests/engine/test_s3_no_shared_disk.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import curate
from curate.config import load_pipeline
from curate.engine.runner import LocalRunner
from curate.pipeline import run_pipeline
from tests.test_run_s3 import _outputs

ROOT = Path(__file__).resolve().parents[1]
INPUTS = tuple(str(ROOT / "examples" / p) for p in ("repos", "archives", "exports"))

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, tempfile
    from ray.cluster_utils import Cluster

    url, root, mirrors = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs("/tmp/ray", exist_ok=True)
    temp = tempfile.mkdtemp(prefix="cc-s3mn-", dir="/tmp")
    # every node (its raylet and workers) inherits the environment of this process when added
    os.environ["CURATE_MIRROR_DIR"] = f"{mirrors}/head"
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "temp_dir": temp},
    )
    os.environ["CURATE_MIRROR_DIR"] = f"{mirrors}/node2"
    cluster.add_node(num_cpus=1)
    os.environ["CURATE_MIRROR_DIR"] = f"{mirrors}/driver"
    try:
        from curate.config import load_pipeline
        from curate.pipeline import run_pipeline

        cfg = load_pipeline(f"{root}/pipelines/demo.toml").with_run(
            input=tuple(json.loads(sys.argv[4])), output=url, runner="ray",
            address=cluster.address, workers=2,
        )
        report = run_pipeline(cfg)
        print(json.dumps({"shards": report.shards, "did_work": report.did_work}))
    finally:
        cluster.shutdown()
    """
)


@pytest.mark.ray
def test_two_nodes_with_their_own_mirrors_write_the_local_run_to_s3(
    s3_server: Any, tmp_path: Path
) -> None:
    local = tmp_path / "local"
    cfg = load_pipeline(ROOT / "pipelines" / "demo.toml").with_run(
        input=INPUTS, output=str(local), runner="local"
    )
    run_pipeline(cfg, LocalRunner())
    url = s3_server.make_bucket("run-multinode") + "/run"
    mirrors = tmp_path / "mirrors"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, str(ROOT), str(mirrors), json.dumps(INPUTS)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["did_work"] and report["shards"] >= 2
    stored = curate.open_run(url)
    markers = [
        json.loads(m.read_text())
        for m in (Path(stored.root) / "_markers" / "annotate").glob("*.json")
    ]
    # both nodes worked, each through its own mirror folder (the driver's is removed at exit)
    assert len({m["worker"]["ray_node"] for m in markers}) == 2
    node_mirrors = [mirrors / "head", mirrors / "node2"]
    assert all(any(p.is_file() for p in m.rglob("*")) for m in node_mirrors), node_mirrors
    assert _outputs(stored) == _outputs(curate.open_run(local))
