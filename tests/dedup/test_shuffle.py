"""The on-disk shuffle: one file per writer, partitions as row groups, reads by index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from curate.dedup import shuffle
from curate.dedup.shuffle import INDEX_KEY, read_partition, row_groups, write_partitioned
from curate.errors import UserError
from curate.rundir import RunDir

SCHEMA = {"key": pl.Int64, "writer": pl.String, "seq": pl.Int64}


def _frame(writer: str, n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "key": rng.integers(0, 1 << 40, n),
            "writer": [writer] * n,
            "seq": np.arange(n),
        },
        schema=SCHEMA,
    )


def _write(out: Path, writers: int, parts: int, n: int = 200) -> dict[str, pl.DataFrame]:
    frames = {}
    for w in range(writers):
        name = f"{w:05d}"
        df = _frame(name, n, w)
        write_partitioned(df, shuffle.partition_of(df["key"].to_numpy(), parts), parts, out, name)
        frames[name] = df
    return frames


@pytest.mark.parametrize(("writers", "parts"), [(1, 1), (3, 4), (5, 7)])
def test_one_file_per_writer_and_partitions_read_back_exactly(
    tmp_path: Path, writers: int, parts: int
) -> None:
    frames = _write(tmp_path, writers, parts)
    files = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert files == [Path(f"r=0/{w}.parquet") for w in frames]  # writers, not writers x parts
    everything = pl.concat(list(frames.values()))
    expected_part = shuffle.partition_of(everything["key"].to_numpy(), parts)
    seen = 0
    for k in range(parts):
        got = read_partition(tmp_path, k, SCHEMA)
        want = everything.filter(pl.Series(expected_part == k))
        assert got.equals(want)  # rows of k only, writer order, each writer's order kept
        seen += got.height
    assert seen == everything.height


def test_each_row_group_holds_one_partition_named_by_the_index(tmp_path: Path) -> None:
    parts = 9
    _write(tmp_path, 1, parts, n=60)
    pf = pq.ParquetFile(tmp_path / "r=0" / "00000.parquet")
    index = json.loads(pf.metadata.metadata[INDEX_KEY])
    assert index["parts"] == sorted(set(index["parts"]))
    assert pf.metadata.num_row_groups == len(index["parts"]) == index["starts"][-1]
    for i, k in enumerate(index["parts"]):
        keys = pf.read_row_groups(row_groups(pf.metadata, k))["key"].to_numpy()
        assert i == row_groups(pf.metadata, k)[0]
        assert (shuffle.partition_of(keys, parts) == k).all()
    missing = [k for k in range(parts) if k not in index["parts"]]
    for k in missing:
        assert row_groups(pf.metadata, k) == []
        assert read_partition(tmp_path, k, SCHEMA).height == 0


def test_large_partition_spans_several_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shuffle, "ROW_GROUP_ROWS", 7)
    df = _frame("a", 50, 3)
    parts = np.where(np.arange(50) < 30, 2, 0)  # partition 2: 30 rows -> 5 groups; 0: 20 -> 3
    write_partitioned(df, parts, 3, tmp_path, "a")
    md = pq.read_metadata(tmp_path / "r=0" / "a.parquet")
    assert md.num_row_groups == 8
    assert row_groups(md, 0) == [0, 1, 2] and row_groups(md, 2) == [3, 4, 5, 6, 7]
    assert read_partition(tmp_path, 2, SCHEMA)["seq"].to_list() == list(range(30))
    assert read_partition(tmp_path, "0", SCHEMA)["seq"].to_list() == list(range(30, 50))
    assert read_partition(tmp_path, 1, SCHEMA).height == 0


def test_reader_asks_only_for_its_partitions_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, 2, 5, n=100)
    asked: list[list[int]] = []
    real = pq.ParquetFile.read_row_groups

    def spy(self: pq.ParquetFile, groups: list[int], *a: object, **kw: object):  # type: ignore[no-untyped-def]
        asked.append(list(groups))
        return real(self, groups, *a, **kw)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    read_partition(tmp_path, 3, SCHEMA)
    assert len(asked) == 2  # one read per writer file
    for w, groups in zip(("00000", "00001"), asked, strict=True):
        md = pq.read_metadata(tmp_path / "r=0" / f"{w}.parquet")
        assert groups == row_groups(md, 3) and len(groups) < md.num_row_groups


def test_rewrite_replaces_writer_file_and_empty_frame_writes_nothing(tmp_path: Path) -> None:
    df = _frame("a", 40, 1)
    parts = shuffle.partition_of(df["key"].to_numpy(), 3)
    for _ in range(2):  # a retried task writes its file again: no duplicated rows
        write_partitioned(df, parts, 3, tmp_path, "a")
    assert sum(read_partition(tmp_path, k, SCHEMA).height for k in range(3)) == 40
    write_partitioned(df.clear(), parts[:0], 3, tmp_path / "empty", "a")
    assert not (tmp_path / "empty").exists()
    assert read_partition(tmp_path / "empty", 0, SCHEMA).schema == pl.Schema(SCHEMA)
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_bad_partition_and_old_layout_are_errors(tmp_path: Path) -> None:
    df = _frame("a", 4, 1)
    with pytest.raises(ValueError, match="partition 3 outside"):
        write_partitioned(df, np.array([0, 1, 3, 1]), 3, tmp_path / "bad", "a")
    old = tmp_path / "old"
    (old / "p=0").mkdir(parents=True)
    df.write_parquet(old / "p=0" / "a.parquet")
    with pytest.raises(UserError, match="older curate"):
        read_partition(old, 0, SCHEMA)


@pytest.mark.parametrize(("group", "per_footer"), [(1, 190), (3, 2), (7, 4)])
def test_range_files_and_two_level_combine_read_the_same_rows_in_the_same_order(
    tmp_path: Path, group: int, per_footer: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shuffle, "ROW_GROUPS_PER_FOOTER", per_footer)
    parts, writers = 5, 7
    ranges = -(-parts // per_footer)  # files per writer: one per range of partition ids
    frames = _write(tmp_path / "one", writers, parts, n=150)
    files = shuffle.writer_files(tmp_path / "one")
    assert len(files) == writers * ranges
    assert [f.relative_to(tmp_path / "one").as_posix() for f in files[:ranges]] == [
        f"r={i}/00000.parquet" for i in range(ranges)
    ]
    by_writer = [[f for f in files if f.name.startswith(w)] for w in frames]
    written = 0
    for g in range(0, writers, group):
        run = [f for fs in by_writer[g : g + group] for f in fs]
        written += shuffle.combine(tmp_path / "one", run, tmp_path / "two", f"g{g:05d}")
    groups = -(-writers // group)
    assert written == groups * ranges == len(shuffle.writer_files(tmp_path / "two"))
    opened: list[str] = []
    real = pq.ParquetFile.__init__

    def spy(self: pq.ParquetFile, source: object, *a: object, **kw: object) -> None:
        opened.append(Path(str(source)).name)
        real(self, source, *a, **kw)

    monkeypatch.setattr(pq.ParquetFile, "__init__", spy)
    everything = pl.concat(list(frames.values()))
    expected_part = shuffle.partition_of(everything["key"].to_numpy(), parts)
    for k in range(parts):
        opened.clear()
        want = read_partition(tmp_path / "one", k, SCHEMA)
        assert len(opened) == writers  # one file per writer: the one whose range holds k
        assert want.equals(everything.filter(pl.Series(expected_part == k)))
        opened.clear()
        got = read_partition(tmp_path / "two", k, SCHEMA)
        assert len(opened) == groups  # one file per group
        assert got.equals(want) and got.height > 0


def test_combine_of_nothing_writes_nothing(tmp_path: Path) -> None:
    assert shuffle.combine(tmp_path, [], tmp_path / "two", "g0") == 0
    assert not (tmp_path / "two").exists()


def test_combine_tasks_group_writers_within_each_range_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shuffle, "ROW_GROUPS_PER_FOOTER", 2)
    _write(tmp_path / "one", 4, 5, n=120)  # 3 range folders of 4 writer files
    run = RunDir(tmp_path)
    tasks = shuffle.combine_tasks(run, tmp_path / "one", tmp_path / "two", group=3)
    assert [t.group for t in tasks] == ["g0", "g3"] * 3
    assert all(len({Path(f).parent for f in t.files}) == 1 for t in tasks)  # one range each
    # the tasks carry keys of the run, not this machine's paths: they resolve in another copy
    assert all(not Path(f).is_absolute() and f.startswith("one/r=") for t in tasks for f in t.files)
    assert (tasks[0].src, tasks[0].dst) == ("one", "two")
    assert sum(shuffle.run_combine(t) for t in tasks) == 6
    for k in range(5):
        want = read_partition(tmp_path / "one", k, SCHEMA)
        assert read_partition(tmp_path / "two", k, SCHEMA).equals(want) and want.height
    assert len(shuffle.writer_files(tmp_path / "two", 4)) == 2  # a reader opens 2, not 4
    assert shuffle.combine_tasks(run, tmp_path / "none", tmp_path / "x") == []


def test_shuffle_files_carry_no_column_statistics(tmp_path: Path) -> None:
    """Shuffle files are read through their index, so their footers drop min/max statistics
    (about 40% of a row group's footer bytes); other Parquet outputs keep them."""
    from curate.rundir import AtomicParquetWriter

    df = pl.DataFrame({"k": np.arange(50, dtype=np.int64), "s": [f"v{i}" for i in range(50)]})
    write_partitioned(df, np.arange(50) % 3, 3, tmp_path / "sh", "w")
    meta = pq.read_metadata(tmp_path / "sh" / "r=0" / "w.parquet")
    assert meta.num_row_groups == 3
    assert not any(meta.row_group(g).column(c).is_stats_set for g in range(3) for c in range(2))
    assert read_partition(tmp_path / "sh", 1, {"k": pl.Int64, "s": pl.String})["k"].to_list() == (
        list(range(1, 50, 3))
    )
    with AtomicParquetWriter(tmp_path / "plain.parquet", df.to_arrow().schema) as w:
        w.write(df.to_arrow())
    assert pq.read_metadata(tmp_path / "plain.parquet").row_group(0).column(0).is_stats_set


@pytest.mark.parametrize("n_parts", [1, 7, 1 << 16, (1 << 16) + 1, 1 << 40])
def test_stable_order_is_the_stable_argsort_for_any_partition_count(n_parts: int) -> None:
    rng = np.random.default_rng(n_parts % 1000)
    parts = rng.integers(0, n_parts, 5000)
    np.testing.assert_array_equal(
        shuffle._stable_order(parts, n_parts), np.argsort(parts, kind="stable")
    )
    bad = np.r_[parts, -1, n_parts]  # out of range: still sorted (then refused by the writer)
    np.testing.assert_array_equal(
        shuffle._stable_order(bad, n_parts), np.argsort(bad, kind="stable")
    )


def test_binary_columns_are_stored_uncompressed(tmp_path: Path) -> None:
    """Shingle-set blobs (random uint32 hashes) do not shrink under zstd: stored as they are;
    every other column keeps the run's codec. The rows read back the same."""
    sets = [np.arange(i, i + 40, dtype=np.uint32).tobytes() for i in range(30)]
    df = pl.DataFrame({"node": np.arange(30, dtype=np.int64), "shingles": sets})
    write_partitioned(df, np.arange(30) % 2, 2, tmp_path / "sh", "w")
    meta = pq.read_metadata(tmp_path / "sh" / "r=0" / "w.parquet")
    assert [meta.row_group(0).column(c).compression for c in range(2)] == ["ZSTD", "UNCOMPRESSED"]
    got = read_partition(tmp_path / "sh", 1, {"node": pl.Int64, "shingles": pl.Binary})
    assert got["shingles"].to_list() == sets[1::2]
