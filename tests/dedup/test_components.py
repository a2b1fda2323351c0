"""Large-star/small-star components equal union-find, for any number of partitions."""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl

from curate.dedup.components import connected_components, labels, write_undirected
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
