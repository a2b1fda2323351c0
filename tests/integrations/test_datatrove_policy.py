"""``CuratePolicyFilter`` in a real datatrove pipeline decides exactly as ``curate run`` does on
the same files (the demo recipe's annotators and policy), and curate's dedup runs on the output
datatrove wrote (``pipelines/dedup_only.toml``, the commands of docs/datatrove.md)."""

from __future__ import annotations

import gzip
import json
import random
import tomllib
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter, ParquetWriter

from curate.config import parse_pipeline
from curate.engine.runner import LocalRunner
from curate.errors import ConfigError
from curate.integrations.datatrove import CurateAnnotate, CuratePolicyFilter
from curate.pipeline import run_pipeline
from curate.policy import PolicyConfig
from tests.support.license_synth import render

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "pipelines" / "demo.toml"
LICENSE = render("MIT", random.Random(3), keep_optional=1.0)  # the SPDX template's full text


def _code(seed: int, lines: int = 30) -> str:
    return "".join(
        f"def handler_{seed}_{i}(request, retries={i}):\n"
        f"    value = request.get('field_{i}', {seed * i}) + retries\n"
        f"    return value * {i + seed}\n\n"
        for i in range(lines)
    )


def _files() -> dict[tuple[str, str], str]:
    """(repo, path) -> text: kept files, and one file per drop rule the test expects."""
    return {
        ("o/mit", "LICENSE"): LICENSE,
        ("o/mit", "pkg/ok.py"): _code(1),
        ("o/mit", "pkg/long.py"): "x = '" + "a" * 1500 + "'\n" + _code(2),
        ("o/mit", "pkg/gpl.py"): "# SPDX-License-Identifier: GPL-3.0-only\n" + _code(3),
        ("o/none", "util.py"): _code(4),
        ("o/none", "ops.py"): "".join(f"{'+-*/=<>!&|^~%' * 5}{i}\n" for i in range(60)),
        # An exact and a near copy of util.py in other repositories: the policy keeps them,
        # curate's dedup on datatrove's output drops them.
        ("o/fork", "util.py"): _code(4),
        ("o/vendor", "third/util.py"): _code(4).replace("retries=3", "retries=33"),
    }


def _write_input(tmp_path: Path) -> Path:
    docs = [
        Document(text=text, id=f"doc{i}", metadata={"repo": repo, "path": path})
        for i, ((repo, path), text) in enumerate(_files().items())
    ]
    src = tmp_path / "in"
    LocalPipelineExecutor(
        [docs, JsonlWriter(str(src))], tasks=1, workers=1, logging_dir=str(tmp_path / "log0")
    ).run()
    return src


def _recipe() -> dict[str, Any]:
    """The demo recipe without the whole-run steps datatrove does not have (dedup, mixture,
    card) and without decontam (slow to set up; its rule is optional on both sides)."""
    data = tomllib.loads(DEMO.read_text())
    data["annotators"].pop("decontam")
    for section in ("dedup", "mixture", "card"):
        data.pop(section)
    return data


def _annotator_specs(data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, dict(opts)) for name, opts in data["annotators"].items()]


def _curate_decisions(tmp_path: Path, src: Path) -> dict[tuple[str, str], str | None]:
    """(repo, path) -> drop_rule (None: kept) from ``curate run`` on the same JSONL."""
    data = _recipe()
    data["run"] = {"input": [str(src)], "output": str(tmp_path / "run"), "runner": "local"}
    data["ingest"]["column_mapping"] = "datatrove"
    run_pipeline(parse_pipeline(data), LocalRunner())
    run = tmp_path / "run"
    docs = pl.read_parquet(run / "documents" / "*.parquet", columns=["doc_uid", "repo", "path"])
    dec = pl.read_parquet(run / "decisions" / "default" / "*.parquet")
    rows = docs.join(dec, on="doc_uid").select("repo", "path", "drop_rule").iter_rows()
    return {(repo, path): rule for repo, path, rule in rows}


def _jsonl(folder: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for f in sorted(folder.glob("*.jsonl.gz"))
        for line in gzip.decompress(f.read_bytes()).decode().splitlines()
    ]


