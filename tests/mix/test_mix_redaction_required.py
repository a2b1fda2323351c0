"""A redacting mixture needs span annotations covering every kept document, and writes
``repo``/``path`` with their metadata spans replaced (docs/mixing.md, "Redaction is required")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from curate.errors import UserError
from curate.mix import MixtureConfig, run_mix
from curate.mix.config import RepoConfig
from curate.mix.layout import read_manifest
from curate.schema import SPANS
from tests.support.run_synth import document, write_run

TOKEN = "ghp_" + "Qj8VMtbYo9Mqb5jZMQObDDMOTsoYtxqAYfwF"
KEY = "AKIAX44S0O2A0QPOASTV"
SHARDS = ("aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb")


def _docs(n: int = 12) -> list[dict]:
    return [
        document(f"org/r{i % 3}", f"src/f{i}.py", f"x_{i} = {i}\n", "Python", SHARDS[i % 2])
        for i in range(n)
    ]


def _mixture(run) -> pl.DataFrame:
    return pl.read_parquet(sorted(run.mixture("default").glob("part-*.parquet")))


def test_complete_annotations_write_and_say_complete(tmp_path: Path, scanned_run) -> None:
    run = scanned_run(tmp_path / "run", _docs())
    manifest = run_mix(run, MixtureConfig())
    assert manifest["redaction"]["status"] == "complete" and manifest["totals"]["rows"] == 12
    assert manifest["inputs"]["metadata_span_columns"] == ["secret_metadata_spans"]


def test_a_shard_without_secrets_output_is_refused(tmp_path: Path, scanned_run) -> None:
    docs = _docs()
    run = scanned_run(tmp_path / "run", docs)
    (run.attributes("secrets@1") / f"{SHARDS[1]}.parquet").unlink()
    with pytest.raises(
        UserError, match=r"secrets@1 has no spans for 6 of 12 kept documents \(1 shard\)"
    ):
        run_mix(run, MixtureConfig())
    assert not run.mixture("default").exists()


def test_documents_the_policy_drops_need_no_spans(tmp_path: Path, scanned_run) -> None:
    """Only kept documents must be covered: a missing row for a dropped one is not a gap,
    the same missing row for a kept one is."""
    docs = _docs()
    gone = docs[0]["doc_uid"]
    for keep_it, name in ((False, "dropped"), (True, "kept")):
        decisions = [{"doc_uid": d["doc_uid"], "keep": keep_it or d["doc_uid"] != gone,
                      "drop_reason": None} for d in docs]  # fmt: skip
        run = scanned_run(tmp_path / name, docs, decisions={"default": decisions})
        shard = run.attributes("secrets@1") / f"{docs[0]['shard_id']}.parquet"
        table = pq.read_table(shard)
        pq.write_table(table.filter(pc.field("doc_uid") != gone), shard)
        if keep_it:
            with pytest.raises(UserError, match=r"no spans for 1 of 12 kept documents \(1 shard\)"):
                run_mix(run, MixtureConfig())
        else:
            assert run_mix(run, MixtureConfig())["totals"]["rows"] == 11


def test_pii_must_cover_when_present_and_when_required(tmp_path: Path, scanned_run) -> None:
    docs = _docs()
    pii = [{"doc_uid": d["doc_uid"], "pii_spans": []} for d in docs[:-1]]  # one document missing
    run = scanned_run(tmp_path / "run", docs, attributes={"pii@1": pii})
    with pytest.raises(UserError, match=r"pii@1 has no spans for 1 of 12"):
        run_mix(run, MixtureConfig())

    absent = scanned_run(tmp_path / "absent", docs)
    assert run_mix(absent, MixtureConfig())["redaction"]["status"] == "complete"
    with pytest.raises(UserError, match=r"no pii annotations"):
        run_mix(absent, MixtureConfig(required_spans=("secrets", "pii")))


def test_secrets_without_metadata_scan_is_refused(tmp_path: Path) -> None:
    docs = _docs()
    old = [{"doc_uid": d["doc_uid"], "secret_spans": []} for d in docs]  # before metadata spans
    run = write_run(tmp_path / "run", docs, attributes={"secrets@1": old})
    with pytest.raises(UserError, match="repo/path values were not scanned"):
        run_mix(run, MixtureConfig())


def test_override_writes_and_the_manifest_says_unredacted(tmp_path: Path) -> None:
    docs = _docs()
    docs[0]["content"] = f'KEY = "{KEY}"\n'
    run = write_run(tmp_path / "run", docs)
    with pytest.raises(UserError, match="--allow-unredacted"):
        run_mix(run, MixtureConfig())
    red = run_mix(run, MixtureConfig(allow_unredacted=True))["redaction"]
    assert (red["status"], red["unredacted"], red["allow_unredacted"]) == ("unredacted", True, True)
    assert red["problems"] == ["no secrets annotations (attributes/secrets@*/ with span columns)"]
    assert _mixture(run)["content"].str.contains(KEY).any()
    off = run_mix(run, MixtureConfig(name="raw", redact=False))["redaction"]
    assert (off["status"], off["unredacted"], off["problems"]) == ("disabled", True, [])


def _meta_span(field: str, value: str, secret: str, kind: str) -> dict:
    start = value.index(secret)
    return {"field": field, "start": start, "end": start + len(secret), "kind": kind,
            "detector": "t", "value_hash": None}  # fmt: skip


def _flagged_run(tmp_path: Path, scanned_run):
    docs = [
        document(f"acme/{TOKEN}", "src/app.py", "import util\n\nA = 1\n", "Python"),
        document(f"acme/{TOKEN}", f"keys/{KEY}.py", "B = 2\n", "Python"),
        document("org/clean", "src/util.py", "C = 3\n", "Python"),
    ]
    meta = {
        docs[0]["doc_uid"]: [_meta_span("repo", docs[0]["repo"], TOKEN, "github_token")],
        docs[1]["doc_uid"]: [
            _meta_span("repo", docs[1]["repo"], TOKEN, "github_token"),
            _meta_span("path", docs[1]["path"], KEY, "aws_access_key_id"),
        ],
    }
    return scanned_run(tmp_path / "run", docs, metadata_spans=meta), docs


def test_flagged_repo_and_path_values_are_written_redacted(tmp_path: Path, scanned_run) -> None:
    run, docs = _flagged_run(tmp_path, scanned_run)
    manifest = run_mix(run, MixtureConfig())
    out = _mixture(run).sort("doc_uid")
    by_uid = {r["doc_uid"]: r for r in out.iter_rows(named=True)}
    assert by_uid[docs[0]["doc_uid"]]["repo"] == "acme/<KEY>"
    assert by_uid[docs[0]["doc_uid"]]["path"] == "src/app.py"  # no path span: unchanged
    assert (by_uid[docs[1]["doc_uid"]]["repo"], by_uid[docs[1]["doc_uid"]]["path"]) == (
        "acme/<KEY>",
        "keys/<KEY>.py",
    )
    assert (by_uid[docs[2]["doc_uid"]]["repo"], by_uid[docs[2]["doc_uid"]]["path"]) == (
        "org/clean",
        "src/util.py",
    )
    assert manifest["redaction"]["metadata_rows"] == 2
    assert manifest["redaction"]["rows"] == 0  # content had no spans
    assert not any(TOKEN in v or KEY in v for v in out["repo"].to_list() + out["path"].to_list())


def test_repository_samples_use_redacted_names_in_headers(tmp_path: Path, scanned_run) -> None:
    run, _ = _flagged_run(tmp_path, scanned_run)
    run_mix(run, MixtureConfig(repo=RepoConfig(enabled=True, order="path")))
    out = _mixture(run).sort("repo")
    acme = out.row(0, named=True)
    assert acme["repo"] == "acme/<KEY>" and acme["doc_uid"].startswith("repo:acme/<KEY>~")
    assert acme["content"].startswith("<repo_name>acme/<KEY>\n")
    assert "<file_sep>keys/<KEY>.py\n" in acme["content"]
    assert "<file_sep>src/app.py\n" in acme["content"]
    assert out.row(1, named=True)["doc_uid"] == "repo:org/clean"
    assert all(TOKEN not in t and KEY not in t for t in out["content"].to_list())


def test_cli_refuses_then_writes_with_the_flag(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", _docs())
    cmd = [sys.executable, "-c", "from curate.cli import main; main()", "mix", str(run.root)]
    refused = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    errors = [line for line in refused.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "--allow-unredacted" in errors[0]
    assert not run.mixture("default").exists()

    done = subprocess.run(
        [*cmd, "--allow-unredacted", "--json"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["redaction"] == "unredacted"
    assert "warning: mixture default is not fully redacted" in done.stderr
    manifest = read_manifest(run, "default")
    assert manifest["redaction"]["status"] == "unredacted"


def test_span_type_with_field_is_not_applied_to_content() -> None:
    from curate.filters.secrets.annotators import METADATA_SPANS
    from curate.mix.coverage import is_metadata_span_type

    assert is_metadata_span_type(METADATA_SPANS)
    assert not is_metadata_span_type(SPANS)
    assert not is_metadata_span_type(pa.list_(pa.string()))
