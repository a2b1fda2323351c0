"""Completion markers: written last, after a step's outputs were renamed into place.

A marker holds the fingerprint of the config that produced the outputs; a rerun skips a
(step, shard) whose marker matches and redoes everything else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curate.rundir import RunDir, write_json_atomic


def marker_path(run: RunDir, step: str, unit: str) -> Path:
    return run.markers / step.replace("/", "__") / f"{unit}.json"


def is_done(run: RunDir, step: str, unit: str, fingerprint: str) -> bool:
    path = marker_path(run, step, unit)
    try:
        return json.loads(path.read_text())["fingerprint"] == fingerprint
    except (OSError, ValueError, KeyError):
        return False


def mark_done(
    run: RunDir, step: str, unit: str, fingerprint: str, info: dict[str, Any] | None = None
) -> None:
    write_json_atomic({"fingerprint": fingerprint, **(info or {})}, marker_path(run, step, unit))


def read_marker(run: RunDir, step: str, unit: str) -> dict[str, Any] | None:
    try:
        return json.loads(marker_path(run, step, unit).read_text())
    except (OSError, ValueError):
        return None
