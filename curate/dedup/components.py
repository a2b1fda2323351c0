"""Deterministic connected components over partitioned Parquet edges (large-star/small-star).

The alternating algorithm of Kiveris et al. ("Connected Components in MapReduce and Beyond",
SoCC 2014): each round is a large-star step and a small-star step, each a ``runner.map`` over
edge partitions with an on-disk shuffle between them. At the fixed point every component is a
star around its smallest node id, so the label of a node is the minimum of itself and its
neighbours. Labels are minima, so the result does not depend on worker count or task order.

Memory: a task holds one partition of edges (plus polars' working set), so the number of
partitions, derived from a byte budget, bounds peak memory; a single giant component still
lands its root's edges in one partition (see docs/dedup.md).

Input layout (``LS input``): undirected edges stored in both orientations ``(u, v)`` and
partitioned by ``u``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curate.dedup.shuffle import (
    combine_tasks,
    mix64,
    read_partition,
    run_combine,
    write_by_column,
    writer_files,
)
from curate.engine.runner import Runner
from curate.engine.step import map_step
from curate.rundir import RunDir, remove

EDGE = {"u": pl.Int64, "v": pl.Int64}
BYTES_PER_EDGE_ROW = 320
"""Measured peak working set of one task per stored edge row (see docs/benchmarks.md)."""
MAX_FILE_READS = 1 << 22
"""A step whose readers x writer files exceed this reads through a two-level shuffle
(``shuffle.combine``): at 4M file opens per step object-store requests start to cost more
than the step's compute (docs/scale.md)."""


def two_level(writers: int, readers: int, max_file_reads: int | None = None) -> bool:
    """Whether a shuffle of ``writers`` files per reader and ``readers`` readers goes through a
    combine step (``MAX_FILE_READS`` read at call time, so a test can lower it)."""
    limit = MAX_FILE_READS if max_file_reads is None else max_file_reads
    return writers * readers > limit


def combine_step(
    run: RunDir,
    runner: Runner,
    name: str,
    fingerprint: str,
    src: Path,
    dst: Path | None = None,
    *,
    delete: bool = True,
) -> Path:
    """The step ``name`` merging the shuffle ``src`` into ``dst`` (default ``<src>-c``;
    ``shuffle.combine``); ``src`` is deleted once it is committed unless ``delete`` is false.
    Returns the folder to read. A rerun finds ``src`` gone and the step a no-op (no units, so
    nothing is cleared)."""
    dst = dst or src.with_name(src.name + "-c")
    tasks = combine_tasks(run, src, dst)
    map_step(run, runner, name, fingerprint, run_combine, tasks, outputs=[dst])
    if delete:
        _delete(src)  # read only by the combine step just committed
    return dst


