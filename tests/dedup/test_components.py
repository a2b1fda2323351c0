"""Large-star/small-star components equal union-find, for any number of partitions."""

from __future__ import annotations

import math
import random
from pathlib import Path

import polars as pl
import pytest

from curate.dedup.components import (
    BYTES_PER_EDGE_ROW,
    connected_components,
    labels,
    write_undirected,
)
from curate.engine.runner import LocalRunner
from curate.rundir import RunDir


def _union_find(edges: list[tuple[int, int]]) -> dict[int, int]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent)}


def test_matches_union_find_on_random_graph_with_long_chain(tmp_path: Path) -> None:
    rng = random.Random(5)
    edges = [(rng.randrange(2000), rng.randrange(2000)) for _ in range(1500)]
    edges += [(i, i + 1) for i in range(5000, 5600)]  # a long path: many rounds for naive BFS
    edges = [(a, b) for a, b in edges if a != b]
    expected = _union_find(edges)
    df = pl.DataFrame(edges, schema={"u": pl.Int64, "v": pl.Int64}, orient="row")
    run = RunDir.at(tmp_path)
    results = []
    for parts in (1, 2, 7):
        write_undirected(df, parts, tmp_path / f"in{parts}", "w")
        out, rounds = connected_components(
            run,
            LocalRunner(),
            name=f"t{parts}",
            edges=tmp_path / f"in{parts}",
            work=tmp_path / f"w{parts}",
            parts=parts,
            fingerprint="f",
        )
        got = pl.concat([labels(out, p) for p in range(parts)]).sort("node")
        assert dict(got.iter_rows()) == expected
        assert rounds < 30
        results.append(got)
    assert results[0].equals(results[1]) and results[1].equals(results[2])


def test_empty_edge_set(tmp_path: Path) -> None:
    out, rounds = connected_components(
        RunDir.at(tmp_path),
        LocalRunner(),
        name="e",
        edges=tmp_path / "none",
        work=tmp_path / "w",
        parts=3,
        fingerprint="f",
    )
    assert rounds == 0
    assert labels(out, 0).height == 0


class _Watching(LocalRunner):
    """A real in-process runner that records the round folders present after every task and
    can stop (like a killed driver) after a given number of tasks."""

    def __init__(self, work: Path, stop_after: int | None = None) -> None:
        self.work, self.stop_after, self.tasks = work, stop_after, 0
        self.peak = 0
        self.steps: list[str] = []

    def map(self, fn, items, **kw):  # type: ignore[no-untyped-def, override]
        self.steps.append(kw.get("desc", ""))

        def watched(item):  # type: ignore[no-untyped-def]
            if self.stop_after is not None and self.tasks == self.stop_after:
                raise KeyboardInterrupt("driver killed")
            out = fn(item)
            self.tasks += 1
            rounds = list(self.work.iterdir()) if self.work.is_dir() else []
            self.peak = max(self.peak, len(rounds))
            return out

        return super().map(watched, items, **kw)


def _chain_graph(tmp_path: Path, parts: int) -> tuple[Path, dict[int, int]]:
    rng = random.Random(9)
    edges = [(i, i + 1) for i in range(0, 300)] + [(i + 1, i) for i in range(1000, 1200)]
    edges += [(rng.randrange(5000, 6000), rng.randrange(5000, 6000)) for _ in range(400)]
    edges = [(a, b) for a, b in edges if a != b]
    df = pl.DataFrame(edges, schema={"u": pl.Int64, "v": pl.Int64}, orient="row")
    write_undirected(df, parts, tmp_path / "in", "w")
    return tmp_path / "in", _union_find(edges)


def _cc(run: RunDir, runner: LocalRunner, edges: Path, work: Path, parts: int, name: str = "cc"):  # type: ignore[no-untyped-def]
    """Components of ``edges`` as the step ``name``; ``edges`` and ``work`` are folders of
    ``run`` (its tasks carry keys of the run), runs side by side differ by ``name``."""
    out, rounds = connected_components(
        run, runner, name=name, edges=edges, work=work, parts=parts, fingerprint="f"
    )
    return out, rounds, pl.concat([labels(out, p) for p in range(parts)]).sort("node")


def test_finished_rounds_are_deleted_peak_two_only_converged_kept(tmp_path: Path) -> None:
    parts = 4
    edges, expected = _chain_graph(tmp_path, parts)
    work = tmp_path / "w"
    runner = _Watching(work)
    out, rounds, got = _cc(RunDir.at(tmp_path), runner, edges, work, parts)
    assert dict(got.iter_rows()) == expected
    assert rounds >= 3  # several rounds, so deletion is exercised
    assert sorted(p.name for p in work.iterdir()) == [out.name]  # only the converged round
    assert out.name == f"r{rounds - 1:03d}-ss"
    assert runner.peak == 2  # never more than the running step's input and output
    assert edges.is_dir() and any(edges.iterdir())  # the caller's edges are not touched
    # A rerun on the same run directory: every step skipped from its markers, same labels.
    again = _Watching(work)
    out2, rounds2, got2 = _cc(RunDir.at(tmp_path), again, edges, work, parts)
    assert (out2, rounds2) == (out, rounds) and got2.equals(got) and again.tasks == 0


