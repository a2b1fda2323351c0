"""Fixtures for the mixer tests: small run directories written in the documented schemas."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from curate.filters.secrets.annotators import SECRETS_SCHEMA
from curate.rundir import RunDir
from tests.support.run_synth import document, write_run

SECRET = "AKIAIOSFODNN7EXAMPLE"
SECRETS_KEY = "secrets@1"
SECRETS_ATTR = pa.schema([pa.field("doc_uid", pa.string(), nullable=False), *SECRETS_SCHEMA])
"""The exact schema the secrets annotator writes (content and metadata span columns)."""


def secrets_rows(
    docs: list[dict[str, Any]],
    spans: dict[str, list[dict[str, Any]]] | None = None,
    metadata: dict[str, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """secrets@1 rows for ``docs``: no findings except ``spans`` / ``metadata`` by doc_uid."""
    spans, metadata = spans or {}, metadata or {}
    return [
        {
            "doc_uid": d["doc_uid"],
            "secret_spans": spans.get(d["doc_uid"], []),
            "secret_count": len(spans.get(d["doc_uid"], [])),
            "secret_density": 0.0,
            "secret_scan_status": "ok",
            "secret_metadata_spans": metadata.get(d["doc_uid"], []),
        }
        for d in docs
    ]


def write_scanned_run(
    root: Path,
    docs: list[dict[str, Any]],
    *,
    secret_spans: dict[str, list[dict[str, Any]]] | None = None,
    metadata_spans: dict[str, list[dict[str, Any]]] | None = None,
    **kw: Any,
) -> RunDir:
    """``write_run`` plus a secrets@1 attribute that scanned every document and found only
    ``secret_spans`` / ``metadata_spans`` (by doc_uid), unless ``attributes`` already has one:
    what a mixture needs to be written at all."""
    attributes = dict(kw.pop("attributes", None) or {})
    schemas = dict(kw.pop("schemas", None) or {})
    attributes.setdefault(SECRETS_KEY, secrets_rows(docs, secret_spans, metadata_spans))
    schemas.setdefault(SECRETS_KEY, SECRETS_ATTR)
    return write_run(root, docs, attributes=attributes, schemas=schemas, **kw)


@pytest.fixture
def scanned_run() -> Callable[..., RunDir]:
    return write_scanned_run


def _python_file(rng: random.Random, i: int) -> str:
    body = "\n".join(f"    value_{j} = {rng.randint(0, 10**6)}" for j in range(rng.randint(3, 40)))
    return f"import os\n\n\ndef function_{i}():\n{body}\n    return value_0\n"


def _js_file(rng: random.Random, i: int) -> str:
    return "".join(
        f"const item{i}_{j} = {rng.randint(0, 999)};\n" for j in range(rng.randint(3, 60))
    )


def _go_file(rng: random.Random, i: int) -> str:
    lines = "\n".join(f"\tx{j} := {rng.randint(0, 99)}" for j in range(rng.randint(3, 30)))
    return f"package p{i}\n\nfunc F{i}() {{\n{lines}\n}}\n"


@pytest.fixture
def mixed_run(tmp_path: Path) -> tuple[RunDir, list[dict[str, Any]], str]:
    """Three languages over two shards; decisions drop every 7th file; one secret span; a
    quality attribute with a numeric signal and a license attribute."""
    rng = random.Random(7)
    makers = {
        "Python": (_python_file, ".py"),
        "JavaScript": (_js_file, ".js"),
        "Go": (_go_file, ".go"),
    }
    docs = []
    for i in range(240):
        lang = ["Python", "Python", "JavaScript", "Go"][i % 4]
        make, ext = makers[lang]
        content = make(rng, i)
        if i == 5:
            content = f'KEY = "{SECRET}"\n' + content
        shard = "aaaaaaaaaaaaaaaa" if i % 2 else "bbbbbbbbbbbbbbbb"
        docs.append(document(f"org/repo{i % 12}", f"src/f{i}{ext}", content, lang, shard))
    secret_doc = docs[5]
    start = secret_doc["content"].index(SECRET)
    span = {"start": start, "end": start + len(SECRET), "kind": "aws_key", "detector": "test",
            "value_hash": None}  # fmt: skip
    secrets = secrets_rows(docs, {secret_doc["doc_uid"]: [span]})
    quality = [
        {"doc_uid": d["doc_uid"], "max_line_length": max(map(len, d["content"].splitlines()))}
        for d in docs
    ]
    lic = [{"doc_uid": d["doc_uid"], "license_spdx": "MIT" if i % 3 else "Apache-2.0",
            "license_category": "permissive"} for i, d in enumerate(docs)]  # fmt: skip
    decisions = [
        {"doc_uid": d["doc_uid"], "keep": i % 7 != 0, "drop_reason": None if i % 7 else "too_short",
         "rule_too_short": i % 7 != 0}
        for i, d in enumerate(docs)
    ]  # fmt: skip
    run = write_scanned_run(
        tmp_path / "run", docs,
        attributes={SECRETS_KEY: secrets, "quality@1": quality, "license@1": lic},
        decisions={"default": decisions},
        skipped=[{"source_uri": "synthetic://x", "reason": "binary", "size_bytes": 10}],
    )  # fmt: skip
    return run, docs, SECRET


@pytest.fixture
def hf_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Hugging Face ``datasets``/``huggingface_hub`` forced offline (no network at test time),
    with a private HF_HOME; returns a cache dir for ``load_dataset``. The flags are read at
    import time, and another test may have imported the libraries already, so the modules'
    constants are patched as well as the environment."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    import datasets
    import huggingface_hub.constants

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return tmp_path / "hf-cache"
