"""Dedup whose tasks run as on another node without the driver's disk (issue 15), without Ray:
each task is pickled with its run directory rebuilt at the node's own copy of the run (another
root, as a Ray worker's mirror is), and runs while the driver's folder is moved away, so a task
that reached for a path of the driver's disk reads nothing there or fails. The node's copy is
refreshed from the driver's before each task and its outputs copied back after it (what the
object store does between nodes). Exact, near (verified, every shuffle through a combine step)
and repository dedup must write the same attributes as an in-process run."""

from __future__ import annotations

import io
import os
import pickle
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import pytest

from curate.dedup import DedupConfig, components, run_dedup
from curate.dedup.config import NearConfig
from curate.engine.runner import LocalRunner
from curate.rundir import RunDir

T = TypeVar("T")
R = TypeVar("R")

KEYS = ("exact_dedup@1", "near_dedup@1", "repo_dedup@1")


class _AtNode(pickle.Pickler):
    """Pickles every ``RunDir`` of ``driver`` as the node's copy of it at ``node``."""

    def __init__(self, buf: io.BytesIO, driver: Path, node: Path) -> None:
        super().__init__(buf)
        self.driver, self.node = driver, node

    def reducer_override(self, obj: object) -> Any:
        if isinstance(obj, RunDir) and obj.root == self.driver:
            return (RunDir, (self.node,))
        return NotImplemented


class OtherNodeRunner:
    """Runs each item as a task on "another node" whose copy of the run is at ``node``."""

    workers = 1

    def __init__(self, driver: Path, node: Path) -> None:
        self.driver, self.node = driver, node
        self.tasks = 0
        self.kinds: set[str] = set()

    def map(self, fn: Callable[[T], R], items: Sequence[T], **_: Any) -> list[R]:
        results = []
        hidden = self.driver.with_name(self.driver.name + ".hidden")
        for item in items:
            buf = io.BytesIO()
            _AtNode(buf, self.driver, self.node).dump(item)
            shutil.rmtree(self.node, ignore_errors=True)
            shutil.copytree(self.driver, self.node)  # the node's copy: what the store holds
            os.rename(self.driver, hidden)
            try:
                task = pickle.loads(buf.getvalue())
                results.append(pickle.loads(pickle.dumps(fn(task))))
            finally:
                os.rename(hidden, self.driver)
            shutil.copytree(self.node, self.driver, dirs_exist_ok=True)  # its outputs stored
            self.tasks += 1
            for step in getattr(item, "steps", ()):  # an engine unit: its steps' own tasks
                for sub in getattr(step, "items", ()):
                    self.kinds.add(f"{type(sub).__module__}.{type(sub).__qualname__}")
        return results

    def close(self) -> None:
        pass


def _attrs(run: RunDir) -> dict[str, pl.DataFrame]:
    return {
        k: pl.read_parquet(sorted(run.attributes(k).glob("*.parquet"))).sort("doc_uid")
        for k in KEYS
    }


@pytest.mark.parametrize("cc", ["components._SolveTask", "components._Task"])
def test_dedup_tasks_on_a_node_without_the_drivers_disk_equal_the_local_run(
    corpus: list[dict], make_run: Callable[..., RunDir], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path, cc: str,
) -> None:  # fmt: skip
    monkeypatch.setattr(components, "MAX_FILE_READS", 1)  # every shuffle through a combine step
    if cc == "components._Task":  # no edge set fits the budget: the distributed rounds
        monkeypatch.setattr(components, "fits_one_task", lambda rows, budget: False)
    cfg = DedupConfig(
        near=NearConfig(
            min_partitions=3, band_partitions=3, verify=True, threshold=0.7, bands=64, rows=2,
            repos=True,
        ),
        exact_partitions=3,
    )  # fmt: skip
    local = make_run(corpus, 3, "local")
    expected_report = run_dedup(local, cfg, LocalRunner())
    expected = _attrs(local)

    run = make_run(corpus, 3, "driver")
    runner = OtherNodeRunner(run.root, tmp_path / "node")
    report = run_dedup(run, cfg, runner)

    # every kind of dedup task ran on the node, including the ones that carry folders
    kinds = {k.rsplit(".", 2)[-2] + "." + k.rsplit(".", 1)[-1] for k in runner.kinds}
    assert {
        cc, "shuffle.CombineTask", "verify.VerifyTask", "near._LabelTask", "repos._Task",
    } <= kinds  # fmt: skip
    assert report["near"]["edges_verified"] == expected_report["near"]["edges_verified"] > 0
    got = _attrs(run)
    for key in KEYS:
        assert got[key].equals(expected[key]), key
    near = got["near_dedup@1"]
    assert (~near["dup_keep"]).sum() > 0  # near copies were found (and dropped), not missed
    assert not (tmp_path / "driver.hidden").exists()
