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


def test_one_prefilter_pass_picks_every_value_with_a_finding(scanner) -> None:
    """``_candidate_values`` (one pre-filter pass over all values, one a line) keeps every
    value whose own scan finds something, also values with newlines, non-ASCII text and
    letters Python folds onto ASCII, and drops plain names."""
    import random

    from curate.filters.secrets.annotators import _candidate_values
    from tests.support import secrets_synth as synth

    from .test_secrets_prefilter import _lines

    rng = random.Random(21)
    values = [v for v in _lines() if v.strip()][:600]
    values += [synth.secret_snippet(k, "py", rng).text for k in synth.SECRET_KINDS]  # multi-line
    values += [f"acme/{TOKEN}", f"keys/{KEY}.txt", "ſecret_token = 'q8Zr-Xb3mT1vW0pL'"]
    values += [f"org/app{i}" for i in range(300)] + [f"src/pkg/mod{i}.py" for i in range(300)]
    rng.shuffle(values)
    values = list(dict.fromkeys(values))
    picked = set(_candidate_values(scanner, values))
    with_findings = {v for v in values if scanner.scan(v).findings}
    assert len(with_findings) > 100
    assert with_findings <= picked
    assert not picked & {f"org/app{i}" for i in range(300)}
    assert _candidate_values(scanner, []) == []
