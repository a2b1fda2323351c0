"""docs/notebook.ipynb runs from any folder (here an empty tmp folder, not the checkout), on a
given run (``CURATE_RUN``) or on the demo run it builds itself, shows plots, and leaves nothing
behind: no file in the working folder, no temporary folder, the given run untouched."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from curate.mix import MixtureConfig, run_mix
from tests.support.run_synth import document, write_run

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"


def _run(tmp_path: Path) -> Path:
    rng = random.Random(11)
    docs, quality, decisions = [], [], []
    for i in range(60):
        width = rng.choice([40, 80, 400, 2000])
        d = document(f"o/r{i % 4}", f"src/f{i}.py", ("x" * width + "\n") * 5, "Python")
        docs.append(d)
        quality.append(
            {"doc_uid": d["doc_uid"], "max_line_length": width, "alnum_fraction": rng.random()}
        )
        rules = {
            "max_line_length": width <= 1000,
            "alnum_fraction": quality[-1]["alnum_fraction"] >= 0.2,
        }
        failed = next((k for k, v in rules.items() if not v), None)
        decisions.append({"doc_uid": d["doc_uid"], "keep": failed is None,
                          "drop_reason": failed and f"quality:{failed}",
                          **{f"rule_{k}": v for k, v in rules.items()}})  # fmt: skip
    run = write_run(
        tmp_path / "run", docs, attributes={"quality@1": quality}, decisions={"default": decisions},
        skipped=[{"source_uri": "s://x", "reason": "vendored", "files": 12, "size_bytes": 999}],
    )  # fmt: skip
    run_mix(run, MixtureConfig(allow_unredacted=True))  # the notebook reads no secrets
    return run.root


def _execute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], Path, Path]:
    """Execute the notebook with an empty working folder and its own TMPDIR; returns the code
    cells' outputs, the working folder and the TMPDIR (both must be empty afterwards)."""
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])], cwd, tmp


def _text(outputs: list[Any]) -> str:
    return "\n".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )


def _pngs(outputs: list[Any]) -> int:
    return sum("image/png" in o.get("data", {}) for o in outputs)


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def test_notebook_is_stored_without_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert NOTEBOOK.stat().st_size < 40_000


def test_notebook_on_a_given_run(tmp_path, monkeypatch) -> None:
    run = _run(tmp_path)
    before = _files(run)
    monkeypatch.setenv("CURATE_RUN", str(run))
    outputs, cwd, tmp = _execute(tmp_path, monkeypatch)
    assert not [o for o in outputs if o.output_type == "error"]
    text = _text(outputs)
    now, new = (
        int(x)
        for x in re.search(r"kept now: (\d+)   kept with the new threshold: (\d+)", text).groups()
    )
    assert new < now  # the tightened threshold drops more
    assert "max_line_length" in text and "alnum_fraction" in text  # funnel and samples per rule
    assert "requested_share" in text
    assert _pngs(outputs) == 4  # per language, drop reasons, histogram, mixture shares
    assert "removed" not in text  # a given run is never deleted
    assert _files(run) == before  # ... nor changed
    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == []


def test_notebook_builds_and_removes_its_own_demo_run(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("CURATE_RUN", raising=False)
    outputs, cwd, tmp = _execute(tmp_path, monkeypatch)
    assert not [o for o in outputs if o.output_type == "error"], _text(outputs)
    text = _text(outputs)
    printed = re.search(rf"^{re.escape(str(tmp))}/curate-notebook-[^/\n]+/demo$", text, re.M)
    assert printed, text  # the run was built under TMPDIR, not in the working folder
    built = Path(printed.group(0))
    assert f"removed {built.parent}" in text
    assert not built.parent.exists()
    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == []
    assert _pngs(outputs) == 4
    # The demo run's own facts: several languages, license and dedup drops besides quality.
    for rule in ("license", "near_dup", "max_line_length"):
        assert rule in text
