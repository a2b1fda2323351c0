"""Completion markers: written last, after a step's outputs were renamed into place.

``_markers/<step>/<unit>.json`` holds the fingerprints of the parts that produced the outputs,
the unit's counters and its result (``curate.engine.step``). A rerun skips a (step, unit) whose
fingerprints match and redoes everything else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curate.rundir import RunDir, write_json_atomic


def marker_path(run: RunDir, step: str, unit: str) -> Path:
    return run.markers / step.replace("/", "__") / f"{unit}.json"


def read_marker(run: RunDir, step: str, unit: str) -> dict[str, Any] | None:
    try:
        data = json.loads(marker_path(run, step, unit).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(run: RunDir, step: str, unit: str, record: dict[str, Any]) -> None:
    write_json_atomic(record, marker_path(run, step, unit))