def _datatrove(tmp_path: Path, src: Path) -> tuple[Path, Path, dict[str, Any]]:
    annotate = CurateAnnotate(_annotator_specs(_recipe()))
    out, dropped, logs = tmp_path / "dt_out", tmp_path / "dt_dropped", tmp_path / "log1"
    reader_meta = [pa.field("repo", pa.string()), pa.field("path", pa.string())]
    LocalPipelineExecutor(
        [
            JsonlReader(str(src)),
            annotate,
            CuratePolicyFilter(DEMO, exclusion_writer=JsonlWriter(str(dropped))),
            ParquetWriter(str(out), schema=annotate.writer_schema(reader_meta)),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(logs),
    ).run()
    stats = json.loads((logs / "stats.json").read_text())
    return out, dropped, stats


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory) -> dict[str, Any]:
    tmp_path = tmp_path_factory.mktemp("dt_policy")
    src = _write_input(tmp_path)
    out, dropped, stats = _datatrove(tmp_path, src)
    return {
        "tmp": tmp_path,
        "curate": _curate_decisions(tmp_path, src),
        "out": out,
        "dropped": dropped,
        "stats": stats,
    }


def test_policy_filter_decides_as_curate_run(pipelines) -> None:
    curate = pipelines["curate"]
    assert set(curate) == set(_files())
    kept_table = pq.read_table(sorted(pipelines["out"].glob("*.parquet"))).flatten()
    repos, paths = kept_table["metadata.repo"].to_pylist(), kept_table["metadata.path"].to_pylist()
    kept = set(zip(repos, paths, strict=True))
    dropped = {
        (r["metadata"]["repo"], r["metadata"]["path"]): r["metadata"]
        for r in _jsonl(pipelines["dropped"])
    }
    assert kept == {k for k, rule in curate.items() if rule is None}
    assert {k: m["drop_rule"] for k, m in dropped.items()} == {
        k: rule for k, rule in curate.items() if rule is not None
    }
    # The files made to fail a rule fail that rule, on both sides; the others are kept.
    assert curate[("o/mit", "pkg/long.py")] == "max_line_length"
    assert curate[("o/mit", "pkg/gpl.py")] == "license"
    assert curate[("o/none", "ops.py")] == "alnum_fraction"
    for key in [("o/mit", "pkg/ok.py"), ("o/none", "util.py"), ("o/fork", "util.py")]:
        assert key in kept
    gpl = dropped[("o/mit", "pkg/gpl.py")]
    assert gpl["filter_reason"] == "license"
    assert (
        gpl["drop_reason"]
        == "license:strong_copyleft(GPL-3.0-only from pkg/gpl.py SPDX-License-Identifier)"
    )


def test_policy_filter_counts_drops_per_rule(pipelines) -> None:
    step = next(s for s in pipelines["stats"] if s["name"].endswith("curate policy"))["stats"]
    curate = pipelines["curate"]
    rules = [r for r in curate.values() if r is not None]
    assert step["dropped"] == len(rules) and step["forwarded"] == len(curate) - len(rules)
    for rule in set(rules):
        assert step[f"dropped_{rule}"] == rules.count(rule)


