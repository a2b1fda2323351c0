"""Completion markers: written last, after a step's outputs were put into place.

``_markers/<step>/<unit>.json`` holds the fingerprints of the parts that produced the outputs,
the unit's counters and its result (``curate.engine.step``). A rerun skips a (step, unit) whose
fingerprints match and redoes everything else.

On a run directory on an object store (``RunDir.url``) the marker object is the commit point
there too: per-shard outputs are PUT as they are put into place, and before the marker of a
whole-run unit (``all``) is written, the store is brought in line with the mirror
(``curate.objstore.Mirror.flush``: outputs renamed into place or removed by the step). Reading
the marker of a whole-run unit first downloads what other nodes stored (``objstore.refresh``),
so a barrier step sees every shard's output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from curate import objstore
from curate.rundir import RunDir, write_json_atomic

WHOLE_RUN_UNIT = "all"
"""The unit of a whole-run step (``curate.engine.step.ALL``)."""


def marker_path(run: RunDir, step: str, unit: str) -> Path:
    return run.markers / step.replace("/", "__") / f"{unit}.json"


def read_marker(run: RunDir, step: str, unit: str) -> dict[str, Any] | None:
    if run.url is not None and unit == WHOLE_RUN_UNIT:
        objstore.refresh(str(run.root))
    try:
        data = json.loads(marker_path(run, step, unit).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(run: RunDir, step: str, unit: str, record: dict[str, Any]) -> None:
    if run.url is not None and unit == WHOLE_RUN_UNIT:
        objstore.flush(str(run.root))
    write_json_atomic(record, marker_path(run, step, unit))