@pytest.mark.parametrize("stop_after", [3, 9, 14, 22])
def test_driver_killed_mid_components_reruns_to_identical_labels(
    tmp_path: Path, stop_after: int
) -> None:
    parts = 4
    edges, expected = _chain_graph(tmp_path, parts)
    run = RunDir.at(tmp_path)
    _, rounds, reference = _cc(run, LocalRunner(), edges, tmp_path / "rw", parts, "ref")
    work = tmp_path / "w"
    killed = _Watching(work, stop_after=stop_after)
    with pytest.raises(KeyboardInterrupt):
        _cc(run, killed, edges, work, parts)
    assert killed.tasks == stop_after and killed.peak <= 2
    resumed = _Watching(work)
    _, rounds2, got = _cc(run, resumed, edges, work, parts)
    assert got.equals(reference) and rounds2 == rounds
    assert dict(got.iter_rows()) == expected
    assert resumed.tasks > 0  # it finished the work, without redoing committed steps
    assert resumed.tasks + stop_after == (2 * rounds + 1) * parts  # nothing redone
    assert resumed.peak <= 2


@pytest.mark.parametrize("parts", [2, 5])
def test_two_level_shuffle_gives_identical_labels(tmp_path: Path, parts: int) -> None:
    edges, expected = _chain_graph(tmp_path, parts)
    run = RunDir.at(tmp_path)  # every folder below is one of run's; the steps' names differ
    _, rounds, one = _cc(run, LocalRunner(), edges, tmp_path / "w1", parts, "a")
    work = tmp_path / "w2"
    runner = _Watching(work)
    out, rounds2 = connected_components(
        run,
        runner,
        name="b",
        edges=edges,
        work=work,
        parts=parts,
        fingerprint="f",
        max_file_reads=1,  # force the two-level shuffle
    )
    got = pl.concat([labels(out, p) for p in range(parts)]).sort("node")
    assert got.equals(one) and rounds2 == rounds and dict(got.iter_rows()) == expected
    assert sorted(p.name for p in work.iterdir()) == [out.name] and out.name.endswith("-ss-c")
    groups = -(-parts // (math.isqrt(parts - 1) + 1))
    assert 0 < len(list(out.rglob("*.parquet"))) <= groups < parts  # fewer files than writers
    assert runner.peak <= 3  # a step's input, its output and the output's merged copy
    # the caller's edges (one file per writer) are merged once too, and kept
    assert runner.steps[0] == "b/in-c" and edges.is_dir()
    below = _Watching(tmp_path / "w4")
    connected_components(
        run, below, name="d", edges=edges, work=tmp_path / "w4",
        parts=parts, fingerprint="f", max_file_reads=parts * parts,
    )  # fmt: skip
    assert not any(s.endswith("-c") for s in below.steps)  # at the limit: one level
    # a driver killed in the middle of a combine step reruns to the same labels
    work3 = tmp_path / "w3"
    with pytest.raises(KeyboardInterrupt):
        connected_components(
            run,
            _Watching(work3, stop_after=parts + 1),
            name="c",
            edges=edges,
            work=work3,
            parts=parts,
            fingerprint="f",
            max_file_reads=1,
        )
    out3, _ = connected_components(
        run,
        LocalRunner(),
        name="c",
        edges=edges,
        work=work3,
        parts=parts,
        fingerprint="f",
        max_file_reads=1,
    )
    assert pl.concat([labels(out3, p) for p in range(parts)]).sort("node").equals(one)


@pytest.mark.parametrize("parts", [1, 4])
def test_in_memory_solve_gives_the_distributed_labels_and_rounds(
    tmp_path: Path, parts: int
) -> None:
    edges, expected = _chain_graph(tmp_path, parts)
    run = RunDir.at(tmp_path)
    _, rounds, reference = _cc(run, LocalRunner(), edges, tmp_path / "wd", parts, "dist")
    rows = pl.read_parquet(edges).height  # both orientations
    work = tmp_path / "wm"
    runner = _Watching(work)

    def solve(budget: int) -> tuple[Path, int, pl.DataFrame]:
        out, got_rounds = connected_components(
            run, runner, name="mem", edges=edges, work=work, parts=parts, fingerprint="f",
            budget_bytes=budget, edge_rows=rows,
        )  # fmt: skip
        return out, got_rounds, pl.concat([labels(out, p) for p in range(parts)]).sort("node")

    out, rounds2, got = solve(rows * BYTES_PER_EDGE_ROW)
    assert runner.steps == ["mem/solve"] and runner.tasks == 1  # one task, no round steps
    assert got.equals(reference) and rounds2 == rounds and dict(got.iter_rows()) == expected
    assert sorted(p.name for p in work.iterdir()) == [out.name] == ["solved"]
    assert edges.is_dir() and any(edges.iterdir())  # the caller's edges are kept
    runner = again = _Watching(work)
    out2, rounds4, got2 = solve(rows * BYTES_PER_EDGE_ROW)
    assert (out2, rounds4) == (out, rounds) and got2.equals(got)
    assert again.tasks == 0  # a rerun is skipped from the marker
    # one row over the budget: the distributed rounds
    over = _Watching(tmp_path / "wo")
    _, rounds3 = connected_components(
        run, over, name="over", edges=edges, work=tmp_path / "wo", parts=parts,
        fingerprint="f", budget_bytes=rows * BYTES_PER_EDGE_ROW - 1, edge_rows=rows,
    )  # fmt: skip
    assert rounds3 == rounds and over.steps[0] == "over/r000-ls"


def test_in_memory_solve_of_no_edges_returns_the_input(tmp_path: Path) -> None:
    out, rounds = connected_components(
        RunDir.at(tmp_path), LocalRunner(), name="e", edges=tmp_path / "none",
        work=tmp_path / "w", parts=3, fingerprint="f", budget_bytes=1 << 20, edge_rows=0,
    )  # fmt: skip
    assert (out, rounds) == (tmp_path / "none", 0) and labels(out, 0).height == 0
