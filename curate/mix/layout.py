"""Where a mixture's files live.

``mixtures/<name>/`` holds only the Parquet parts, so any reader can take the folder as it is
(``pyarrow.dataset``, polars, duckdb, ``datasets``, datatrove: none of them skips a JSON file
among the parts). The manifest sits beside the folder as ``mixtures/<name>.manifest.json``.
Runs written before this layout kept it at ``mixtures/<name>/manifest.json``; it is still read
from there, and the next ``curate mix`` of that mixture moves it out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curate.errors import UserError
from curate.rundir import RunDir

SUFFIX = ".manifest.json"


def manifest_path(run: RunDir, name: str) -> Path:
    """Where ``curate mix`` writes the manifest of mixture ``name``."""
    return run.root / "mixtures" / f"{name}{SUFFIX}"


def legacy_manifest_path(run: RunDir, name: str) -> Path:
    """The manifest's place in runs written before the parts folder held parts only."""
    return run.mixture(name) / "manifest.json"


def find_manifest(run: RunDir, name: str) -> Path | None:
    """The manifest file of mixture ``name`` (current layout first, then the legacy one)."""
    for path in (manifest_path(run, name), legacy_manifest_path(run, name)):
        if path.is_file():
            return path
    return None


def mixture_names(run: RunDir) -> list[str]:
    """Names of the mixtures that have a manifest, in either layout."""
    root = run.root / "mixtures"
    if not root.is_dir():
        return []
    names = {p.name[: -len(SUFFIX)] for p in root.glob(f"*{SUFFIX}") if p.is_file()}
    names |= {p.parent.name for p in root.glob("*/manifest.json") if p.is_file()}
    return sorted(names)


def read_manifest(run: RunDir, name: str) -> dict[str, Any]:
    """The manifest of mixture ``name``; ``UserError`` when it has none or it is not JSON."""
    path = find_manifest(run, name)
    if path is None:
        have = ", ".join(mixture_names(run)) or "none"
        raise UserError(
            f"{run.root}: no mixture {name!r} (mixtures: {have}; write one with curate mix)"
        )
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: unreadable mixture manifest ({exc})") from exc
    if not isinstance(value, dict):
        raise UserError(f"{path}: mixture manifest is not a JSON object")
    return value
