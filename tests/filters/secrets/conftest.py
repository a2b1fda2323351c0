"""Fixtures for the secrets/PII tests: one scanner per session (detect-secrets setup is the
costly part) and a small generated corpus with planted secrets and decoys."""

from __future__ import annotations

import random

import pytest

from curate.filters.secrets.pii import PiiScanner
from curate.filters.secrets.scanner import SecretScanner
from tests.support import secrets_synth as synth


@pytest.fixture(scope="session")
def scanner() -> SecretScanner:
    return SecretScanner()


@pytest.fixture(scope="session")
def pii_scanner() -> PiiScanner:
    return PiiScanner()


_HOST_PY = '''"""A small module."""
import os


def load(path):
    with open(path) as fh:
        return fh.read()


class Cache:
    def __init__(self, size=128):
        self.size = size
        self.items = {}

    def get(self, key, default=None):
        return self.items.get(key, default)
'''


@pytest.fixture(scope="session")
def planted_corpus() -> list[tuple[str, str, list[synth.Label]]]:
    """(path, text, labels): generated hosts of every format with secrets, PII and decoys."""
    rng = random.Random(1234)
    docs = []
    for fmt in synth.FORMATS:
        for rep in range(3):
            host = _HOST_PY if fmt == "py" else synth.generated_config(fmt, rng)
            snippets = [synth.secret_snippet(k, fmt, rng) for k in synth.SECRET_KINDS]
            snippets += [synth.pii_snippet(k, fmt, rng) for k in synth.PII_KINDS]
            snippets += [
                synth.decoy_snippet(c, fmt, rng)
                for c in synth.DECOY_CLASSES
                if c not in ("lock_file", "test_fixture", "doc_example")
            ]
            text, labels = synth.plant(host, snippets, rng)
            docs.append(
                (f"repo{rep}/src/app.{fmt}" if fmt != "env" else f"repo{rep}/.env", text, labels)
            )
    return docs
