"""No planted secret value appears anywhere in a run directory outside ``documents/``.

A small corpus (a directory repository and a JSONL export whose ``repo`` and ``path`` columns
carry secrets too) goes through the demo recipe (ingest, parse, quality, secrets, pii, license,
policy, dedup, mixture, card) with the local runner; then every file of the run except
``documents/`` is read — Parquet as its decoded values of every column and as raw bytes,
everything else as raw bytes — and searched for each planted value. The secret values are
generated here (seeded), so none of them is a documented example that a false-positive rule
might know.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest

from curate.config import PipelineConfig, load_pipeline
from curate.engine.runner import LocalRunner
from curate.errors import UserError
from curate.mix import MixtureConfig, run_mix
from curate.mix.config import RepoConfig
from curate.pipeline import ingest_only, run_pipeline
from curate.rundir import RunDir

ROOT = Path(__file__).resolve().parents[1]
_rng = random.Random(1616)
_UPPER = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits
_B64 = _ALNUM + "+/"


def _pick(alphabet: str, n: int) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


AWS_ID = "AKIA" + _pick(_UPPER, 16)
AWS_SECRET = _pick(_B64, 40)
GITHUB = "ghp_" + _pick(_ALNUM, 36)
PASSWORD = "Pw" + _pick(_ALNUM, 14)
PEM_LINES = [_pick(_B64, 64) for _ in range(6)]
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(PEM_LINES) + "\n-----END RSA PRIVATE KEY-----\n"
)
PATH_KEY = "AKIA" + _pick(_UPPER, 16)  # only ever in an export's ``path`` column
REPO_TOKEN = "ghp_" + _pick(_ALNUM, 36)  # only ever in an export's ``repo`` column

CONTENT_VALUES = {
    "aws_access_key_id": AWS_ID,
    "aws_secret_access_key": AWS_SECRET,
    "github_token": GITHUB,
    "url_password": PASSWORD,
    **{f"pem_line_{i}": line for i, line in enumerate(PEM_LINES)},
}
METADATA_VALUES = {"path_aws_key": PATH_KEY, "repo_github_token": REPO_TOKEN}
PLANTED = {**CONTENT_VALUES, **METADATA_VALUES}


def _helpers(i: int) -> str:
    body = "\n".join(f"    total += values[{j}] * {i + j}" for j in range(12))
    return f"def helper_{i}(values):\n    total = 0\n{body}\n    return total\n"


SETTINGS = (
    '"""Deployment settings."""\n\nimport os\n\n'
    f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'
    f'aws_secret_access_key = "{AWS_SECRET}"\n'
    f'GITHUB_TOKEN = "{GITHUB}"\n'
    f'DATABASE_URL = "postgres://app:{PASSWORD}@db.internal:5432/app"\n\n' + _helpers(0)
)
CLIENT = (
    'package client\n\nconst Token = "' + GITHUB + '"\n\n'
    "func Add(a int, b int) int {\n\treturn a + b\n}\n"
)
SHARED = _helpers(1) + "\n\n" + _helpers(2)  # in both inputs: a duplicate cluster


def _corpus(root: Path) -> list[str]:
    repo = root / "repos" / "webapp"
    (repo / "app").mkdir(parents=True)
    (repo / "deploy").mkdir()
    (repo / "app" / "settings.py").write_text(SETTINGS)
    (repo / "app" / "shared.py").write_text(SHARED)
    (repo / "deploy" / "server.pem").write_text(PEM)
    (repo / "client.go").write_text(CLIENT)
    (repo / "README.md").write_text("# webapp\n\nA small service.\n")
    rows = [
        {"repo": "org/tools", "path": f"keys/{PATH_KEY}.py", "content": _helpers(3)},
        {"repo": "org/tools", "path": "tools/shared.py", "content": SHARED},
        {"repo": f"acme/{REPO_TOKEN}", "path": "src/main.py", "content": _helpers(4)},
        {"repo": f"acme/{REPO_TOKEN}", "path": f"src/{PATH_KEY}/copy.py", "content": SHARED},
        {"repo": "org/tools", "path": "conf/settings.py", "content": SETTINGS},
    ]
    export = root / "export.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return [str(root / "repos"), str(export)]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        yield value.decode("latin-1")
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _leaks(path: Path) -> set[str]:
    """Names of the planted values found in ``path`` (decoded Parquet values and raw bytes)."""
    raw = path.read_bytes()
    texts = [raw.decode("latin-1")]
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        texts.extend(s for column in table.columns for s in _strings(column.to_pylist()))
        texts.extend(_strings(dict(table.schema.metadata or {})))
    return {name for name, value in PLANTED.items() if any(value in t for t in texts)}


def _run_files(run: Path) -> dict[str, set[str]]:
    """Every file under ``run`` except ``documents/`` -> the planted values it holds."""
    out = {}
    for path in sorted(p for p in run.rglob("*") if p.is_file()):
        rel = path.relative_to(run).as_posix()
        if rel.split("/")[0] != "documents":
            out[rel] = _leaks(path)
    return out


@pytest.fixture(scope="module")
def leak_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]]]:
    root = tmp_path_factory.mktemp("leaks")
    cfg = load_pipeline(ROOT / "pipelines" / "demo.toml").with_run(
        input=tuple(_corpus(root / "inputs")), output=str(root / "run"), runner="local"
    )
    dedup = cfg.section("dedup")
    dedup = dedup.model_copy(update={"near": dedup.near.model_copy(update={"repos": True})})
    cfg = PipelineConfig(cfg.run, cfg.ingest, cfg.annotators, {**cfg.sections, "dedup": dedup})
    run_pipeline(cfg, LocalRunner())
    # the same run's repository-level mixture: repo names and paths are also sample headers
    repo_mix = cfg.section("mixture").model_copy(
        update={"name": "repos", "repo": RepoConfig(enabled=True)}
    )
    run_mix(RunDir.at(root / "run"), repo_mix)
    return root / "run", _run_files(root / "run")


def test_the_planted_values_are_in_the_documents(leak_run) -> None:
    """The scan can fail: every planted value is in documents/ (content, repo or path)."""
    run, _ = leak_run
    found: set[str] = set()
    for path in (run / "documents").glob("*.parquet"):
        found |= _leaks(path)
    assert found == set(PLANTED)


def test_the_run_wrote_every_step(leak_run) -> None:
    run, files = leak_run
    for prefix in ("attributes/secrets@1/", "attributes/pii@1/", "decisions/default/",
                   "dedup/near/clusters/", "mixtures/default/part-", "stats/summary.json",
                   "card/README.md"):  # fmt: skip
        assert any(f.startswith(prefix) for f in files), prefix
    manifest = json.loads((run / "mixtures" / "default.manifest.json").read_text())
    assert manifest["redaction"]["status"] == "complete"
    assert manifest["redaction"]["metadata_rows"] >= 2
    mixture = pl.read_parquet(sorted((run / "mixtures" / "default").glob("part-*.parquet")))
    assert mixture.filter(pl.col("path").str.contains("<KEY>")).height >= 1
    assert mixture.filter(pl.col("repo").str.contains("<KEY>")).height >= 1
    clusters = pl.read_parquet(sorted((run / "dedup" / "near" / "clusters").glob("*.parquet")))
    assert clusters["dup_cluster_size"].max() >= 3  # SHARED, in three repositories
    assert any(f.startswith("attributes/repo_dedup@1/") for f in files)
    samples = pl.read_parquet(sorted((run / "mixtures" / "repos").glob("part-*.parquet")))
    acme = samples.filter(pl.col("repo").str.starts_with("acme/"))
    assert acme["repo"].to_list() == ["acme/<KEY>"]
    assert acme["content"][0].startswith("<repo_name>acme/<KEY>\n")
    assert acme["doc_uid"][0].startswith("repo:acme/<KEY>~")


def test_no_planted_value_outside_documents(leak_run) -> None:
    _, files = leak_run
    leaked = {f: sorted(names) for f, names in files.items() if names}
    assert leaked == {}


def _ingested(tmp_path: Path) -> RunDir:
    cfg = load_pipeline(ROOT / "pipelines" / "demo.toml").with_run(
        input=tuple(_corpus(tmp_path / "inputs")), output=str(tmp_path / "run"), runner="local"
    )
    ingest_only(cfg, LocalRunner())
    return RunDir.at(tmp_path / "run")


def test_mix_of_an_unannotated_run_is_refused_unless_allowed(tmp_path: Path) -> None:
    run = _ingested(tmp_path)
    with pytest.raises(UserError) as err:
        run_mix(run, MixtureConfig())
    message = str(err.value)
    assert "no secrets annotations" in message and "--allow-unredacted" in message
    assert not run.mixture("default").exists() or not any(run.mixture("default").iterdir())

    manifest = run_mix(run, MixtureConfig(allow_unredacted=True))
    redaction = manifest["redaction"]
    assert redaction["status"] == "unredacted" and redaction["unredacted"] is True
    assert any("no secrets annotations" in p for p in redaction["problems"])
    written = pl.read_parquet(sorted(run.mixture("default").glob("part-*.parquet")))
    assert written["content"].str.contains(AWS_ID).any()  # the user asked for raw content

    disabled = run_mix(run, MixtureConfig(name="raw", redact=False))["redaction"]
    assert disabled["status"] == "disabled" and disabled["unredacted"] is True
