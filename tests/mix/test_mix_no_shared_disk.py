"""``run_mix`` into a run directory on the store (the loopback S3 server) whose tasks run as on
another node without a shared disk: each task is pickled, rebuilt under another
``CURATE_MIRROR_DIR`` (that node's mirror) and run while the driver's mirror folder is moved
away, so a task that reached for a path of the driver's disk (the plan, an attribute folder,
its parts) fails. The mixture must equal the one written from the same run on local disk, and
the hand-off folder (``_work/``) must be gone from the store afterwards. No Ray: the node is
emulated in-process, the store is real."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pytest

from curate import objstore
from curate.engine.runner import LocalRunner
from curate.mix import MixtureConfig, run_mix
from curate.pipeline import run_lock
from curate.rundir import RunDir

T = TypeVar("T")
R = TypeVar("R")


class OtherNodeRunner:
    """Runs each item as a task on "another node": its own mirror, the driver's one unreachable."""

    workers = 1

    def __init__(self, node_mirrors: Path, driver_root: Path):
        self.node_mirrors = node_mirrors
        self.driver_root = driver_root
        self.tasks = 0

    def map(self, fn: Callable[[T], R], items: Sequence[T], **_: Any) -> list[R]:
        results = []
        for item in items:
            data = pickle.dumps(item)
            saved = os.environ.get(objstore.MIRROR_ENV)
            hidden = self.driver_root.with_name(self.driver_root.name + ".hidden")
            os.environ[objstore.MIRROR_ENV] = str(self.node_mirrors)
            os.rename(self.driver_root, hidden)
            try:
                task = pickle.loads(data)
                results.append(pickle.loads(pickle.dumps(fn(task))))
            finally:
                os.rename(hidden, self.driver_root)
                if saved is None:
                    os.environ.pop(objstore.MIRROR_ENV, None)
                else:
                    os.environ[objstore.MIRROR_ENV] = saved
            self.tasks += 1
        return results

    def close(self) -> None:
        pass


def _parts(root: Path, name: str) -> list[str]:
    parts = sorted((root / "mixtures" / name).glob("part-*.parquet"))
    return [hashlib.sha256(repr(pl.read_parquet(p).rows()).encode()).hexdigest() for p in parts]


@pytest.mark.parametrize("repo_mode", [False, True], ids=["files", "repositories"])
def test_mix_write_on_a_node_without_the_drivers_disk_equals_the_local_mixture(
    mixed_run: Any, s3_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    repo_mode: bool,
) -> None:  # fmt: skip
    local, _, secret = mixed_run
    cfg = MixtureConfig(
        name="m", columns=["max_line_length"], repo={"enabled": repo_mode}, fim={"rate": 0.5}
    )
    expected = run_mix(local, cfg, LocalRunner())

    monkeypatch.setenv(objstore.MIRROR_ENV, str(tmp_path / "driver"))
    url = s3_server.make_bucket("mix-no-shared-disk") + f"/{tmp_path.name}"
    fs = s3_server.filesystem()
    for path in sorted(p for p in local.root.rglob("*") if p.is_file()):
        if "mixtures" not in path.parts:
            fs.pipe_file(f"{url}/{path.relative_to(local.root).as_posix()}", path.read_bytes())
    run = RunDir.at(url)
    runner = OtherNodeRunner(tmp_path / "node", run.root)
    with run_lock(run):
        manifest = run_mix(run, cfg, runner)
    assert runner.tasks >= 2  # the plan pass and the write pass both ran on the node

    assert manifest["files"] == expected["files"] and manifest["totals"] == expected["totals"]
    stored = {k.removeprefix(url.removeprefix("s3://") + "/") for k in fs.find(url)}
    assert not any(k.startswith("_work/") for k in stored)  # plan and parts handed off, gone
    parts = sorted(k for k in stored if k.startswith("mixtures/m/"))
    assert parts == [f"mixtures/m/{f['path']}" for f in expected["files"]]
    snapshot = Path(objstore.local_copy(url))
    assert _parts(snapshot, "m") == _parts(local.root, "m")
    text = "".join(pl.read_parquet(snapshot / "mixtures" / "m" / "*.parquet")["content"])
    assert secret not in text and "<KEY>" in text  # redacted on the node, from its own copy
    # the parts were written on the node and renamed on the store: none passed through the
    # driver (its mirror never had them)
    assert not list((run.root / "mixtures" / "m").glob("part-*.parquet"))
