"""A run on a real two-node Ray cluster (``ray.cluster_utils.Cluster``) whose driver does NOT
share a disk with the nodes: the driver runs in its own mount namespace (``unshare``) where its
mirror folder is a private tmpfs that no node can see, and each node has its own mirror folder.
Everything between the driver and the tasks then has to go through the store (``--output
s3://``, the loopback S3 server): the shard outputs, and the mixture's plan, inputs and parts
(issue 15). The recipe is the demo's without ``[dedup]``; a second test runs it with
``[dedup]``, whose tasks carry keys of the run (``RunDir.key``), not the driver's folders.

The same cluster and node mirrors then serve a rerun into the same URL with one annotator's
config changed: its attribute files are rewritten on the store by whichever node annotates
the shard, and a node whose mirror holds the first run's version must not read it (stale
mirror files) when it writes the mixture, which carries that annotator's column. Both runs
must equal local runs of the same recipes."""

from __future__ import annotations

import json
import os
import shutil
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

ROOT = Path(__file__).resolve().parents[2]
INPUTS = tuple(str(ROOT / "examples" / p) for p in ("repos", "archives", "exports"))

CLUSTER = textwrap.dedent(
    """
    import json, os, subprocess, sys, tempfile
    from ray.cluster_utils import Cluster

    mirrors, driver, runs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    temp = tempfile.mkdtemp(prefix="cc-s3nsd-", dir="/tmp")
    os.environ["CURATE_MIRROR_DIR"] = f"{mirrors}/head"
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "temp_dir": temp},
    )
    os.environ["CURATE_MIRROR_DIR"] = f"{mirrors}/node2"
    cluster.add_node(num_cpus=1)
    hidden = f"{mirrors}/driver"
    os.makedirs(hidden, exist_ok=True)
    try:
        for args in runs:
            # the driver: a private tmpfs over its mirror folder, invisible to both nodes
            env = {**os.environ, "CURATE_MIRROR_DIR": hidden}
            done = subprocess.run(
                ["unshare", "-rm", "sh", "-c", 'mount -t tmpfs tmpfs "$0" && exec "$@"',
                 hidden, sys.executable, "-c", driver, cluster.address, *args],
                env=env, capture_output=True, text=True, timeout=240,
            )
            sys.stderr.write(done.stderr[-4000:])
            if done.returncode:
                sys.exit(done.returncode)
            print(done.stdout.strip().splitlines()[-1], flush=True)
    finally:
        cluster.shutdown()
    """
)

DRIVER = textwrap.dedent(
    """
    import json, os, sys
    from curate.config import load_pipeline
    from curate.pipeline import run_pipeline

    address, recipe, url, inputs, snap = sys.argv[1:6]
    # the driver's own mirror is the private tmpfs: nothing in it is visible to a node
    assert os.path.ismount(os.environ["CURATE_MIRROR_DIR"])
    cfg = load_pipeline(recipe).with_run(
        input=tuple(json.loads(inputs)), output=url, runner="ray", address=address, workers=2,
    )
    report = run_pipeline(cfg)
    if snap:  # what the store holds now, for the test to compare (the rerun replaces it)
        from curate import objstore

        objstore.snapshot(*objstore.filesystem(url), snap)
    print(json.dumps({"shards": report.shards, "did_work": report.did_work}))
    """
)


def _recipe(tmp_path: Path, name: str, long_line_chars: int, *, dedup: bool = False) -> Path:
    """The demo recipe (without ``[dedup]`` unless asked), its mixture carrying
    ``long_line_fraction`` (a column of ``quality@1`` that depends on ``long_line_chars``)."""
    text = (ROOT / "pipelines" / "demo.toml").read_text()
    if not dedup:
        start = text.index("\n[dedup]")
        text = text[:start] + text[text.index("\n[[policy.rules]]", start) :]
    text = text.replace("long_line_chars = 300", f"long_line_chars = {long_line_chars}")
    columns = 'columns = ["license_category", "max_line_length"]'
    assert columns in text and ("[dedup]" in text) == dedup
    text = text.replace(columns, columns[:-1] + ', "long_line_fraction"]')
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def _local(tmp_path: Path, recipe: Path) -> Path:
    out = tmp_path / f"local-{recipe.stem}"
    cfg = load_pipeline(recipe).with_run(input=INPUTS, output=str(out), runner="local")
    run_pipeline(cfg, LocalRunner())
    return out


def _on_cluster(tmp_path: Path, runs: list[list[str]]) -> list[dict[str, Any]]:
    """Start the two-node cluster (node mirrors under ``tmp_path/mirrors``), run the driver
    in its own mount namespace once per entry of ``runs``; each run's report."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CLUSTER, str(tmp_path / "mirrors"), DRIVER, json.dumps(runs)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return [json.loads(line) for line in done.stdout.strip().splitlines()[-len(runs) :]]


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = 'd=$(mktemp -d) && mount -t tmpfs tmpfs "$d" && echo ok'
    done = subprocess.run(["unshare", "-rm", "sh", "-c", probe], capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() == "ok"


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.skipif(not _can_unshare(), reason="needs unprivileged user+mount namespaces")
def test_driver_without_a_shared_disk_writes_the_local_run_and_a_rerun_reads_no_stale_file(
    s3_server: Any, tmp_path: Path
) -> None:
    url = s3_server.make_bucket("run-no-shared-disk") + "/run"
    mirrors = tmp_path / "mirrors"
    one, two = _recipe(tmp_path, "one", 300), _recipe(tmp_path, "two", 40)
    first, second = _on_cluster(
        tmp_path,
        [
            [str(one), url, json.dumps(INPUTS), str(tmp_path / "first")],
            [str(two), url, json.dumps(INPUTS), ""],  # the rerun: quality@1 rewritten
        ],
    )
    assert first["did_work"] and second["did_work"]
    assert first["shards"] >= 2
    # the first run, as stored then, equals a local run of the same recipe
    assert _outputs(curate.open_run(tmp_path / "first")) == _outputs(
        curate.open_run(_local(tmp_path, one))
    )

    stored = curate.open_run(url)
    markers = [
        json.loads(m.read_text())
        for m in (Path(stored.root) / "_markers" / "mixture").glob("*.json")
    ]
    assert markers, "the mixture step committed"
    # nothing was handed over through a folder of the driver: no plan or part is left behind
    assert not (Path(stored.root) / "_work").exists()
    # the nodes' mirrors were filled from the store (the second node's from the first run on)
    for node in ("head", "node2"):
        assert any(p.is_file() for p in (mirrors / node).rglob("*.parquet")), node
    # the rerun equals a local run of the changed recipe: no node wrote the mixture from the
    # quality@1 files of the first run still in its mirror
    local_two = _local(tmp_path, two)
    assert _outputs(stored) == _outputs(curate.open_run(local_two))
    first_parts = _outputs(curate.open_run(tmp_path / "first"))["parts"]
    assert _outputs(stored)["parts"] != first_parts  # the change reached the mixture


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.skipif(not _can_unshare(), reason="needs unprivileged user+mount namespaces")
def test_dedup_without_a_shared_disk_equals_the_local_run(s3_server: Any, tmp_path: Path) -> None:
    url = s3_server.make_bucket("dedup-no-shared-disk") + "/run"
    recipe = _recipe(tmp_path, "dedup", 300, dedup=True)
    (report,) = _on_cluster(tmp_path, [[str(recipe), url, json.dumps(INPUTS), ""]])
    assert report["did_work"]
    assert _outputs(curate.open_run(url)) == _outputs(curate.open_run(_local(tmp_path, recipe)))
