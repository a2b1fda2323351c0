"""secrets@1 scans ``repo`` and ``path`` values with the content scanner: ``secret_metadata_spans``."""

from __future__ import annotations

import pyarrow as pa

from curate.engine.annotator import BatchContext
from curate.filters.secrets import SecretsAnnotator
from curate.filters.secrets.annotators import METADATA_SPANS
from curate.filters.secrets.findings import value_hash

TOKEN = "ghp_" + "Qj8VMtbYo9Mqb5jZMQObDDMOTsoYtxqAYfwF"
KEY = "AKIAX44S0O2A0QPOASTV"


def _annotate(rows: list[tuple[str | None, str | None, str]]) -> list[list[dict]]:
    batch = pa.RecordBatch.from_pydict(
        {
            "doc_uid": [f"d{i}" for i in range(len(rows))],
            "repo": pa.array([r for r, _, _ in rows], pa.string()),
            "path": pa.array([p for _, p, _ in rows], pa.string()),
            "content": pa.array([c for _, _, c in rows], pa.large_string()),
        }
    )
    ann = SecretsAnnotator()
    ann.setup()
    out = ann.annotate(batch, BatchContext(batch, None))
    assert out.schema.field("secret_metadata_spans").type == METADATA_SPANS
    return out.column("secret_metadata_spans").to_pylist()


def test_tokens_in_repo_and_path_values_are_found_with_offsets() -> None:
    repo, path = f"acme/{TOKEN}", f"keys/{KEY}.txt"
    spans = _annotate([(repo, path, "x = 1\n"), (repo, "src/ok.py", "y = 2\n")])
    got = {(s["field"], s["kind"]) for s in spans[0]}
    assert got == {("repo", "github_token"), ("path", "aws_access_key_id")}
    for s in spans[0]:
        value = repo if s["field"] == "repo" else path
        assert value[s["start"] : s["end"]] in (TOKEN, KEY)
        assert s["value_hash"] == value_hash(value[s["start"] : s["end"]])
    assert [s["field"] for s in spans[1]] == ["repo"]  # the same repo value, scanned once


def test_ordinary_names_and_missing_values_give_empty_lists() -> None:
    spans = _annotate(
        [
            ("org/app", "src/main.py", "x\n"),
            ("AKIA-docs/handbook", "docs/aws_secret_access_key.md", "y\n"),
            (None, None, "z\n"),
            ("", "", f'KEY = "{KEY}"\n'),  # a secret in content is not a metadata finding
        ]
    )
    assert spans == [[], [], [], []]


def test_oversize_documents_still_get_their_metadata_scanned() -> None:
    batch_text = "a" * 64
    batch = pa.RecordBatch.from_pydict(
        {
            "doc_uid": ["d0"],
            "repo": [f"acme/{TOKEN}"],
            "path": ["big.txt"],
            "content": pa.array([batch_text], pa.large_string()),
        }
    )
    from curate.engine.annotate import annotate_batch
    from curate.filters.secrets import SecretsConfig

    (out,) = annotate_batch([SecretsAnnotator(SecretsConfig(max_doc_bytes=16))], batch)
    out = out.to_pydict()
    assert out["secret_scan_status"] == ["too_large"] and out["secret_spans"] == [None]
    assert [s["field"] for s in out["secret_metadata_spans"][0]] == ["repo"]
