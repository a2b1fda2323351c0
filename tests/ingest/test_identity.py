"""Run identity: distinct sources never share a repository identity, and nothing a run decides
depends on the folder the machine keeps the inputs in (curate/ingest/identity.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from curate.config import load_pipeline
from curate.engine.runner import LocalRunner
from curate.ingest import IngestConfig, discover_sources
from curate.ingest.identity import common_parent, normalize_remote, source_name
from curate.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        ("https://github.com/Owner/name.git", "github.com/Owner/name"),
        ("https://user:s3cr3t@github.com/o/n", "github.com/o/n"),  # credentials never kept
        ("git@github.com:o/n.git", "github.com/o/n"),
        ("ssh://git@gitlab.example.org:2222/group/sub/n.git", "gitlab.example.org/group/sub/n"),
        ("http://Example.COM/o/n/", "example.com/o/n"),
        ("/srv/git/n.git", None),  # a place on a machine, not an identity
        ("file:///srv/git/n.git", None),
        ("../n.git", None),
        ("", None),
    ],
)
def test_remote_urls_normalise_to_host_owner_name(url: str, identity: str | None) -> None:
    assert normalize_remote(url) == identity


def test_names_are_relative_to_the_inputs_common_parent() -> None:
    parent = common_parent(["/data/a/repos", "/data/b/x.tar.gz"])
    assert parent == "/data"
    assert source_name("/data/a/repos/r1", parent) == "a/repos/r1"
    assert source_name("/data/b/x.tar.gz", parent) == "b/x.tar.gz"
    assert (
        source_name("s3://bucket/dumps/x.tgz", common_parent(["s3://bucket/dumps"]))
        == "dumps/x.tgz"
    )


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _bare_repo(where: Path, files: dict[str, str], remote: str | None = None) -> Path:
    work = where.parent / f".work-{where.parent.name}-{where.name}"
    work.mkdir(parents=True)
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", ".", cwd=work)
    _git("-c", "user.email=t@e", "-c", "user.name=t", "commit", "-q", "-m", "c", cwd=work)
    where.parent.mkdir(parents=True, exist_ok=True)
    _git("clone", "-q", "--bare", str(work), str(where), cwd=where.parent)
    shutil.rmtree(work)
    if remote:
        _git("remote", "set-url", "origin", remote, cwd=where)
    else:
        _git("remote", "remove", "origin", cwd=where)
    return where


def test_two_mirrors_named_repo_stay_two_repositories(tmp_path: Path) -> None:
    a = _bare_repo(tmp_path / "mirrors" / "alice+tool" / "repo", {"a.py": "print('a')\n"})
    b = _bare_repo(tmp_path / "mirrors" / "bob+tool" / "repo", {"b.py": "print('b')\n"})
    specs, _ = discover_sources([str(a), str(b)], IngestConfig())
    repos = [s.repo for s in specs]
    assert len(set(repos)) == 2 and all(r.startswith("repo~") for r in repos)
    assert sorted(s.name for s in specs) == ["alice+tool/repo", "bob+tool/repo"]


def test_a_git_remote_names_the_repository(tmp_path: Path) -> None:
    a = _bare_repo(tmp_path / "m" / "x" / "repo", {"a.py": "1\n"}, "git@github.com:alice/tool.git")
    b = _bare_repo(tmp_path / "m" / "y" / "repo", {"b.py": "2\n"}, "https://github.com/bob/tool")
    specs, _ = discover_sources([str(a), str(b)], IngestConfig())
    assert sorted(s.repo for s in specs) == ["github.com/alice/tool", "github.com/bob/tool"]
    # A checkout's .git/config names it the same way.
    checkout = tmp_path / "co" / "src"
    checkout.mkdir(parents=True)
    (checkout / "main.py").write_text("x = 1\n")
    _git("init", "-q", cwd=checkout)
    _git("remote", "add", "origin", "https://gitlab.com/team/app.git", cwd=checkout)
    (spec,), _ = discover_sources([str(checkout)], IngestConfig())
    assert spec.repo == "gitlab.com/team/app"


def test_two_checkouts_named_src_are_told_apart_and_unique_names_are_kept(tmp_path: Path) -> None:
    for owner in ("one", "two"):
        (tmp_path / owner / "src").mkdir(parents=True)
        (tmp_path / owner / "src" / "m.py").write_text(f"owner = '{owner}'\n")
    (tmp_path / "solo").mkdir()
    (tmp_path / "solo" / "m.py").write_text("x = 1\n")
    inputs = [str(tmp_path / "one" / "src"), str(tmp_path / "two" / "src"), str(tmp_path / "solo")]
    specs, _ = discover_sources(inputs, IngestConfig())
    by_name = {s.name: s.repo for s in specs}
    assert by_name["solo"] == "solo"  # no collision: the plain name
    assert by_name["one/src"] != by_name["two/src"] and by_name["one/src"].startswith("src~")
    again, _ = discover_sources(inputs, IngestConfig())
    assert {s.name: s.repo for s in again} == by_name  # deterministic


def _copy_inputs(dest: Path) -> list[str]:
    for part in ("repos", "archives", "exports"):
        shutil.copytree(ROOT / "examples" / part, dest / "examples" / part)
    return [str(dest / "examples" / p) for p in ("repos", "archives", "exports")]


def _results(run: Path) -> dict[str, object]:
    docs = pl.read_parquet(run / "documents" / "*.parquet")
    out: dict[str, object] = {
        "doc_uids": sorted(docs["doc_uid"].to_list()),
        "shards": sorted(p.stem for p in (run / "documents").glob("*.parquet")),
    }
    for folder in ("decisions/default", "attributes/near_dedup@1", "attributes/exact_dedup@1"):
        frame = pl.read_parquet(run / folder / "*.parquet")
        out[folder] = sorted(map(repr, frame.select(sorted(frame.columns)).rows()))
    mix = pl.read_parquet(sorted((run / "mixtures" / "default").glob("part-*.parquet")))
    out["mixture"] = sorted(map(repr, mix.select(sorted(mix.columns)).rows()))
    return out


def test_same_inputs_in_two_folders_give_the_same_run(tmp_path: Path) -> None:
    results = []
    for where in ("first/place", "elsewhere"):
        inputs = _copy_inputs(tmp_path / where)
        cfg = load_pipeline(ROOT / "pipelines" / "demo.toml").with_run(
            input=tuple(inputs), output=str(tmp_path / where / "run"), runner="local"
        )
        run_pipeline(cfg, LocalRunner())
        results.append(_results(tmp_path / where / "run"))
    first, second = results
    assert first["doc_uids"] and first == second
    # The dataset card names sources by their names, never by the folders they were read from.
    cards = [
        (tmp_path / w / "run" / "card" / "README.md").read_text()
        for w in ("first/place", "elsewhere")
    ]
    assert "repos/cnative" in cards[0] and str(tmp_path) not in cards[0] + cards[1]