def test_dedup_only_recipe_on_datatrove_output(pipelines, tmp_path: Path) -> None:
    """docs/datatrove.md: ``curate run pipelines/dedup_only.toml --input <datatrove output>``."""
    from typer.testing import CliRunner

    from curate.cli import _load_commands, app

    _load_commands()
    run = tmp_path / "dedup_run"
    res = CliRunner().invoke(
        app,
        ["run", str(ROOT / "pipelines" / "dedup_only.toml"), "--input", str(pipelines["out"]),
         "--output", str(run), "--runner", "local", "--quiet"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = (ROOT / "docs" / "datatrove.md").read_text()  # the documented command is this one
    assert "curate run pipelines/dedup_only.toml --input data/out --output runs/dedup" in doc
    mixture = pl.read_parquet(run / "mixtures" / "default" / "*.parquet")
    got = sorted(zip(mixture["repo"], mixture["path"], strict=True))
    kept = sorted(k for k, rule in pipelines["curate"].items() if rule is None)
    # One of the three util.py copies survives (exact copy and near copy dropped), all else kept.
    copies = {("o/none", "util.py"), ("o/fork", "util.py"), ("o/vendor", "third/util.py")}
    assert copies <= set(kept)
    assert len([k for k in got if k in copies]) == 1
    assert [k for k in got if k not in copies] == [k for k in kept if k not in copies]
    dec = pl.read_parquet(run / "decisions" / "default" / "*.parquet")
    assert sorted(r for r in dec["drop_rule"].to_list() if r) == ["exact_dup", "near_dup"]
    # The texts are datatrove's, unchanged.
    text = dict(
        zip(zip(mixture["repo"], mixture["path"], strict=True), mixture["content"], strict=True)
    )
    assert text[("o/mit", "pkg/ok.py")] == _files()[("o/mit", "pkg/ok.py")]


def test_a_rule_over_a_column_no_document_has(tmp_path: Path) -> None:
    docs = [Document(text="x = 1\n", id="a", metadata={"path": "a.py", "stars": 3})]
    strict = CuratePolicyFilter(
        PolicyConfig(defaults=False, rules=[{"name": "r", "expr": "max_line_length <= 10"}])
    )
    with pytest.raises(ConfigError, match="max_line_length"):
        strict.filter_batch(docs)
    optional = CuratePolicyFilter(
        {
            "defaults": False,
            "rules": [{"name": "r", "expr": "max_line_length <= 10", "optional": True}],
        }
    )
    assert optional.filter_batch(docs) == [True]


def test_metadata_values_are_typed_as_curate_columns() -> None:
    """A column curate knows gets its type (a bad value is null, counted); other metadata keys
    the rules read are inferred, and documents columns (path, size_bytes) come from the doc."""
    f = CuratePolicyFilter(
        {
            "defaults": False,
            "rules": [
                {"name": "short", "expr": "max_line_length <= 10", "on_null": "fail"},
                {"name": "popular", "expr": "stars >= 5"},
                {"name": "small", "expr": "size_bytes < 100"},
                {"name": "py", "expr": "extension == '.py'"},
            ],
        }
    )
    docs = [
        Document(text="x = 1\n", id="ok", metadata={"path": "a.py", "max_line_length": 5, "stars": 9}),
        Document(text="x = 1\n", id="bad", metadata={"path": "b.py", "max_line_length": "five", "stars": 9}),
        Document(text="x = 1\n", id="few", metadata={"path": "c.py", "max_line_length": 5, "stars": 1}),
        Document(text="x" * 200, id="big", metadata={"path": "d.py", "max_line_length": 5, "stars": 9}),
        Document(text="x = 1\n", id="js", metadata={"path": "e.js", "max_line_length": 5, "stars": 9}),
    ]  # fmt: skip
    frame = f.policy_frame(docs)
    assert frame.schema.field("max_line_length").type == pa.int64()
    assert frame["max_line_length"].to_pylist() == [5, None, 5, 5, 5]
    assert f.filter_batch(docs) == [
        True,
        (False, "short"),  # "five" is no integer: null, and the rule fails on null
        (False, "popular"),
        (False, "small"),
        (False, "py"),
    ]
    assert docs[2].metadata["drop_reason"] == "popular" and "drop_rule" not in docs[0].metadata
    assert f.stats["invalid_metadata_max_line_length"].total == 2  # counted on both calls


def test_documents_columns_come_from_the_document_then_the_metadata() -> None:
    """``language`` as ``documents_batch`` maps it (``lang`` or detected from the path), even
    when only some documents have a ``language`` key; ``repo_stars``, which a Document does not
    give, from the metadata."""
    f = CuratePolicyFilter(
        {
            "defaults": False,
            "rules": [
                {"name": "python", "expr": "language == 'Python'"},
                {"name": "stars", "expr": "fill_null(repo_stars, 0) >= 10"},
            ],
        }
    )
    docs = [
        Document(text="x = 1\n", id="a", metadata={"path": "a.py", "language": "Python", "repo_stars": 50}),
        Document(text="x = 1\n", id="b", metadata={"path": "b.py", "lang": "Python", "repo_stars": 12}),
        Document(text="x = 1\n", id="c", metadata={"path": "c.py", "repo_stars": 20}),
        Document(text="x = 1\n", id="d", metadata={"path": "d.py", "repo_stars": 3}),
        Document(text="x = 1\n", id="e", metadata={"path": "e.js", "repo_stars": 30}),
    ]  # fmt: skip
    assert f.policy_frame(docs)["language"].to_pylist() == ["Python"] * 4 + ["JavaScript"]
    assert f.filter_batch(docs) == [True, True, True, (False, "stars"), (False, "python")]
