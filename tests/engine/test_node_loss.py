"""A whole worker node lost mid-run: a real two-node Ray cluster (``ray.cluster_utils.Cluster``)
whose worker node is killed (raylet and its workers, no graceful drain) while shards are still
outstanding. Ray re-runs the lost shard on the surviving node; the run finishes and its outputs
equal an uninterrupted local run's.

The cluster runs in a child process so the session's own Ray (``ray_cluster``) is untouched."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.engine.test_multinode import _digest

ROOT = Path(__file__).resolve().parents[2]
REPOS = 8

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, tempfile, threading, time
    from pathlib import Path
    from ray.cluster_utils import Cluster

    out, inputs, root = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    os.makedirs("/tmp/ray", exist_ok=True)
    temp = tempfile.mkdtemp(prefix="cc-nl-", dir="/tmp")
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "temp_dir": temp},
    )
    doomed = cluster.add_node(num_cpus=1)
    from curate.config import load_pipeline
    from curate.pipeline import run_pipeline

    cfg = load_pipeline(f"{root}/pipelines/demo.toml").with_run(
        input=(inputs,), output=str(out), runner="ray", address=cluster.address, workers=2,
        shard_target_bytes=100_000,
    )
    result = {}

    def run():
        try:
            report = run_pipeline(cfg)
            result.update(shards=report.shards, did_work=report.did_work)
        except BaseException as err:  # reported to the test, not swallowed
            result["error"] = repr(err)

    def markers():
        return [json.loads(p.read_text()) for p in (out / "_markers").glob("*/*.json")]

    thread = threading.Thread(target=run)
    thread.start()
    seen = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and thread.is_alive():
        seen = markers()
        if any(m.get("worker", {}).get("ray_node") == doomed.node_id for m in seen):
            break
        time.sleep(0.05)
    cluster.remove_node(doomed, allow_graceful=False)
    thread.join(timeout=400)
    after = markers()
    result.update(
        removed_after=len(seen),
        total_markers=len(after),
        doomed_units_after=sum(
            1 for m in after if m.get("worker", {}).get("ray_node") == doomed.node_id
        ),
        doomed_units_before=sum(
            1 for m in seen if m.get("worker", {}).get("ray_node") == doomed.node_id
        ),
    )
    cluster.shutdown()
    print(json.dumps(result))
    """
)


def _write_repos(root: Path) -> Path:
    """``REPOS`` repositories of ~150 KB of distinct Python each: one shard apiece, each long
    enough that the doomed node is busy with its next shard when it is removed."""
    inputs = root / "inputs"
    for r in range(REPOS):
        src = inputs / f"repo{r}" / "pkg"
        src.mkdir(parents=True)
        (inputs / f"repo{r}" / "LICENSE").write_text("MIT License\n")
        for f in range(6):
            body = "\n".join(
                f"def fn_{r}_{f}_{i}(x, y={i}):\n"
                f"    '''Return x scaled by {i} for repo {r}.'''\n"
                f"    total = x * {i} + y - {r * 7 + f}\n"
                f"    return [total + k for k in range({i % 9 + 1})]\n"
                for i in range(160)
            )
            (src / f"mod{f}.py").write_text(body + "\n")
    return inputs


@pytest.mark.ray
def test_worker_node_lost_mid_run_finishes_with_local_outputs(tmp_path: Path) -> None:
    from curate.config import load_pipeline
    from curate.engine.runner import LocalRunner
    from curate.pipeline import run_pipeline

    inputs = _write_repos(tmp_path)
    local = tmp_path / "local"
    cfg = load_pipeline(ROOT / "pipelines" / "demo.toml").with_run(
        input=(str(inputs),), output=str(local), runner="local", shard_target_bytes=100_000
    )
    assert run_pipeline(cfg, LocalRunner()).shards == REPOS
    cluster_run = tmp_path / "cluster"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(cluster_run), str(inputs), str(ROOT)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "error" not in result, result
    assert result["did_work"] and result["shards"] == REPOS
    # The node was removed while work was outstanding, right after it committed a step of a
    # shard (so it was busy with that shard's next step or its next shard), and nothing was
    # committed there afterwards (a fused task re-run elsewhere rewrites its earlier markers).
    assert result["doomed_units_before"] >= 1
    assert result["removed_after"] < result["total_markers"], result
    assert result["doomed_units_after"] <= result["doomed_units_before"]
    assert _digest(cluster_run) == _digest(local)
