"""A mixture folder read as it is, by each reader library a user is likely to point at it.

Every reader below takes the folder (or a glob in it) with no file list: it fails or reads a
wrong row count if anything but the Parquet parts lies in ``mixtures/<name>/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from curate.errors import UserError
from curate.mix import MixtureConfig, run_mix
from curate.mix.layout import legacy_manifest_path, manifest_path, mixture_names, read_manifest
from curate.rundir import RunDir


@pytest.fixture
def mixture(mixed_run) -> tuple[RunDir, Path, dict[str, Any]]:
    run, _, _ = mixed_run
    manifest = run_mix(run, MixtureConfig(columns=("license_category",), target_file_bytes=8192))
    assert len(manifest["files"]) > 1 and manifest["totals"]["rows"] > 0  # several parts
    return run, run.mixture("default"), manifest


def _uids(mixture_dir: Path) -> list[str]:
    return sorted(pl.read_parquet(sorted(mixture_dir.glob("part-*.parquet")))["doc_uid"])


def test_folder_holds_parts_only_and_manifest_sits_beside_it(mixture) -> None:
    run, out, manifest = mixture
    assert {p.name for p in out.iterdir()} == {f["path"] for f in manifest["files"]}
    assert manifest_path(run, "default") == out.parent / "default.manifest.json"
    assert read_manifest(run, "default") == json.loads(json.dumps(manifest, default=str))
    assert mixture_names(run) == ["default"]


def test_pyarrow_dataset_reads_the_folder(mixture) -> None:
    import pyarrow.dataset as ds

    _, out, manifest = mixture
    table = ds.dataset(str(out), format="parquet").to_table()
    assert table.num_rows == manifest["totals"]["rows"]
    assert sorted(table.column("doc_uid").to_pylist()) == _uids(out)


def test_polars_scans_the_folder_and_a_glob(mixture) -> None:
    _, out, manifest = mixture
    rows = manifest["totals"]["rows"]
    assert pl.scan_parquet(out).select(pl.len()).collect().item() == rows
    assert pl.scan_parquet(f"{out}/*.parquet").select(pl.len()).collect().item() == rows
    assert sorted(pl.read_parquet(out)["doc_uid"]) == _uids(out)


def test_duckdb_reads_a_glob_of_the_folder(mixture) -> None:
    import duckdb

    _, out, manifest = mixture
    con = duckdb.connect()
    n, langs = con.execute(
        f"select count(*), count(distinct language) from read_parquet('{out}/*.parquet')"
    ).fetchone()
    assert n == manifest["totals"]["rows"] and langs >= 1
    # the folder's every file, not only *.parquet: the manifest would break this glob
    assert con.execute(f"select count(*) from read_parquet('{out}/*')").fetchone()[0] == n


def test_datasets_loads_the_folder_as_data_dir(mixture, hf_offline) -> None:
    import datasets

    _, out, manifest = mixture
    ds = datasets.load_dataset(
        "parquet", data_dir=str(out), split="train", cache_dir=str(hf_offline)
    )
    assert ds.num_rows == manifest["totals"]["rows"]
    assert sorted(ds["doc_uid"]) == _uids(out)


def test_datatrove_parquet_reader_reads_the_folder(mixture) -> None:
    from datatrove.pipeline.readers import ParquetReader

    _, out, manifest = mixture
    reader = ParquetReader(str(out), text_key="content", id_key="doc_uid")
    docs = list(reader.run())
    assert len(docs) == manifest["totals"]["rows"]
    assert sorted(d.id for d in docs) == _uids(out)
    assert all(isinstance(d.text, str) for d in docs)


def test_run_in_the_previous_layout_is_still_read(mixture) -> None:
    """Runs written before the move kept ``manifest.json`` among the parts: still readable,
    and the next mix of that mixture moves it out of the folder."""
    run, out, manifest = mixture
    legacy = legacy_manifest_path(run, "default")
    assert legacy.parent == out
    manifest_path(run, "default").replace(legacy)
    assert mixture_names(run) == ["default"]
    assert read_manifest(run, "default")["totals"] == manifest["totals"]
    run_mix(run, MixtureConfig(columns=("license_category",), target_file_bytes=8192))
    assert not legacy.exists() and manifest_path(run, "default").is_file()


def test_missing_or_broken_manifest_is_one_clear_error(mixture) -> None:
    run, _, _ = mixture
    with pytest.raises(UserError, match=r"no mixture 'other' \(mixtures: default;"):
        read_manifest(run, "other")
    manifest_path(run, "default").write_text("{not json")
    with pytest.raises(UserError, match="unreadable mixture manifest"):
        read_manifest(run, "default")