def partitions_for(edge_rows: int, budget_bytes: int, minimum: int = 1) -> int:
    return max(minimum, -(-edge_rows * BYTES_PER_EDGE_ROW // budget_bytes))


@dataclass(frozen=True)
class _Task:
    """One partition of a large-star or small-star step; ``src`` and ``dst`` are keys of
    ``run`` (``RunDir.key``), resolved in the worker's own copy of the run."""

    run: RunDir
    src: str
    dst: str
    part: int
    parts: int


def write_undirected(df: pl.DataFrame, parts: int, out_dir: Path, writer: str) -> None:
    """Write edges ``(u, v)`` in both orientations, partitioned by the first endpoint."""
    both = pl.concat(
        [df.select("u", "v"), df.select(pl.col("v").alias("u"), pl.col("u").alias("v"))]
    )
    write_by_column(both, "u", parts, out_dir, writer)


def _digest(df: pl.DataFrame) -> tuple[int, int]:
    """Order-independent digest of the undirected edge set held by one LS partition."""
    one = df.filter(pl.col("u") > pl.col("v"))
    if one.height == 0:
        return 0, 0
    u = one["u"].to_numpy().astype(np.uint64)
    v = one["v"].to_numpy().astype(np.uint64)
    with np.errstate(over="ignore"):
        h = mix64(mix64(u) ^ v)
        return one.height, int(np.sum(h, dtype=np.uint64))


def _large_star_edges(df: pl.DataFrame) -> pl.DataFrame:
    """The large-star step of distinct edges ``df`` (no self loops), grouped by ``u``: each
    larger neighbour ``v`` of ``u`` linked to ``u``'s smallest neighbourhood member, as
    ``(v, m)`` rows (one orientation)."""
    m = df.group_by("u").agg(pl.col("v").min().alias("m"))
    m = m.with_columns(pl.min_horizontal("u", "m").alias("m"))
    return (
        df.join(m, on="u")
        .filter(pl.col("v") > pl.col("u"))
        .select(pl.col("v").alias("u"), pl.col("m").alias("v"))
        .unique()
    )


def _small_star_edges(df: pl.DataFrame) -> pl.DataFrame:
    """The small-star step of distinct edges ``df`` (no self loops), grouped by ``u``: ``u``
    and each of its neighbours linked to its smallest neighbour (one orientation)."""
    m = df.group_by("u").agg(pl.col("v").min().alias("m"))
    return (
        pl.concat(
            [
                df.join(m, on="u").select(pl.col("v").alias("u"), pl.col("m").alias("v")),
                m.select("u", pl.col("m").alias("v")),
            ]
        )
        .filter(pl.col("u") != pl.col("v"))
        .unique()
    )


def _distinct(df: pl.DataFrame) -> pl.DataFrame:
    return df.unique().filter(pl.col("u") != pl.col("v"))


def _large_star(task: _Task) -> list[int]:
    src = task.run.path(task.src)
    df = _distinct(read_partition(src, task.part, EDGE))
    count, digest = _digest(df)
    if df.height:
        out = _large_star_edges(df)
        write_by_column(out, "u", task.parts, task.run.path(task.dst), f"{task.part:05d}")
    return [count, digest]


def _small_star(task: _Task) -> int:
    src = task.run.path(task.src)
    df = _distinct(read_partition(src, task.part, EDGE))
    if df.height == 0:
        return 0
    out = _small_star_edges(df)
    write_undirected(out, task.parts, task.run.path(task.dst), f"{task.part:05d}")
    return out.height


def _undirected(df: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [df.select("u", "v"), df.select(pl.col("v").alias("u"), pl.col("u").alias("v"))]
    )


@dataclass(frozen=True)
class _SolveTask:
    """The whole graph in one task (``connected_components`` when it fits ``budget_bytes``);
    ``edges`` and ``dst`` are keys of ``run``."""

    run: RunDir
    edges: str
    dst: str
    parts: int
    max_rounds: int


def _solve(task: _SolveTask) -> int:
    """The large-star/small-star rounds of the distributed path on the whole edge set in
    memory: the same operations on the same edges (a partition only ever groups by ``u``),
    so the same rounds and fixed point. The fixed point goes to ``dst`` in LS input layout
    (unless it is the input itself, at round 0). Returns the rounds."""
    run = task.run
    files = writer_files(run.path(task.edges))
    tables = [pq.read_table(f).replace_schema_metadata(None) for f in files]
    df = pl.DataFrame(schema=EDGE)
    if tables:
        df = pl.from_arrow(pa.concat_tables(tables)).cast(EDGE)  # type: ignore[assignment]
    previous: tuple[int, int] | None = None
    for k in range(task.max_rounds):
        df = _distinct(df)
        count, digest = _digest(df)  # the distributed path's per-partition sums, summed
        if (count, digest) == previous or count == 0:
            if k:
                out = run.path(task.dst)
                write_by_column(df, "u", task.parts, out, "00000")
            return k
        previous = count, digest
        df = _undirected(_small_star_edges(_distinct(_large_star_edges(df))))
    raise RuntimeError(f"connected components did not converge in {task.max_rounds} rounds")


def connected_components(
    run: RunDir,
    runner: Runner,
    *,
    name: str,
    edges: Path,
    work: Path,
    parts: int,
    fingerprint: str,
    max_rounds: int = 64,
    max_file_reads: int | None = None,
    budget_bytes: int | None = None,
    edge_rows: int | None = None,
) -> tuple[Path, int]:
    """Iterate from ``edges`` (LS input layout) to the fixed point. Returns the folder holding
    the converged star edges (LS input layout) and the number of rounds.

    With ``budget_bytes`` and ``edge_rows`` (the rows stored in ``edges``, both orientations,
    as the steps that wrote them counted: the driver need not read the files), edges that fit
    the budget (``BYTES_PER_EDGE_ROW`` per row) are solved by one task in memory (the step
    ``<name>/solve``, :func:`_solve`): the same rounds and labels as below, without a barrier
    and a shuffle per half-round (on the e2e corpus 9 steps of 4 units, a few milliseconds of
    work each).

    A round's folders under ``work`` are deleted as soon as the step reading them is committed
    (all its markers written), so at most two rounds' folders exist at any time (the input and
    the output of the running step) and only the converged one is left. A rerun (a killed
    driver) walks the same rounds: steps already committed are skipped from their markers
    (their results, the digests, live there, not in the deleted folders), and the first
    unfinished step still has its input. ``edges`` belongs to the caller and is kept.

    When ``parts`` x ``parts`` (file opens per step) exceeds ``max_file_reads`` (default
    ``MAX_FILE_READS``), every step's
    output is merged by a combine step (``shuffle.combine``) before the next step reads it:
    same rows in the same order, so the same labels, with ~sqrt(parts) files per read; so is
    ``edges`` when its writers x ``parts`` exceed it (into ``work/in-c``)."""
    if (
        budget_bytes is not None
        and edge_rows is not None
        and fits_one_task(edge_rows, budget_bytes)
    ):
        solved = work / "solved"
        task = _SolveTask(run, run.key(edges), run.key(solved), parts, max_rounds)
        (rounds,) = map_step(
            run, runner, f"{name}/solve", fingerprint, _solve, [task], outputs=[solved]
        )
        return (solved if rounds else edges), int(rounds)
    previous: tuple[int, int] | None = None
    combined = two_level(parts, parts, max_file_reads)
    current = edges
    if two_level(len({f.stem for f in writer_files(edges)}), parts, max_file_reads):
        # the caller's edges (kept) merged once; the copy goes with the first LS step's input
        current = combine_step(
            run, runner, f"{name}/in-c", fingerprint, edges, work / "in-c", delete=False
        )

    def step(label: str, fn: object, src: Path, out: Path) -> list[object]:
        tasks = [_Task(run, run.key(src), run.key(out), p, parts) for p in range(parts)]
        res = map_step(run, runner, f"{name}/{label}", fingerprint, fn, tasks, outputs=[out])  # type: ignore[arg-type]
        if combined:
            combine_step(run, runner, f"{name}/{label}-c", fingerprint, out)
        return res

    def folder(label: str) -> Path:
        return work / (label + ("-c" if combined else ""))

    for k in range(max_rounds):
        ls_out = folder(f"r{k:03d}-ls")
        res = step(f"r{k:03d}-ls", _large_star, current, work / f"r{k:03d}-ls")
        digest = (sum(r[0] for r in res), sum(r[1] for r in res) % (1 << 64))  # type: ignore[index]
        if digest == previous or digest[0] == 0:
            _delete(ls_out)  # the fixed point: current is the result, this round's LS unneeded
            return current, k
        previous = digest
        if current != edges:
            _delete(current)  # read only by the LS step just committed
        ss_out = folder(f"r{k:03d}-ss")
        step(f"r{k:03d}-ss", _small_star, ls_out, work / f"r{k:03d}-ss")
        _delete(ls_out)  # read only by the SS step just committed
        current = ss_out
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")


def fits_one_task(edge_rows: int, budget_bytes: int) -> bool:
    """Whether ``edge_rows`` stored edge rows fit one task's ``budget_bytes`` (solved in memory)."""
    return edge_rows * BYTES_PER_EDGE_ROW <= budget_bytes


def _delete(folder: Path) -> None:
    """Remove a finished round's folder, on the object store too (idempotent: a rerun may find
    it gone)."""
    remove(folder)


def labels(converged: Path, part: int) -> pl.DataFrame:
    """``node -> label`` (component minimum) for the nodes of one partition."""
    df = read_partition(converged, part, EDGE)
    if df.height == 0:
        return pl.DataFrame(schema={"node": pl.Int64, "label": pl.Int64})
    return (
        df.group_by("u")
        .agg(pl.col("v").min())
        .select(pl.col("u").alias("node"), pl.min_horizontal("u", "v").alias("label"))
    )
