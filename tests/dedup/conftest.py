"""Fixtures for dedup tests: run directories built from generated documents."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from curate.rundir import RunDir

from .helpers import doc_row, make_function, mutate, write_run


@pytest.fixture
def corpus() -> list[dict]:
    """40 originals, each with an exact copy, a near copy (5% of lines changed) and a distant
    copy (60% changed), spread over repositories; plus 40 unrelated files."""
    rng = random.Random(7)
    rows = []
    for i in range(40):
        base = make_function(rng)
        rows.append(doc_row("", f"org/orig{i}", "src/a.py", base))
        rows.append(doc_row("", f"fork{i}/orig{i}", "src/a.py", base))
        rows.append(doc_row("", f"vendor{i}/x", f"third_party/a{i}.py", mutate(rng, base, 0.05)))
        rows.append(doc_row("", f"far{i}/x", f"b{i}.py", mutate(rng, base, 0.6)))
    for i in range(40):
        rows.append(doc_row("", f"other{i}/x", "c.py", make_function(rng)))
    rows.append(doc_row("", "empty/x", "e.py", "  \n"))
    return rows


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[[Sequence[dict], int, str], RunDir]:
    def _make(rows: Sequence[dict], n_shards: int = 3, name: str = "run") -> RunDir:
        return write_run(tmp_path / name, rows, n_shards)

    return _make
