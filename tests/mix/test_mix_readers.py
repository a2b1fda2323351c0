"""Mixture output read back by Hugging Face ``datasets``, and the zero-copy content path of the
writer (row selection and redaction in at most one copy) checked on multi-chunk input."""

from __future__ import annotations

import polars as pl
import pyarrow.parquet as pq
import pytest

from curate.mix import MixtureConfig, output_schema, run_mix
from curate.mix.redact import apply_redactions
from curate.rundir import RunDir
from tests.support.run_synth import document


def test_datasets_load_dataset_reads_the_mixture_offline(mixed_run, hf_offline) -> None:
    import datasets

    run, docs, _ = mixed_run
    manifest = run_mix(run, MixtureConfig(columns=("license_category",), target_file_bytes=8192))
    out = run.mixture("default")
    assert len(manifest["files"]) > 1  # a glob over several parts
    ds = datasets.load_dataset(
        "parquet",
        data_files=str(out / "part-*.parquet"),
        split="train",
        cache_dir=str(hf_offline),
    )
    assert ds.num_rows == manifest["totals"]["rows"]
    assert ds.column_names == [*output_schema(()).names, "license_category"]
    expected = pl.read_parquet(sorted(out.glob("part-*.parquet")))
    assert sorted(ds["doc_uid"]) == sorted(expected["doc_uid"].to_list())
    row = ds[0]
    by_uid = {d["doc_uid"]: d for d in docs}
    assert row["content"] == by_uid[row["doc_uid"]]["content"] or row["redactions"] > 0
    assert isinstance(row["tokens"], int) and row["epoch"] == 0 and row["n_files"] == 1


def test_dropped_and_redacted_rows_across_input_chunks(tmp_path, scanned_run) -> None:
    """Documents stored in several row groups (the content column arrives in chunks), every 5th
    dropped, spans in rows of different chunks: each written row is its original text or, where
    it had spans, exactly ``apply_redactions`` of it, in input order."""
    docs = [
        document("o/r", f"f{i}.py", f"token_{i} = 'sk-{i:06d}secret'\n" * (1 + i % 4), "Python")
        for i in range(60)
    ]
    spans = {
        d["doc_uid"]: (
            [{"start": 10, "end": 22, "kind": "key", "detector": "t", "value_hash": None}]
            if i % 9 == 1
            else []
        )
        for i, d in enumerate(docs)
    }
    run = scanned_run(
        tmp_path / "run",
        docs,
        secret_spans=spans,
        decisions={"default": [{"doc_uid": d["doc_uid"], "keep": i % 5 != 0, "drop_reason": None}
                               for i, d in enumerate(docs)]},
    )  # fmt: skip
    shard = RunDir.shard_file(run.documents, docs[0]["shard_id"])
    pq.write_table(pq.read_table(shard), shard, row_group_size=7)  # 9 row groups
    assert pq.read_table(shard).column("content").num_chunks > 1

    manifest = run_mix(run, MixtureConfig())
    got = pl.read_parquet(sorted(run.mixture("default").glob("part-*.parquet")))
    kept = [d for i, d in enumerate(docs) if i % 5]
    assert got["doc_uid"].to_list() == [d["doc_uid"] for d in kept]
    for d, text, n in zip(kept, got["content"], got["redactions"], strict=True):
        s = spans[d["doc_uid"]]
        assert n == len(s)
        want = apply_redactions(d["content"], s, style="placeholder") if s else d["content"]
        assert text == want and (not s or text != d["content"])
    assert manifest["redaction"]["rows"] == sum(1 for d in kept if spans[d["doc_uid"]])


@pytest.mark.parametrize("level", [1, 3])
def test_writer_options_content_plain_without_statistics(mixed_run, level) -> None:
    run, _, _ = mixed_run
    run_mix(run, MixtureConfig(compression_level=level))
    part = sorted(run.mixture("default").glob("part-*.parquet"))[0]
    meta = pq.ParquetFile(part).metadata
    names = [meta.row_group(0).column(i).path_in_schema for i in range(meta.num_columns)]
    content = meta.row_group(0).column(names.index("content"))
    assert content.compression == "ZSTD" and content.statistics is None
    assert not any("DICTIONARY" in e for e in content.encodings)
    doc_uid = meta.row_group(0).column(names.index("doc_uid"))
    assert doc_uid.statistics is not None  # small columns keep statistics for readers' pruning
