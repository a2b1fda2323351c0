from __future__ import annotations

import gzip
import itertools
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from curate.ingest import (
    ColumnMapping,
    IngestConfig,
    RawFile,
    discover_sources,
    git_blob_sha,
    read_source,
)
from tests.ingest.helpers import by_path, read_all


def stack_rows(n: int = 5) -> list[dict]:
    rows = [
        {
            "hexsha": git_blob_sha(f"x = {i}\n".encode()),
            "content": f"x = {i}\n",
            "max_stars_repo_path": f"pkg/m{i}.py",
            "max_stars_repo_name": f"org/repo{i % 2}",
            "max_stars_repo_head_hexsha": "f" * 40,
            "max_stars_repo_licenses": ["MIT"],
            "max_stars_count": i,
            "lang": "Python",
            "size": 6,
        }
        for i in range(n)
    ]
    rows.append({**rows[0], "max_stars_repo_path": "node_modules/x/i.js", "content": "1"})
    rows.append({**rows[0], "max_stars_repo_path": "nulls.bin", "content": "a\x00b"})
    return rows


def write_jsonl(path, rows, compress=None):
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    if compress == "gz":
        data = gzip.compress(data)
    elif compress == "zst":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)


@pytest.mark.parametrize(
    "suffix,compress", [(".jsonl", None), (".jsonl.gz", "gz"), (".jsonl.zst", "zst")]
)
def test_the_stack_jsonl(tmp_path, suffix, compress):
    path = tmp_path / f"stack{suffix}"
    write_jsonl(path, stack_rows(), compress)
    files, skips = read_all([path])  # column_mapping="auto" picks the-stack
    assert len(files) == 5
    f = by_path(files)["pkg/m3.py"]
    assert (f.repo, f.ref, f.text) == ("org/repo1", "f" * 40, "x = 3\n")
    assert f.content_sha == git_blob_sha(b"x = 3\n") == f.extra["hexsha"]
    assert f.extra["licenses"] == ["MIT"] and f.extra["stars"] == 3
    assert {(s.path, s.reason) for s in skips} == {
        ("node_modules", "vendored"),
        ("nulls.bin", "binary"),
    }


def test_bigquery_parquet_with_binary_flag(tmp_path):
    rows = {
        "repo_name": ["a/b", "a/b", "c/d"],
        "ref": ["refs/heads/master"] * 3,
        "path": ["x.c", "y.dat", "z.h"],
        "id": ["1" * 40, "2" * 40, "3" * 40],
        "content": ["int x;\n", "....", None],
        "binary": [False, True, False],
        "copies": [1, 2, 3],
    }
    path = tmp_path / "bq.parquet"
    pq.write_table(pa.table(rows), path)
    files, skips = read_all([path], IngestConfig(column_mapping="bigquery"))
    assert [(f.repo, f.path, f.ref, f.extra["copies"]) for f in files] == [
        ("a/b", "x.c", "refs/heads/master", 1)
    ]
    assert [(s.path, s.reason) for s in skips] == [("y.dat", "binary"), ("z.h", "missing_column")]


def test_datatrove_nested_metadata(tmp_path):
    rows = [
        {
            "text": "fn main() {}\n",
            "id": "doc-1",
            "metadata": {"path": "src/main.rs", "repo": "r/s"},
        },
        {"text": "# readme\n", "id": "doc-2", "metadata": {}},
    ]
    path = tmp_path / "dt.jsonl.gz"
    write_jsonl(path, rows, "gz")
    files, skips = read_all([path])
    assert [(f.repo, f.path) for f in files] == [("r/s", "src/main.rs"), ("dt", "doc-2")]
    assert skips == []


def test_explicit_mapping_and_bad_rows(tmp_path):
    path = tmp_path / "custom.jsonl"
    path.write_text(
        json.dumps({"code": "a\n", "file": "a.py", "project": "p"}) + "\n"
        + "{not json\n"
        + json.dumps([1, 2]) + "\n"
        + json.dumps({"file": "b.py", "project": "p"}) + "\n"
        + "\n"
    )  # fmt: skip
    cfg = IngestConfig(column_mapping=ColumnMapping(content="code", path="file", repo="project"))
    files, skips = read_all([path], cfg)
    assert [(f.repo, f.path) for f in files] == [("p", "a.py")]
    assert [(s.path, s.reason) for s in skips] == [
        (None, "malformed_record"),
        (None, "malformed_record"),
        ("b.py", "missing_column"),
    ]


def test_oversized_line_is_skipped_unparsed(tmp_path):
    path = tmp_path / "big.jsonl"
    huge = json.dumps({"content": "\\" * 200_000, "path": "huge.txt", "repo": "r"})
    path.write_text(
        huge + "\n" + json.dumps({"content": "ok", "path": "ok.txt", "repo": "r"}) + "\n"
    )
    files, skips = read_all([path], IngestConfig(max_file_bytes=1000))
    assert [f.path for f in files] == ["ok.txt"]
    assert [(s.reason, s.size_bytes) for s in skips] == [("too_large", len(huge) + 1)]


def test_mapping_from_a_recipe_table():
    cfg = IngestConfig.model_validate({"column_mapping": {"content": "code", "path": "file"}})
    assert cfg.column_mapping == ColumnMapping(content="code", path="file")
    assert (
        IngestConfig(column_mapping="the-stack").resolve_mapping([]).path == "max_stars_repo_path"
    )


def test_unknown_preset_is_rejected():
    with pytest.raises(ValueError, match="unknown column_mapping preset"):
        IngestConfig(column_mapping="nope")


def test_parquet_without_content_column_is_one_skip(tmp_path):
    path = tmp_path / "meta.parquet"
    pq.write_table(pa.table({"path": ["a", "b"], "stars": [1, 2]}), path)
    files, skips = read_all([path])
    assert files == [] and [(s.reason, s.files) for s in skips] == [("missing_column", 2)]


def _rows_of_parts(path, cfg):
    specs, _ = discover_sources([str(path)], cfg)
    items = [i for s in specs for i in read_source(s, cfg)]
    return specs, [i.path for i in items if isinstance(i, RawFile)]


def test_big_plain_jsonl_splits_into_byte_parts(tmp_path):
    rows = [{"content": f"v{i}" * (i % 7 + 1), "path": f"f{i}.py", "repo": "r"} for i in range(300)]
    path = tmp_path / "big.jsonl"
    write_jsonl(path, rows)
    cfg = IngestConfig(export_part_bytes=1000)
    specs, paths = _rows_of_parts(path, cfg)
    assert len(specs) > 5 and all(s.part is not None for s in specs)
    assert sum(s.size_bytes for s in specs) == path.stat().st_size
    assert paths == [r["path"] for r in rows]  # every line exactly once, in order


def test_big_parquet_splits_by_row_groups(tmp_path):
    n = 2000
    table = pa.table(
        {"content": [f"x = {i}\n" * 20 for i in range(n)], "path": [f"{i}.py" for i in range(n)]}
    )
    path = tmp_path / "big.parquet"
    pq.write_table(table, path, row_group_size=100)
    cfg = IngestConfig(export_part_bytes=4000)
    specs, paths = _rows_of_parts(path, cfg)
    assert len(specs) > 2 and specs[0].part[0] == 0 and specs[-1].part[1] == 20
    assert all(a.part[1] == b.part[0] for a, b in itertools.pairwise(specs))
    assert paths == table.column("path").to_pylist()
