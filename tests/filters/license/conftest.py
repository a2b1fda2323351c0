"""Fixtures for the license tests: license texts rendered from the installed reference templates
(never copied into the repository) and a tiny repository builder."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable

import pyarrow as pa
import pytest

from curate.schema import DOCUMENTS
from tests.support.license_synth import header_file, render


@pytest.fixture(scope="session")
def license_text() -> Callable[..., str]:
    """``license_text("MIT", seed=1)``: a concrete text of an SPDX license with a copyright
    line, as a project would ship it."""

    def make(spdx: str, seed: int = 0, holder: str = "Jane Q. Hacker") -> str:
        rng = random.Random(seed)
        return f"Copyright (c) 2024 {holder}\n\n{render(spdx, rng, keep_optional=0.0)}\n"

    return make


@pytest.fixture(scope="session")
def header_source() -> Callable[..., str]:
    def make(spdx: str, language: str = "c", seed: int = 0) -> str:
        return header_file(spdx, random.Random(seed), language)

    return make


def make_documents(rows: list[tuple]) -> pa.RecordBatch:
    """A documents batch (``curate.schema.DOCUMENTS``) of (repo, path, language, content) or
    (repo, path, language, content, source_licenses); other columns are null."""
    data: dict[str, list] = {f.name: [] for f in DOCUMENTS}
    for repo, path, language, content, *licenses in rows:
        data["source_licenses"].append(licenses[0] if licenses else None)
        data["repo_stars"].append(None)
        data["doc_uid"].append(hashlib.sha1(f"{repo}/{path}".encode()).hexdigest())
        data["content_sha"].append(hashlib.sha1(content.encode()).hexdigest())
        data["repo"].append(repo)
        data["ref"].append(None)
        data["path"].append(path)
        data["language"].append(language)
        data["content"].append(content)
        data["size_bytes"].append(len(content.encode()))
        data["encoding"].append("utf-8")
        data["source_uri"].append(f"file:///data/{repo}")
        data["shard_id"].append("s0")
    return pa.RecordBatch.from_pydict(data, schema=DOCUMENTS)


@pytest.fixture(scope="session")
def documents() -> Callable[[list[tuple[str, str, str | None, str]]], pa.RecordBatch]:
    return make_documents
