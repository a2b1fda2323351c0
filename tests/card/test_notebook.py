from __future__ import annotations

import random
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from curate.mix import MixtureConfig, run_mix
from tests.support.run_synth import document, write_run

ROOT = Path(__file__).resolve().parents[2]


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


def test_notebook_executes_against_a_run(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CURATE_RUN", str(_run(tmp_path)))
    nb = nbformat.read(ROOT / "docs" / "notebook.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    assert "kept now:" in text and "kept with the new threshold:" in text
    now, new = (
        int(x)
        for x in re.search(r"kept now: (\d+)   kept with the new threshold: (\d+)", text).groups()
    )
    assert new < now  # the tightened threshold drops more
    assert "max_line_length" in text and "alnum_fraction" in text  # funnel and samples per rule
    assert "requested_share" in text
