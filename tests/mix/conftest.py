"""Fixtures for the mixer tests: small run directories written in the documented schemas."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from curate.mix.synthetic import document, write_run
from curate.rundir import RunDir

SECRET = "AKIAIOSFODNN7EXAMPLE"


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
    secrets = [
        {"doc_uid": d["doc_uid"], "secret_spans": (
            [{"start": start, "end": start + len(SECRET), "kind": "aws_key", "detector": "test", "value_hash": None}]
            if d is secret_doc else [])}
        for d in docs
    ]  # fmt: skip
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
    run = write_run(
        tmp_path / "run", docs,
        attributes={"secrets@1": secrets, "quality@1": quality, "license@1": lic},
        decisions={"default": decisions},
        skipped=[{"source_uri": "synthetic://x", "reason": "binary", "size_bytes": 10}],
    )  # fmt: skip
    return run, docs, SECRET
