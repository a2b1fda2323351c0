"""Index exports without content (The Stack v2 shape): contents come from the blob store."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.config import parse_pipeline
from curate.errors import ConfigError
from curate.ingest import IngestConfig
from curate.ingest.records import SKIP_REASONS
from tests.ingest.helpers import read_all


def _index(path: Path) -> Path:
    table = pa.table(
        {
            "repo": ["o/r", "o/r", "o/s"],
            "path": ["a.py", "gone.py", "b.py"],
            "blob_id": ["aa11", "dead", "bb22"],
            "detected_licenses": [["MIT"], ["MIT"], ["Apache-2.0"]],
        }
    )
    pq.write_table(table, path)
    return path


def _blob_store(s3_server, name: str) -> dict:
    bucket = s3_server.make_bucket(name)
    fs = s3_server.filesystem()
    fs.pipe(f"{bucket}/content/aa11", gzip.compress(b"a = 1\n"))
    fs.pipe(f"{bucket}/content/bb22", gzip.compress(b"b = 2\n"))  # `dead` is never uploaded
    fs.pipe(f"{bucket}/content/cc33", b"\x1f\x8bnot gzip")  # corrupt object
    return {
        "blob_url": f"{bucket}/content/{{blob_id}}",
        "storage_options": s3_server.storage_options,
        "concurrency": 2,
        "retries": 0,
    }


def test_reasons_are_in_the_vocabulary() -> None:
    assert {"blob_missing", "blob_fetch_failed"} <= set(SKIP_REASONS)


def test_index_without_blob_url_is_one_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ingest\.export\.blob\.blob_url"):
        read_all([_index(tmp_path / "index.parquet")])


def test_export_with_content_ignores_the_blob_store(tmp_path: Path) -> None:
    """A content column wins: no blob store is needed or read, blob_id is plain metadata."""
    table = pa.table({"content": ["x\n"], "path": ["x.py"], "repo": ["o/r"], "blob_id": ["zz"]})
    pq.write_table(table, tmp_path / "c.parquet")
    files, skips = read_all([tmp_path / "c.parquet"])
    assert not skips and files[0].text == "x\n"


def test_jsonl_index_fetches_per_line(s3_server, tmp_path: Path) -> None:
    store = _blob_store(s3_server, "jsonl-blobs")
    src = tmp_path / "index.jsonl"
    src.write_text('{"repo": "o/r", "path": "a.py", "blob_id": "aa11"}\n'
                   '{"repo": "o/r", "path": "gone.py", "blob_id": "dead"}\n'
                   '{"repo": "o/r", "path": "bad.py", "blob_id": "cc33"}\n'
                   '{"repo": "o/r", "path": "none.py", "blob_id": null}\n')  # fmt: skip
    cfg = IngestConfig.model_validate({"export": {"blob": store}})
    files, skips = read_all([src], cfg)
    assert [(f.path, f.text) for f in files] == [("a.py", "a = 1\n")]
    assert [(s.path, s.reason) for s in skips] == [
        ("gone.py", "blob_missing"),
        ("bad.py", "blob_fetch_failed"),
        ("none.py", "missing_column"),  # no blob id: still a recorded skip
    ]


def test_curate_ingest_reads_index_from_s3_blob_store(s3_server, tmp_path: Path) -> None:
    from curate.pipeline import ingest_only

    store = _blob_store(s3_server, "stack-v2")
    (tmp_path / "in").mkdir()
    src = _index(tmp_path / "in" / "index.parquet")
    cfg = parse_pipeline({"ingest": {"export": {"blob": store}}}).with_run(
        input=(str(src),), output=str(tmp_path / "run"), runner="local"
    )
    ingest_only(cfg)
    run = tmp_path / "run"
    docs = pq.read_table(list(run.rglob("documents/*.parquet"))).to_pylist()
    got = {(d["repo"], d["path"]): (d["content"], d["source_licenses"]) for d in docs}
    assert got == {
        ("o/r", "a.py"): ("a = 1\n", ["MIT"]),
        ("o/s", "b.py"): ("b = 2\n", ["Apache-2.0"]),
    }
    skipped = [
        s
        for f in run.rglob("*.parquet")
        if "skip" in str(f.relative_to(run))
        for s in pq.read_table(f).to_pylist()
    ]
    assert [(s["path"], s["reason"]) for s in skipped] == [("gone.py", "blob_missing")]
    assert "content/dead" in skipped[0]["detail"]


def test_curate_ingest_without_blob_url_exits_2_before_writing_documents(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "in").mkdir()
    index = _index(tmp_path / "in" / "index.parquet")
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "curate.cli", "ingest", str(index.parent), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "ingest.export.blob.blob_url" in proc.stderr
    assert not list((out / "documents").glob("*.parquet"))
