"""Versioned on-disk cache for expensive per-worker builds (license reference index).

The file name carries a key built from the versions of the data it was built from and of our
code, so an upgrade never reads a stale file. Writes are atomic (temp file + rename); a file
that fails to load is rebuilt and overwritten, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

CODE_VERSION = "1"
"""Bump when the layout of a cached build changes."""

stats = {"hits": 0, "builds": 0}
"""Counters so tests can tell a cache read from a rebuild without timing."""


def cache_dir() -> Path:
    env = os.environ.get("CURATE_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "code-curate"


def _pkg_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "none"


def cache_key(name: str, packages: tuple[str, ...]) -> str:
    parts = [name, CODE_VERSION, *(f"{p}={_pkg_version(p)}" for p in packages)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cached_build(name: str, packages: tuple[str, ...], build: Callable[[], T]) -> T:
    """Load ``name`` from the disk cache, or build it and write it atomically."""
    path = cache_dir() / f"{name}-{cache_key(name, packages)}.pickle"
    try:
        with path.open("rb") as fh:
            value = pickle.load(fh)
        stats["hits"] += 1
        return value
    except FileNotFoundError:
        pass
    except Exception:  # corrupt or truncated: rebuild below and overwrite
        pass
    value = build()
    stats["builds"] += 1
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache dir only costs the rebuild next time
    return value
