"""The card reports export metadata: license evidence by ``license_method`` (with the files that
only the export's ``source_licenses`` licenses, in the body and the front matter), the
repository stars of kept files, and which inputs were exports and what their metadata filled.
Real runs (``run_pipeline``, local runner) over a The Stack v1-shaped Parquet export and a v2-shaped
JSONL export written here, beside a plain repository folder; and a run with no export at all."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from curate.card.evidence import METHODS
from curate.card.front_matter import check
from curate.card.render import human
from curate.config import parse_pipeline
from curate.engine.runner import LocalRunner
from curate.pipeline import run_pipeline
from curate.rundir import RunDir
from tests.support.license_synth import render

CODE = "def f_{i}(a, b):\n    return a * {i} + b\n"


def _apache() -> str:
    return f"Copyright (c) 2024 Jane Q. Hacker\n\n{render('Apache-2.0', random.Random(0))}\n"


def _stack_rows() -> list[dict]:
    """(repo, path, content, licenses, stars): meta = licensed by the export only (MIT, 5 stars);
    own = its own Apache LICENSE, the export says GPL (250 stars); gpl = the export's GPL only (0
    stars: dropped by the policy); big = an SPDX line of its own (5000 stars); none = neither."""
    rows = [
        ("acme/meta", "a.py", CODE.format(i=1), ["MIT"], 5.0),
        ("acme/meta", "b.py", CODE.format(i=2), ["MIT"], 5.0),
        ("acme/meta", "pkg/c.py", CODE.format(i=3), ["MIT"], 5.0),
        ("acme/own", "LICENSE", _apache(), ["GPL-3.0-only"], 250.0),
        ("acme/own", "m.py", CODE.format(i=4), ["GPL-3.0-only"], 250.0),
        ("acme/own", "n.py", CODE.format(i=5), ["GPL-3.0-only"], 250.0),
        ("acme/gpl", "g.py", CODE.format(i=6), ["GPL-3.0-only"], 0.0),
        ("acme/big", "s.py", "# SPDX-License-Identifier: MIT\n" + CODE.format(i=7), [], 5000.0),
        ("acme/none", "z.py", CODE.format(i=8), None, None),
    ]
    return [
        {"content": c, "max_stars_repo_path": p, "max_stars_repo_name": r,
         "max_stars_repo_licenses": lic, "max_stars_count": stars}
        for r, p, c, lic, stars in rows
    ]  # fmt: skip


POLICY = [
    {"name": "license", "expr": "license_category in ['permissive', 'no_license']",
     "reason": "license:{license_category}"},
]  # fmt: skip


def _run(root: Path, inputs: Path) -> RunDir:
    cfg = parse_pipeline(
        {
            "run": {"input": [str(inputs)], "output": str(root / "run"), "runner": "local"},
            "annotators": {"license": {}},
            "policy": {"defaults": False, "rules": POLICY},
            "card": {"plots": False},
        }
    )
    run_pipeline(cfg, LocalRunner())
    return RunDir.at(root / "run")


@pytest.fixture(scope="module")
def export_run(tmp_path_factory) -> RunDir:
    root = tmp_path_factory.mktemp("export")
    inputs = root / "inputs"
    (inputs / "plain").mkdir(parents=True)
    (inputs / "plain" / "p.py").write_text(CODE.format(i=9))
    table = pa.Table.from_pylist(
        _stack_rows(),
        schema=pa.schema(
            [("content", pa.string()), ("max_stars_repo_path", pa.string()),
             ("max_stars_repo_name", pa.string()),
             ("max_stars_repo_licenses", pa.list_(pa.string())), ("max_stars_count", pa.float64())]
        ),
    )  # fmt: skip
    pq.write_table(table, inputs / "stack.parquet")
    v2 = [  # The Stack v2 names, read by the default mapping too: licensed by the export only
        {"content": CODE.format(i=10 + i), "path": f"v{i}.py", "repo": "beta/v2",
         "detected_licenses": ["Apache-2.0"], "star_events_count": 42}
        for i in range(2)
    ]  # fmt: skip
    (inputs / "v2.jsonl").write_text("".join(json.dumps(r) + "\n" for r in v2))
    return _run(root, inputs)


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory) -> RunDir:
    root = tmp_path_factory.mktemp("plain")
    inputs = root / "inputs"
    for name, license_file in (("lic", True), ("bare", False)):
        (inputs / name).mkdir(parents=True)
        (inputs / name / "x.py").write_text(CODE.format(i=1))
        if license_file:
            (inputs / name / "LICENSE").write_text(_apache())
    return _run(root, inputs)


def _front(run: RunDir) -> dict:
    return yaml.safe_load((run.card / "README.md").read_text().split("---\n")[1])


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n")[1].split("\n## ")[0]


def _tables(section: str) -> list[list[dict[str, str]]]:
    """Every Markdown table of a section as rows of header -> cell."""
    out = []
    for block in re.findall(r"((?:^\|.*\|\n)+)", section, re.M):
        lines = [line.strip("|").split(" | ") for line in block.strip().splitlines()]
        head = [h.strip() for h in lines[0]]
        out.append([dict(zip(head, (c.strip() for c in row), strict=True)) for row in lines[2:]])
    return out


def _table_with(section: str, header: str) -> list[dict[str, str]]:
    return next(t for t in _tables(section) if t and header in t[0])


def _int(cell: str) -> int:
    return int(cell.replace(",", ""))


def _joined(run: RunDir) -> pl.DataFrame:
    """Documents with their license attributes and decisions: what the card must agree with."""
    docs = pl.read_parquet(run.documents / "*.parquet")
    lic = pl.read_parquet(next(run.attributes_root.glob("license@*")) / "*.parquet")
    dec = pl.read_parquet(run.decisions("default") / "*.parquet")
    return docs.join(lic, on="doc_uid").join(dec.select("doc_uid", "keep"), on="doc_uid")


def test_license_evidence_table_equals_the_attributes(export_run) -> None:
    text = (export_run.card / "README.md").read_text()
    rows = {r["method"].strip("`"): r for r in _table_with(_section(text, "Licenses"), "method")}
    joined = _joined(export_run)
    for method, group in joined.group_by("license_method"):
        row = rows[method[0]]
        kept = group.filter(pl.col("keep"))
        assert _int(row["files"]) == group.height
        assert _int(row["kept files"]) == kept.height
        assert row["kept bytes"] == human(int(kept["size_bytes"].sum()))
    assert list(rows) == list(METHODS)  # every method listed, in the fixed order, no other
    assert rows["license_file"]["evidence"] == METHODS["license_file"]
    # the export's license only where the files say nothing: meta's 3, v2's 2 and gpl's one
    assert (
        _int(rows["export_metadata"]["files"]),
        _int(rows["export_metadata"]["kept files"]),
    ) == (6, 5)
    # own's GPL metadata lost to its LICENSE file; big's empty list did not matter
    assert _int(rows["license_file"]["kept files"]) == 3
    assert _int(rows["spdx_identifier"]["kept files"]) == 1
    assert _int(rows["none"]["kept files"]) == 2  # acme/none's z.py and plain/p.py
    assert _int(rows["header"]["files"]) == 0  # listed with 0


def test_metadata_only_sentence_and_front_matter(export_run) -> None:
    text = (export_run.card / "README.md").read_text()
    joined = _joined(export_run)
    only = joined.filter((pl.col("license_method") == "export_metadata") & pl.col("keep"))
    assert sorted(only["path"]) == ["a.py", "b.py", "pkg/c.py", "v0.py", "v1.py"]
    nbytes = int(only["size_bytes"].sum())
    assert (
        f"**5 kept files ({human(nbytes)}) are licensed only by the export's metadata "
        "(`source_licenses`)**, not by a license found in the files"
    ) in _section(text, "Licenses")
    meta = _front(export_run)
    assert meta["curate"]["export_metadata_licensed_kept_files"] == 5
    assert meta["curate"]["export_metadata_licensed_kept_bytes"] == nbytes
    by_method = meta["curate"]["kept_files_by_license_method"]
    assert by_method == {
        m: joined.filter((pl.col("license_method") == m) & pl.col("keep")).height for m in METHODS
    }
    assert sum(by_method.values()) == joined["keep"].sum()
    assert meta["curate"]["unlicensed_kept_files"] == 2
    assert check(meta) == []


def test_repository_stars_buckets(export_run) -> None:
    text = (export_run.card / "README.md").read_text()
    rows = {r["stars"]: r for r in _tables(_section(text, "Repository stars"))[0]}
    assert list(rows) == ["0", "1-9", "10-99", "100-999", ">= 1000", "unknown"]
    kept = {k: _int(r["kept files"]) for k, r in rows.items()}
    files = {k: _int(r["files"]) for k, r in rows.items()}
    # gpl (0 stars) is dropped; meta 5; v2 42; own 250 with its LICENSE; big 5000; none, plain: -
    assert files == {"0": 1, "1-9": 3, "10-99": 2, "100-999": 3, ">= 1000": 1, "unknown": 2}
    assert kept == {"0": 0, "1-9": 3, "10-99": 2, "100-999": 3, ">= 1000": 1, "unknown": 2}
    docs = _joined(export_run)
    assert sum(kept.values()) == docs["keep"].sum()
    assert docs.filter(pl.col("repo_stars").is_between(1, 9) & pl.col("keep")).height == kept["1-9"]


def test_sources_table_names_the_export_and_its_mapped_columns(export_run) -> None:
    text = (export_run.card / "README.md").read_text()
    rows = {r["source"]: r for r in _table_with(_section(text, "Sources"), "input")}
    stack = next(r for name, r in rows.items() if "stack" in name)
    plain = next(r for name, r in rows.items() if "plain" in name)
    v2 = next(r for name, r in rows.items() if "v2.jsonl" in name)
    assert (v2["input"], v2["files"]) == ("export (jsonl)", "2")
    assert v2["export metadata"] == "`source_licenses` (2 files), `repo_stars` (2 files)"
    assert stack["input"] == "export (parquet)"
    # a.py..pkg/c.py, own's 3, gpl: 7 got licenses (big's empty list is none); all but none: stars
    assert stack["export metadata"] == "`source_licenses` (7 files), `repo_stars` (8 files)"
    assert (plain["input"], plain["export metadata"]) == ("directory", "-")
    assert "[ingest.export.metadata]" in _section(text, "Sources")
    assert str(export_run.root.parent) not in text  # names, not the machine's folders


def test_run_without_export_metadata_has_no_such_sections(plain_run) -> None:
    text = (plain_run.card / "README.md").read_text()
    assert "## Repository stars" not in text
    assert "export metadata" not in _section(text, "Sources")
    licenses = _section(text, "Licenses")
    assert "licensed only by the export" not in licenses
    assert "No kept file is licensed only by the export" not in licenses  # nothing to say
    rows = {r["method"].strip("`"): r for r in _table_with(licenses, "method")}
    assert _int(rows["export_metadata"]["files"]) == 0
    assert _int(rows["license_file"]["kept files"]) == 2  # LICENSE and lic/x.py
    assert _int(rows["none"]["kept files"]) == 1  # bare/x.py
    meta = _front(plain_run)
    assert meta["curate"]["export_metadata_licensed_kept_files"] == 0
    assert check(meta) == []
    docs = pl.read_parquet(plain_run.documents / "*.parquet")
    assert docs["source_licenses"].null_count() == docs.height  # the case this test is about


def test_star_bucket_bounds_and_unknown() -> None:
    from curate.card.evidence import star_buckets

    stars = [0, 1, 9, 10, 99, 100, 999, 1000, 250_000, None, -1]
    frame = pl.DataFrame(
        {"repo_stars": stars, "size_bytes": [1] * len(stars), "_keep": [True] * 10 + [False]}
    )
    rows = {r["bucket"]: (r["files"], r["kept_files"]) for r in star_buckets(frame)}
    assert rows == {
        "0": (1, 1), "1-9": (2, 2), "10-99": (2, 2), "100-999": (2, 2), ">= 1000": (2, 2),
        "unknown": (2, 1),  # null and the negative count (not kept)
    }  # fmt: skip
