"""Stable fingerprints of JSON-able configs: the same payload and code version give the same
hash on every machine and in every process (keys sorted, no per-process seeds)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from curate._version import __version__


def hash_json(payload: Any) -> str:
    """24 hex digits of SHA-256 over ``{"v": code version, "p": payload}`` as sorted JSON."""
    text = json.dumps({"v": __version__, "p": payload}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


VALUE_HASH_CHARS = 16


def value_hash(value: str) -> str:
    """A short, stable fingerprint of a secret's value (sha256, first 16 hex digits).

    Findings never carry the value itself; the hash lets a user tell whether two findings are
    the same secret without ever printing it (also used for redacted names)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:VALUE_HASH_CHARS]
