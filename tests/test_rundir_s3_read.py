"""Reading a run directory back from the loopback S3 server: ``curate.open_run("s3://...")``,
``curate stats``, ``explain`` and ``whatif`` on an s3:// URL give exactly what they give on the
same run read from local disk. (The run here is written locally and uploaded object by object,
as a run on S3 lays it out; tests/test_run_s3.py writes runs to the store with ``curate run``.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import curate
from curate import objstore
from curate.cli import _load_commands, app
from curate.config import load_pipeline
from curate.engine.runner import LocalRunner
from curate.errors import UserError
from curate.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("s3read") / "run"
    cfg = load_pipeline(ROOT / "pipelines" / "demo.toml").with_run(
        input=(str(ROOT / "examples" / "repos"),), output=str(out), runner="local"
    )
    run_pipeline(cfg, LocalRunner())
    return out


@pytest.fixture
def s3_run(s3_server, local_run: Path) -> str:
    url = s3_server.make_bucket("read-back") + "/run"
    fs = s3_server.filesystem()
    fs.put(str(local_run) + "/", url.removeprefix("s3://") + "/", recursive=True)
    # an unfinished write's temp folder and a held lock must not be read as run content
    fs.pipe_file(url.removeprefix("s3://") + "/_tmp/half.parquet", b"PAR1 partial")
    fs.pipe_file(url.removeprefix("s3://") + "/.lock", b'{"owner": "node-a"}')
    return url


def _cli(*args: str) -> str:
    _load_commands()
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def test_open_run_on_s3_reads_the_same_tables(s3_run: str, local_run: Path) -> None:
    remote, local = curate.open_run(s3_run), curate.open_run(local_run)
    assert remote.root != local.root and not (remote.root / "_tmp").exists()
    assert not (remote.root / ".lock").exists()
    docs = remote.documents.collect().sort("doc_uid")
    assert docs.height > 10
    assert docs.equals(local.documents.collect().sort("doc_uid"))
    assert remote.attribute_keys() == local.attribute_keys() and remote.attribute_keys()
    assert remote.policies() == local.policies()
    assert (
        remote.decisions()
        .collect()
        .sort("doc_uid")
        .equals(local.decisions().collect().sort("doc_uid"))
    )


def test_stats_explain_whatif_on_s3_match_local(s3_run: str, local_run: Path) -> None:
    remote = json.loads(_cli("stats", s3_run, "--json"))
    here = json.loads(_cli("stats", str(local_run), "--json"))
    remote.pop("run"), here.pop("run")
    assert remote == here and remote["documents"] > 10

    uid = curate.open_run(local_run).documents.select("doc_uid").collect()["doc_uid"][0]
    assert json.loads(_cli("explain", s3_run, uid, "--json")) == json.loads(
        _cli("explain", str(local_run), uid, "--json")
    )
    change = "max_line_length.threshold=20"
    remote_lines = _cli("whatif", s3_run, "--set", change, "--json").splitlines()
    local_lines = _cli("whatif", str(local_run), "--set", change, "--json").splitlines()

    # languages tied on size may come in either order: compare the rows, not their order; the
    # sample of flipped files is compared by size only (see the report: not stable per call)
    def rows(lines: list[str]) -> list[str]:
        return sorted(line for line in lines if '"kind": "flip"' not in line)

    assert rows(remote_lines) == rows(local_lines)
    assert len(remote_lines) == len(local_lines)
    assert json.loads(remote_lines[0])["newly_dropped"] > 0  # the change does flip files


def test_url_with_nothing_stored_is_one_clear_error(s3_server) -> None:
    url = s3_server.make_bucket("read-back-empty") + "/nothing-here"
    with pytest.raises(UserError, match="not a run directory"):
        curate.open_run(url)
    _load_commands()
    res = CliRunner().invoke(app, ["stats", url])
    # the CLI's main() prints a UserError as one "error: ..." line (tests/test_pipeline.py)
    assert isinstance(res.exception, UserError) and "not a run directory" in str(res.exception)
    assert objstore.snapshot(s3_server.filesystem(), url.removeprefix("s3://"), "/nonexistent") == 0


def test_url_output_without_its_bucket_is_one_clear_error_and_creates_nothing(
    s3_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from curate.config import parse_pipeline
    from curate.rundir import RunDir

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(objstore.MIRROR_ENV, str(tmp_path / "mirrors"))
    (tmp_path / "in" / "repo").mkdir(parents=True)
    (tmp_path / "in" / "repo" / "a.py").write_text("x = 1\n")
    url = "s3://no-such-bucket/run"
    cfg = parse_pipeline({"run": {"input": [str(tmp_path / "in")], "output": url}})
    with pytest.raises(UserError, match="cannot write the run directory") as err:
        run_pipeline(cfg, LocalRunner())
    assert str(err.value).startswith(url) and "\n" not in str(err.value)
    assert not (tmp_path / "s3:").exists()  # no local folder named after the URL
    assert not (tmp_path / "mirrors").exists()  # nothing made before the lock was taken
    remote = RunDir.at(url + "/")
    assert remote.url == url and remote.location == url and remote.name == "run"
    assert remote.root.parent == tmp_path / "mirrors"
    assert RunDir.at(tmp_path / "local").root == tmp_path / "local"  # local paths unchanged
    assert RunDir.at(tmp_path / "local").url is None
