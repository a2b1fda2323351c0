"""The "Add an annotator" walk-through of docs/architecture.md works as written: its module and
its recipe snippet, run through a real pipeline, give the attribute, the rule and the reason the
page promises."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import polars as pl
import pytest

from curate.config import parse_pipeline
from curate.engine.annotator import REGISTRY
from curate.engine.runner import LocalRunner
from curate.pipeline import run_pipeline

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def _block(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {name} -->\n```\w+\n(.*?)```\n<!-- /{name} -->", text, re.S)
    assert found, f"no {name} block in {DOC}"
    return found.group(1)


@pytest.fixture
def todo_module(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "todo_example.py"
    path.write_text(_block("example-annotator"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("todo_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["todo_example"] = module
    spec.loader.exec_module(module)
    try:
        yield module
    finally:
        REGISTRY.pop("todo", None)
        sys.modules.pop("todo_example", None)


def test_the_documented_annotator_and_rule_work(tmp_path: Path, todo_module) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "in" / "project"
    repo.mkdir(parents=True)
    (repo / "busy.py").write_text("".join(f"x{i} = {i}  # TODO later\n" for i in range(30)))
    (repo / "calm.py").write_text("def f():\n    return 1  # FIXME: one marker\n")
    (repo / "clean.py").write_text("print('TODOS are not markers')\n")
    recipe = tomllib.loads(_block("example-recipe"))
    recipe["run"] = {"input": [str(tmp_path / "in")], "output": str(tmp_path / "run")}
    recipe["policy"] |= {"defaults": False}
    cfg = parse_pipeline(recipe)
    report = run_pipeline(cfg, LocalRunner())
    assert report.shards_annotated == report.shards == 1

    run = tmp_path / "run"
    counts = pl.read_parquet(run / "attributes" / "todo@1" / "*.parquet")
    docs = pl.read_parquet(run / "documents" / "*.parquet").select("doc_uid", "path")
    by_path = dict(counts.join(docs, on="doc_uid").select("path", "todo_count").iter_rows())
    assert by_path == {"busy.py": 30, "calm.py": 1, "clean.py": 0}
    decisions = pl.read_parquet(run / "decisions" / "default" / "*.parquet").join(
        docs, on="doc_uid"
    )
    reasons = dict(decisions.select("path", "drop_reason").iter_rows())
    assert reasons == {"busy.py": "quality:todos(30)", "calm.py": None, "clean.py": None}
    assert "rule_few_todos" in decisions.columns
    # The engine's statistics carry the new annotator's time and counts.
    step = report.step("annotate")
    assert step is not None and step.stats["todo@1"]["documents"] == 3
