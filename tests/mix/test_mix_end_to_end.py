from __future__ import annotations

import json

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from curate.mix import MixtureConfig, output_schema, run_mix
from curate.mix.layout import manifest_path
from tests.support.run_synth import document


def test_mixture_keeps_policy_redacts_and_writes_manifest(mixed_run) -> None:
    run, docs, secret = mixed_run
    manifest = run_mix(run, MixtureConfig(columns=("license_category", "max_line_length", "nope")))
    out = run.mixture("default")
    parts = sorted(out.glob("part-*.parquet"))
    assert parts and sorted(out.iterdir()) == parts  # the parts folder holds parts only
    assert json.loads(manifest_path(run, "default").read_text()) == json.loads(
        json.dumps(manifest, default=str)
    )

    frame = pl.read_parquet(parts)
    kept = {d["doc_uid"] for i, d in enumerate(docs) if i % 7}
    assert set(frame["doc_uid"]) == kept and frame.height == len(kept)  # natural: one epoch
    assert not frame["content"].str.contains(secret).any()
    redacted = frame.filter(pl.col("redactions") > 0)
    assert redacted.height == 1 and redacted["doc_uid"][0] == docs[5]["doc_uid"]
    assert frame.columns[: len(output_schema(()))] == output_schema(()).names
    assert "max_line_length" in frame.columns and "nope" not in frame.columns
    assert set(frame["license"]) == {"MIT", "Apache-2.0"}
    # unchanged files are written byte for byte, with their ingest hash
    by_uid = {d["doc_uid"]: d for d in docs}
    same = frame.filter(pl.col("redactions") == 0)
    assert all(
        by_uid[u]["content"] == c for u, c in zip(same["doc_uid"], same["content"], strict=True)
    )

    assert manifest["totals"]["rows"] == frame.height
    assert manifest["totals"]["tokens"] == int(frame["tokens"].sum())
    assert sum(v["rows"] for v in manifest["per_language"].values()) == frame.height
    assert manifest["per_license_category"]["permissive"]["rows"] == frame.height
    red = manifest["redaction"]
    assert (red["spans"], red["rows"], red["status"], red["problems"]) == (1, 1, "complete", [])
    assert manifest["policy"] == "default" and manifest["inputs"]["kept_documents"] == len(kept)
    assert sum(f["rows"] for f in manifest["files"]) == frame.height
    assert len(manifest["config_fingerprint"]) == 24


def test_output_readable_by_duckdb_pyarrow_and_datatrove(mixed_run) -> None:
    run, _, _ = mixed_run
    run_mix(run, MixtureConfig(target_file_bytes=4096, row_group_bytes=2048))
    out = run.mixture("default")
    parts = sorted(out.glob("part-*.parquet"))
    assert len(parts) > 3  # small targets roll files
    meta = pq.ParquetFile(parts[0]).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    total = (
        pq.read_table(out).num_rows if False else sum(pq.read_metadata(p).num_rows for p in parts)
    )
    con = duckdb.connect()
    n = con.execute(f"select count(*) from read_parquet('{out}/part-*.parquet')").fetchone()[0]
    assert n == total
    from datatrove.pipeline.readers import ParquetReader

    reader = ParquetReader(
        str(out), text_key="content", id_key="doc_uid", glob_pattern="part-*.parquet"
    )
    read = list(reader.run())
    assert len(read) == total and all(d.text and d.id for d in read)
    assert {"repo", "path", "language", "tokens"} <= set(read[0].metadata)


def test_no_decisions_keeps_everything_and_missing_attributes_are_fine(
    tmp_path, scanned_run
) -> None:
    docs = [document("a/b", f"x{i}.py", f"print({i})\n", "Python") for i in range(10)]
    run = scanned_run(tmp_path / "r", docs)
    manifest = run_mix(run, MixtureConfig(name="all"))
    assert manifest["policy"] is None and manifest["totals"]["rows"] == 10
    assert pl.read_parquet(run.mixture("all") / "part-00000.parquet")["license"].null_count() == 10


def test_rerun_replaces_parts_and_is_deterministic(mixed_run) -> None:
    run, _, _ = mixed_run
    cfg = MixtureConfig(strategy="uniform", fim={"rate": 0.5}, target_file_bytes=20_000)
    run_mix(run, cfg)
    first = {p.name: p.read_bytes() for p in run.mixture("default").glob("part-*.parquet")}
    run_mix(run, cfg)
    second = {p.name: p.read_bytes() for p in run.mixture("default").glob("part-*.parquet")}
    assert first == second  # byte-identical parts on a rerun
    frame = pl.read_parquet(list(run.mixture("default").glob("part-*.parquet")))
    assert frame["fim"].is_not_null().any() and frame["fim"].is_null().any()


def test_ray_runner_gives_the_same_mixture(mixed_run, ray_cluster) -> None:
    from curate.engine.runner import LocalRunner, make_runner

    run, _, _ = mixed_run
    cfg = MixtureConfig(strategy="uniform", fim={"rate": 0.5}, repo={"enabled": True})
    local = run_mix(run, cfg, LocalRunner())
    expected = pl.read_parquet(list(run.mixture("default").glob("*.parquet"))).sort(
        "doc_uid", "epoch"
    )
    runner = make_runner("ray", workers=2)
    try:
        remote = run_mix(run, cfg, runner)
    finally:
        runner.close()
    got = pl.read_parquet(list(run.mixture("default").glob("*.parquet"))).sort("doc_uid", "epoch")
    assert got.equals(expected) and remote["shares"] == local["shares"]


def test_everything_dropped_gives_an_empty_mixture(tmp_path, scanned_run) -> None:
    docs = [document("a/b", f"x{i}.py", f"print({i})\n", "Python") for i in range(5)]
    decisions = [{"doc_uid": d["doc_uid"], "keep": False, "drop_reason": "x"} for d in docs]
    run = scanned_run(tmp_path / "r", docs, decisions={"default": decisions})
    for repo in (False, True):
        manifest = run_mix(run, MixtureConfig(repo={"enabled": repo}, strategy="uniform"))
        assert manifest["totals"]["rows"] == 0 and manifest["files"] == []
        assert manifest["inputs"]["kept_documents"] == 0
        assert not list(run.mixture("default").glob("part-*.parquet"))


def test_synthetic_content_sha_is_the_git_blob_id() -> None:
    from tests.support.run_synth import git_blob_sha

    assert git_blob_sha("") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's empty blob


def test_unknown_redaction_style_fails_before_any_work(mixed_run) -> None:
    from curate.errors import ConfigError

    run, _, _ = mixed_run
    with pytest.raises(ConfigError, match="redaction style"):
        run_mix(run, MixtureConfig(redaction_style="shuffle"))
    assert not run.mixture("default").exists()
