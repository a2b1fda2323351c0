"""Hostile input at ingest: a bad record, row group or member costs only itself, memory stays
bounded by the per-record cap, odd names keep their files, and empty inputs leave a row."""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
import tarfile
import tracemalloc
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.ingest import SKIP_REASONS, IngestConfig, RawFile, SkipRecord
from curate.ingest.fsio import bounded_lines
from curate.ingest.readers.export import jsonl_line_cap
from tests.ingest.helpers import add_tar_member, by_path, read_all


def rows_jsonl(n: int) -> list[bytes]:
    return [json.dumps({"path": f"m{i}.py", "content": f"x = {i}\n"}).encode() for i in range(n)]


def reasons(skips: list[SkipRecord]) -> list[str]:
    return sorted(s.reason for s in skips)


def test_every_reason_used_here_is_in_the_vocabulary():
    for reason in ("empty_source", "malformed_record", "missing_column", "corrupt_archive"):
        assert reason in SKIP_REASONS


# -- JSONL: one bad line costs one row ----------------------------------------------------------


def test_deeply_nested_jsonl_line_costs_only_itself(tmp_path):
    lines = rows_jsonl(101)
    lines.insert(50, b"[" * 100_000 + b"]" * 100_000)  # RecursionError in json.loads
    (tmp_path / "deep.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    files, skips = read_all([tmp_path / "deep.jsonl"])
    assert len(files) == 101
    assert [(s.reason, s.detail, s.files) for s in skips] == [
        ("malformed_record", "line 51: nested too deeply to parse", 1)
    ]


def test_malformed_lines_missing_columns_and_wrong_types(tmp_path):
    good = rows_jsonl(4)
    bad = [
        b"{not json",  # line 2
        b'"a string"',  # line 3
        json.dumps({"path": "nocontent.py"}).encode(),  # line 4
        json.dumps({"path": "int.py", "content": 7}).encode(),  # line 5
        json.dumps({"path": ["a", "b"], "content": "x"}).encode(),  # line 6
        b"   ",  # line 7: blank, not a record
        b"\xff\xfe{}",  # line 8: not UTF-8
    ]
    lines = [good[0], *bad, *good[1:]]
    (tmp_path / "mixed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    files, skips = read_all([tmp_path / "mixed.jsonl"])
    assert sorted(f.path for f in files) == ["m0.py", "m1.py", "m2.py", "m3.py"]
    got = {s.detail.split(":", 1)[0]: (s.reason, s.path) for s in skips}
    assert got == {
        "line 2": ("malformed_record", None),
        "line 3": ("malformed_record", None),
        "line 4": ("missing_column", "nocontent.py"),
        "line 5": ("malformed_record", "int.py"),
        "line 6": ("malformed_record", None),
        "line 8": ("malformed_record", None),
    }
    assert "path is list" in next(s.detail for s in skips if s.detail.startswith("line 6"))


def test_integer_ids_are_paths_but_other_types_are_not(tmp_path):
    from curate.ingest import ColumnMapping

    rows = [{"id": 17, "text": "a = 1\n"}, {"id": {"x": 1}, "text": "b = 2\n"}]
    (tmp_path / "ids.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cfg = IngestConfig(column_mapping=ColumnMapping(content="text", path=None, id="id"))
    files, skips = read_all([tmp_path / "ids.jsonl"], cfg)
    assert [f.path for f in files] == ["17"]
    assert [(s.reason, s.detail) for s in skips] == [("malformed_record", "line 2: id is dict")]


def test_gzip_line_over_the_cap_is_skipped_while_streaming(tmp_path):
    cfg = IngestConfig(max_file_bytes=1024)
    cap = jsonl_line_cap(cfg)
    huge = b'{"path": "big.py", "content": "' + b" " * (40 << 20) + b'"}'
    with gzip.open(tmp_path / "bomb.jsonl.gz", "wb", compresslevel=1) as f:
        f.write(rows_jsonl(1)[0] + b"\n" + huge + b"\n" + rows_jsonl(2)[1] + b"\n")
    assert (tmp_path / "bomb.jsonl.gz").stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        files, skips = read_all([tmp_path / "bomb.jsonl.gz"], cfg)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sorted(f.path for f in files) == ["m0.py", "m1.py"]
    assert [(s.reason, s.size_bytes) for s in skips] == [("too_large", len(huge) + 1)]
    assert skips[0].detail.startswith("line 2: ")
    assert peak < 8 << 20  # the 40 MiB line was never held (cap here is ~70 KiB)
    assert cap < 8 << 20


@pytest.mark.parametrize("cap", [1, 5, 9, 10, 11, 100])
def test_bounded_lines_splits_exactly_like_readline(cap):
    data = b"a\n" + b"b" * 9 + b"\n" + b"\n" + b"c" * 30 + b"\nlast"
    got = list(bounded_lines(io.BytesIO(data), cap, chunk=4))
    expected = io.BytesIO(data).readlines()
    assert [n for _, n in got] == [len(x) for x in expected]
    assert [line for line, _ in got] == [x if len(x) <= cap else None for x in expected]


def test_split_plain_jsonl_with_long_lines_reads_every_line_once(tmp_path):
    lines = rows_jsonl(30)
    for i in (3, 11, 12, 25):  # lines longer than a part and than the line cap
        lines[i] = b'{"path": "long%d.py", "content": "%s"}' % (i, b"y" * 5000)
    (tmp_path / "split.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    cfg = IngestConfig(export_part_bytes=700, max_file_bytes=100)  # line cap ~64 KiB + 600
    files, skips = read_all([tmp_path / "split.jsonl"], cfg)
    assert len(files) + len(skips) == 30
    assert {s.path for s in skips} == {f"long{i}.py" for i in (3, 11, 12, 25)}
    assert {s.reason for s in skips} == {"too_large"}
    assert len({f.path for f in files}) == 26


def test_truncated_gzip_jsonl_keeps_the_lines_before_the_break(tmp_path):
    data = gzip.compress(b"\n".join(rows_jsonl(2000)) + b"\n")
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    files, skips = read_all([tmp_path / "cut.jsonl.gz"])
    assert 100 < len(files) < 2000
    assert [s.reason for s in skips] == ["corrupt_archive"]
    assert skips[0].detail.startswith(f"after line {len(files) + 1}") or skips[0].detail.startswith(
        f"after line {len(files)}"
    )


# -- Parquet: one bad row group costs only itself -----------------------------------------------


def _corrupt_page(path, group: int, column: str) -> None:
    meta = pq.ParquetFile(path).metadata.row_group(group)
    col = next(
        meta.column(c) for c in range(meta.num_columns) if meta.column(c).path_in_schema == column
    )
    data = bytearray(path.read_bytes())
    data[col.data_page_offset : col.data_page_offset + 64] = b"\xff" * 64  # the page header
    path.write_bytes(bytes(data))


def test_corrupt_parquet_page_costs_only_its_row_group(tmp_path):
    rows = [{"path": f"f{i}.py", "content": f"x = {i}\n", "repo": "r"} for i in range(1000)]
    path = tmp_path / "pages.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=100)
    _corrupt_page(path, 3, "content")
    files, skips = read_all([path])
    assert len(files) == 900
    assert not {f"f{i}.py" for i in range(300, 400)} & {f.path for f in files}
    assert [(s.reason, s.files) for s in skips] == [("corrupt_archive", 100)]
    assert skips[0].detail.startswith("row group 3, after row 0 of 100")


def test_parquet_wrong_types_and_nulls_are_per_row(tmp_path):
    table = pa.table(
        {
            "path": ["a.py", None, "c.py", "d.py"],
            "content": [b"a = 1\n", b"b = 2\n", None, b"\xff\xfe\x00"],
        }
    )
    path = tmp_path / "rows.parquet"
    pq.write_table(table, path)
    files, skips = read_all([path])
    assert [f.path for f in files] == ["a.py"]
    assert sorted((s.reason, str(s.path)) for s in skips) == [
        ("missing_column", "None"),
        ("missing_column", "c.py"),
        ("undecodable", "d.py"),
    ]


def test_not_parquet_is_one_corrupt_row(tmp_path):
    (tmp_path / "fake.parquet").write_bytes(b"PAR1 this is not parquet at all PAR1")
    files, skips = read_all([tmp_path / "fake.parquet"])
    assert files == [] and [s.reason for s in skips] == ["corrupt_archive"]


# -- empty inputs leave a row -------------------------------------------------------------------


def _empty_tar(path, mode: str) -> None:
    with tarfile.open(path, mode):
        pass


def test_empty_archives_and_exports_leave_one_empty_source_row(tmp_path):
    _empty_tar(tmp_path / "e.tar", "w")
    _empty_tar(tmp_path / "e.tar.gz", "w:gz")
    with zipfile.ZipFile(tmp_path / "e.zip", "w"):
        pass
    with zipfile.ZipFile(tmp_path / "dirs.zip", "w") as zf:
        zf.writestr("only/dirs/", b"")
    with tarfile.open(tmp_path / "dirs.tar", "w") as tf:
        add_tar_member(tf, "d", type=tarfile.DIRTYPE)
    (tmp_path / "e.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n  \n\n")
    pq.write_table(pa.table({"path": pa.array([], pa.string()), "content": pa.array([], pa.string())}), tmp_path / "e.parquet")  # fmt: skip
    names = ["e.tar", "e.tar.gz", "e.zip", "dirs.zip", "dirs.tar", "e.jsonl", "blank.jsonl", "e.parquet"]  # fmt: skip
    for name in names:
        files, skips = read_all([tmp_path / name])
        assert files == []
        assert [(s.reason, s.files, s.path) for s in skips] == [("empty_source", 0, None)], name


def test_nonempty_sources_get_no_empty_source_row(tmp_path):
    with tarfile.open(tmp_path / "one.tar", "w") as tf:
        add_tar_member(tf, "a.py", b"a = 1\n")
    with zipfile.ZipFile(tmp_path / "skipped.zip", "w") as zf:
        zf.writestr("yarn.lock", b"x")  # a skip is a row too: the source is not empty
    (tmp_path / "one.jsonl").write_bytes(rows_jsonl(1)[0])
    files, skips = read_all([tmp_path / n for n in ("one.tar", "skipped.zip", "one.jsonl")])
    assert len(files) == 2
    assert [s.reason for s in skips] == ["lock_file"]


# -- names --------------------------------------------------------------------------------------


def test_non_utf8_and_newline_names_stay_documents(tmp_path):
    with tarfile.open(tmp_path / "names.tar", "w", format=tarfile.GNU_FORMAT) as tf:
        add_tar_member(tf, "\udcffstart.py", b"a = 1\n")  # first byte 0xff on disk
        add_tar_member(tf, "dir/mid\udce9dle.py", b"b = 2\n")
        add_tar_member(tf, "new\nline.py", b"c = 3\n")
        add_tar_member(tf, "/etc/passwd", b"root")
        add_tar_member(tf, "../up.py", b"d = 4\n")
        add_tar_member(tf, "\\windows.py", b"e = 5\n")
    files, skips = read_all([tmp_path / "names.tar"])
    assert sorted(f.path for f in files) == ["\\xffstart.py", "dir/mid\\xe9dle.py", "new\nline.py"]
    assert sorted((s.reason, s.detail) for s in skips) == [
        ("path_traversal", "'..' component"),
        ("path_traversal", "absolute path"),
        ("path_traversal", "absolute path"),
    ]
    pa.array([f.path for f in files], pa.string())  # valid UTF-8 for Arrow


@pytest.mark.skipif(os.name != "posix", reason="bytes file names")
def test_non_utf8_directory_file_name_is_a_document(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "ok.py").write_bytes(b"a = 1\n")
    with open(os.path.join(os.fsencode(root), b"\xffodd.py"), "wb") as f:
        f.write(b"b = 2\n")
    files, skips = read_all([root])
    assert sorted(f.path for f in files) == ["\\xffodd.py", "ok.py"]
    assert skips == []


# -- archives whose headers lie -----------------------------------------------------------------


def _patch_zip_sizes(data: bytes, name: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size of `name` in the central directory and local header."""
    out = bytearray(data)
    pos = 0
    while (pos := out.find(b"PK\x01\x02", pos)) >= 0:
        n = struct.unpack_from("<H", out, pos + 28)[0]
        if bytes(out[pos + 46 : pos + 46 + n]) == name:
            struct.pack_into("<I", out, pos + 24, size)
            local = struct.unpack_from("<I", out, pos + 42)[0]
            struct.pack_into("<I", out, local + 22, size)
        pos += 4
    return bytes(out)


def test_zip_member_bigger_than_its_header_says_is_not_read_past_the_cap(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ok.py", b"a = 1\n")
        zf.writestr("liar.py", b"x" * (5 << 20))  # says 100 bytes below
        zf.writestr("huge.py", b"y" * 10)  # says 2 GiB below
    data = _patch_zip_sizes(buf.getvalue(), b"liar.py", 100)
    data = _patch_zip_sizes(data, b"huge.py", 2 << 30)
    (tmp_path / "lies.zip").write_bytes(data)
    files, skips = read_all([tmp_path / "lies.zip"], IngestConfig(max_file_bytes=4096))
    assert [f.path for f in files] == ["ok.py"]
    got = {s.path: s.reason for s in skips}
    assert got == {"liar.py": "corrupt_archive", "huge.py": "too_large"}


def test_tar_member_claiming_more_than_the_archive_holds(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        add_tar_member(tf, "a.py", b"a = 1\n")
        add_tar_member(tf, "b.py", b"b" * 2000)
    data = bytearray(buf.getvalue())
    second = 1024  # header of b.py: a.py takes one header and one data block
    data[second + 124 : second + 136] = b"%011o\x00" % 900_000  # size field claims 900 kB
    chk = sum(data[second : second + 148]) + 8 * 32 + sum(data[second + 156 : second + 512])
    data[second + 148 : second + 156] = b"%06o\x00 " % chk
    (tmp_path / "liar.tar.gz").write_bytes(gzip.compress(bytes(data[: second + 512 + 2048])))
    files, skips = read_all([tmp_path / "liar.tar.gz"])
    assert [f.path for f in files] == ["a.py"]
    # the member being read when it broke (1 file), then the source's tail (0 files: unknown)
    assert [(s.reason, s.path, s.files) for s in skips] == [
        ("corrupt_archive", "b.py", 1),
        ("corrupt_archive", None, 0),
    ]


def test_nested_bomb_is_a_binary_member_never_expanded(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.txt", b"\x00" * (20 << 20))
    with tarfile.open(tmp_path / "outer.tar.gz", "w:gz") as tf:
        add_tar_member(tf, "inner.zip", inner.getvalue())
        add_tar_member(tf, "z.gz", gzip.compress(b"0" * (10 << 20)))
        add_tar_member(tf, "main.py", b"print(1)\n")
    files, skips = read_all([tmp_path / "outer.tar.gz"])
    assert [f.path for f in files] == ["main.py"]
    assert by_path(skips)["inner.zip"].reason == "binary"
    assert isinstance(files[0], RawFile)


def test_an_empty_repository_folder_leaves_a_row(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An empty sub-folder of a collection is a source with no files: one empty_source row."""
    from curate.ingest import IngestConfig, discover_sources, read_source

    (tmp_path / "col" / "empty").mkdir(parents=True)
    (tmp_path / "col" / "full").mkdir()
    (tmp_path / "col" / "full" / "a.py").write_text("x = 1\n")
    specs, _ = discover_sources([str(tmp_path / "col")], IngestConfig())
    rows = {s.repo: list(read_source(s, IngestConfig())) for s in specs}
    assert [r.reason for r in rows["empty"]] == ["empty_source"]
    assert [type(r).__name__ for r in rows["full"]] == ["RawFile"]
