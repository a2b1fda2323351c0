"""license@1 + optout@1 through the real segment engine, then the policy rules of
pipelines/default.toml on the joined columns."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa

from curate.engine.annotate import AnnotatorSpec, annotate_shard
from curate.engine.stats import StepStats
from curate.filters.license import LicenseAnnotator, LicenseConfig, OptOutAnnotator, OptOutConfig
from curate.policy.config import PolicyConfig
from curate.policy.evaluate import decide
from curate.rundir import RunDir, write_table_atomic

ROOT = Path(__file__).resolve().parents[3]


def test_engine_and_policy(
    tmp_path: Path,
    license_text: Callable[..., str],
    header_source: Callable[..., str],
    documents: Callable,
) -> None:
    run = RunDir.at(tmp_path / "run")
    batch = documents(
        [
            ("github.com/a/perm", "LICENSE", None, license_text("MIT")),
            ("github.com/a/perm", "src/ok.c", "C", "int ok;\n"),
            ("github.com/a/perm", "src/gpl.c", "C", header_source("GPL-3.0-or-later")),
            ("github.com/b/copyleft", "COPYING", None, license_text("GPL-2.0-only")),
            ("github.com/b/copyleft", "main.py", "Python", "print(1)\n"),
            ("github.com/optedout/thing", "LICENSE", None, license_text("Apache-2.0")),
            ("github.com/optedout/thing", "x.py", "Python", "x = 1\n"),
        ]
    )
    write_table_atomic(pa.Table.from_batches([batch]), RunDir.shard_file(run.documents, "s0"))
    optout = tmp_path / "optout.txt"
    optout.write_text("optedout\n")
    specs = [
        AnnotatorSpec(LicenseAnnotator, LicenseConfig()),
        AnnotatorSpec(OptOutAnnotator, OptOutConfig(path=str(optout))),
    ]
    annotate_shard(run, "s0", specs, StepStats(), batch_bytes=200)
    lic = pl.read_parquet(RunDir.shard_file(run.attributes("license@1"), "s0"))
    opt = pl.read_parquet(RunDir.shard_file(run.attributes("optout@1"), "s0"))
    docs = pl.from_arrow(batch).select("doc_uid", "repo", "path", "language", "size_bytes")
    joined = docs.join(lic, on="doc_uid").join(opt, on="doc_uid")

    recipe = tomllib.loads((ROOT / "pipelines" / "default.toml").read_text())
    mine = [r for r in recipe["policy"]["rules"] if r["name"] in {"optout", "license"}]
    policy = PolicyConfig(defaults=False, rules=mine, builtin_overrides=False)
    decided = decide(joined, policy).collect()
    paths = [f"{r}/{p}" for r, p in zip(decided["repo"], decided["path"], strict=True)]
    reasons = {p.split("/", 3)[3]: r for p, r in zip(paths, decided["drop_reason"], strict=True)}
    keep = dict(zip(paths, decided["keep"], strict=True))
    assert keep["github.com/a/perm/src/ok.c"] and keep["github.com/a/perm/LICENSE"]
    assert not keep["github.com/optedout/thing/LICENSE"]
    assert reasons["src/gpl.c"] == "license:strong_copyleft(GPL-3.0-or-later from src/gpl.c header)"
    assert reasons["main.py"] == "license:strong_copyleft(GPL-2.0-only from COPYING text match)"
    assert reasons["x.py"] == "optout:optedout"  # opt-out comes first, whatever the license
    assert not keep["github.com/b/copyleft/main.py"] and not keep["github.com/optedout/thing/x.py"]
