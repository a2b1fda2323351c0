"""A whole ``curate run`` WRITING its run directory to the loopback S3 server (``s3_server``):
its outputs equal the same run written to local disk, everything reads it back from the store,
a rerun does no work, an output stored without its marker is redone, and the store's lock keeps
a second writer out. (``tests/support/s3.py``: a real S3 HTTP server, reached through s3fs.)"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import curate
from curate import objstore
from curate.cli import _load_commands, app
from curate.config import load_pipeline
from curate.engine.runner import LocalRunner
from curate.errors import UserError
from curate.pipeline import RunReport, run_lock, run_pipeline
from curate.rundir import RunDir

ROOT = Path(__file__).resolve().parents[1]
REPOS = str(ROOT / "examples" / "repos")


def _cfg(output: str, *, inputs: tuple[str, ...] = (REPOS,), runner: str = "local") -> Any:
    return load_pipeline(ROOT / "pipelines" / "demo.toml").with_run(
        input=inputs, output=output, runner=runner
    )


def _listing(fs: Any, url: str) -> dict[str, tuple[str, str]]:
    """Every stored object under ``url``: relative key -> (ETag, LastModified)."""
    prefix = url.removeprefix("s3://")
    fs.invalidate_cache()
    return {
        key[len(prefix) + 1 :]: (str(info["ETag"]), str(info["LastModified"]))
        for key, info in fs.find(prefix, detail=True).items()
    }


def _outputs(run: curate.inspect.Run) -> dict[str, Any]:
    """What a run produced, by value: sorted SHA-256 of every mixture part's rows (content and
    metadata), the kept doc ids, every decision row and the documents' ids and content hashes."""
    root = Path(run.root)
    parts = sorted((root / "mixtures").glob("*/part-*.parquet"))
    part_hashes = sorted(
        hashlib.sha256(repr(pl.read_parquet(p).sort("doc_uid").rows()).encode()).hexdigest()
        for p in parts
    )
    decisions = run.decisions().collect().sort("doc_uid")
    return {
        "parts": part_hashes,
        "kept": decisions.filter(pl.col("keep"))["doc_uid"].to_list(),
        "decisions": decisions.rows(),
        "documents": run.documents.select("doc_uid", "content_sha", "path")
        .collect()
        .sort("doc_uid")
        .rows(),
    }


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("s3run-local") / "run"
    run_pipeline(_cfg(str(out)), LocalRunner())
    return out


@pytest.fixture(scope="module")
def s3_run(s3_server: Any) -> tuple[str, RunReport]:
    url = s3_server.make_bucket("run-write") + "/run"
    report = run_pipeline(_cfg(url), LocalRunner())
    return url, report


def _cli(*args: str) -> str:
    _load_commands()
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def test_run_written_to_s3_equals_the_local_run(s3_run, local_run, s3_server) -> None:
    url, report = s3_run
    assert report.did_work and report.url == url and report.location == url
    stored = _listing(s3_server.filesystem(), url)
    # the run directory's layout, on the store, key for key as on disk (minus the lock)
    on_disk = {
        str(p.relative_to(local_run))
        for p in local_run.rglob("*")
        if p.is_file() and p.name != ".lock" and "_tmp" not in p.parts
    }
    assert set(stored) == on_disk
    assert ".lock" not in stored  # released at the end
    assert any(k.startswith("mixtures/") and k.endswith(".parquet") for k in stored)
    assert "card/README.md" in stored and "stats/summary.json" in stored

    remote, here = _outputs(curate.open_run(url)), _outputs(curate.open_run(local_run))
    assert remote["parts"] and remote["kept"] and len(remote["kept"]) < len(remote["documents"])
    assert remote == here


def test_stats_explain_whatif_read_the_s3_run_back(s3_run, local_run) -> None:
    url, _ = s3_run
    remote = json.loads(_cli("stats", url, "--json"))
    here = json.loads(_cli("stats", str(local_run), "--json"))
    assert remote["documents"] == here["documents"] > 10
    assert remote["skipped"] == here["skipped"]
    assert remote.get("policies") == here.get("policies")

    uid = curate.open_run(local_run).documents.select("doc_uid").collect()["doc_uid"][0]
    assert json.loads(_cli("explain", url, uid, "--json")) == json.loads(
        _cli("explain", str(local_run), uid, "--json")
    )
    change = "max_line_length.threshold=20"
    first = json.loads(_cli("whatif", url, "--set", change, "--json").splitlines()[0])
    local_first = json.loads(
        _cli("whatif", str(local_run), "--set", change, "--json").splitlines()[0]
    )
    assert first == local_first and first["newly_dropped"] > 0


def test_second_identical_run_does_no_work_and_writes_nothing(s3_run, s3_server) -> None:
    url, _ = s3_run
    fs = s3_server.filesystem()
    before = _listing(fs, url)
    report = run_pipeline(_cfg(url), LocalRunner())
    assert not report.did_work
    assert all(s.ran == 0 for s in report.steps)  # every step skipped by its marker
    assert _listing(fs, url) == before  # not one object rewritten (same ETag and time)


def test_output_stored_without_its_marker_is_not_trusted_and_is_redone(s3_run, s3_server) -> None:
    url, _ = s3_run
    fs = s3_server.filesystem()
    base = url.removeprefix("s3://")
    listing = _listing(fs, url)
    marker = sorted(k for k in listing if k.startswith("_markers/annotate/"))[0]
    shard = marker.rsplit("/", 1)[-1].removesuffix(".json")
    attribute = sorted(k for k in listing if k.startswith("attributes/") and shard in k)[0]
    good = fs.cat_file(f"{base}/{attribute}")
    # a writer killed between its output's PUT and its marker's PUT: a whole new object (a
    # PUT is atomic, so never half of one), but not the committed one, and no marker
    fs.rm_file(f"{base}/{marker}")
    table = pq.read_table(io.BytesIO(good))
    buf = io.BytesIO()
    pq.write_table(table.slice(0, 1), buf)
    fs.pipe_file(f"{base}/{attribute}", buf.getvalue())

    report = run_pipeline(_cfg(url), LocalRunner())
    annotate = report.step("annotate")
    assert annotate is not None and annotate.ran == 1  # that shard only, not the other
    assert report.step("ingest").ran == 0
    assert fs.cat_file(f"{base}/{attribute}") == good  # redone: the same table again
    assert fs.exists(f"{base}/{marker}")
    assert not run_pipeline(_cfg(url), LocalRunner()).did_work


def test_lock_held_by_another_owner_blocks_a_second_run(s3_run, s3_server) -> None:
    url, _ = s3_run
    fs = s3_server.filesystem()
    lock = url.removeprefix("s3://") + "/.lock"
    before = _listing(fs, url)
    fs.pipe_file(lock, json.dumps({"owner": "node-b:4242:cafe"}).encode())
    try:
        with pytest.raises(UserError, match="in use by another curate run") as err:
            run_pipeline(_cfg(url), LocalRunner())
        assert url in str(err.value) and "\n" not in str(err.value)
        after = _listing(fs, url)
        after.pop(".lock")
        assert after == before  # blocked before writing anything
        assert json.loads(fs.cat_file(lock))["owner"] == "node-b:4242:cafe"  # not taken over
    finally:
        fs.rm_file(lock)
    assert not run_pipeline(_cfg(url), LocalRunner()).did_work  # free again


def test_mix_and_card_write_into_the_s3_run(s3_run, s3_server) -> None:
    """``run_mix`` and ``write_card`` through ``run_lock`` (what ``curate mix``/``card`` do):
    a second mixture and a new card land on the store, and read back from it."""
    from curate.card import write_card
    from curate.card.config import CardConfig
    from curate.mix import MixtureConfig, run_mix

    url, _ = s3_run
    rd = RunDir.at(url)
    with run_lock(rd):
        manifest = run_mix(rd, MixtureConfig(name="again"), LocalRunner())
        write_card(rd, CardConfig(mixture="again"))
    fs = s3_server.filesystem()
    stored = _listing(fs, url)
    again = sorted(k for k in stored if k.startswith("mixtures/again/part-"))
    assert again and len(again) == len(manifest["files"])
    assert "mixtures/again.manifest.json" in stored
    back = curate.open_run(url)
    assert "again" in back.mixtures()
    assert back.mixture("again").collect().height == manifest["totals"]["rows"] > 0
    card = fs.cat_file(url.removeprefix("s3://") + "/card/README.md").decode()
    assert "run (code-curate)" in card  # named after the URL, not the local mirror folder


def test_input_from_s3_gives_the_same_documents(s3_server, local_run, tmp_path: Path) -> None:
    url = s3_server.make_bucket("run-input") + "/dumps"
    s3_server.filesystem().put(REPOS + "/", url.removeprefix("s3://") + "/", recursive=True)
    out = tmp_path / "ingested"
    _cli("ingest", url + "/", "--output", str(out), "--runner", "local", "--json")
    docs = curate.open_run(out).documents.collect()
    local = curate.open_run(local_run).documents.collect()
    assert docs.height == local.height > 10
    assert sorted(docs.select("repo", "path", "content_sha").rows()) == sorted(
        local.select("repo", "path", "content_sha").rows()
    )
    assert all(uri.startswith("s3://") for uri in docs["source_uri"])


def test_cli_run_with_storage_options_only(
    s3_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``curate run --input s3://... --output s3://... --storage-option ...`` with no AWS
    endpoint in the environment: the options alone reach the store."""
    from fsspec.config import conf

    saved = {k: dict(v) for k, v in conf.items()}
    monkeypatch.setenv("FSSPEC_S3", "{}")
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(var, raising=False)
    bucket = s3_server.make_bucket("run-cli")
    (tmp_path / "in" / "repo").mkdir(parents=True)
    (tmp_path / "in" / "repo" / "a.py").write_text("def f(x):\n    return x + 1\n")
    s3_server.filesystem().put(str(tmp_path / "in") + "/", "run-cli/in/", recursive=True)
    try:
        out = _cli(
            "run", str(ROOT / "pipelines" / "demo.toml"),
            "--input", f"{bucket}/in/", "--output", f"{bucket}/run", "--runner", "local",
            "--storage-option", "key=testing", "--storage-option", "secret=testing",
            "--storage-option", f"client_kwargs.endpoint_url={s3_server.endpoint_url}",
            "--storage-option", "client_kwargs.region_name=us-east-1", "--json", "-q",
        )  # fmt: skip
        report = json.loads(out.strip().splitlines()[-1])
        assert report["run_dir"] == f"{bucket}/run" and report["did_work"]
        assert report["totals"]["documents"] == 1
        keys = _listing(s3_server.filesystem(), f"{bucket}/run")
        assert any(k.startswith("documents/") for k in keys)
        again = _cli(
            "run", str(ROOT / "pipelines" / "demo.toml"),
            "--input", f"{bucket}/in/", "--output", f"{bucket}/run", "--runner", "local",
            "--storage-option", "key=testing", "--storage-option", "secret=testing",
            "--storage-option", f"client_kwargs.endpoint_url={s3_server.endpoint_url}",
            "--storage-option", "client_kwargs.region_name=us-east-1", "-q",
        )  # fmt: skip
        assert "up to date, nothing to do" in again
        assert f"-> {bucket}/run\ninspect with: curate stats {bucket}/run" in again
        assert _listing(s3_server.filesystem(), f"{bucket}/run") == keys
    finally:
        conf.clear()
        conf.update(saved)


def test_storage_option_pairs_parse_and_bad_ones_are_one_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fsspec.config import conf

    from curate.cli._common import storage_options

    saved = {k: dict(v) for k, v in conf.items()}
    monkeypatch.setenv("FSSPEC_GS", "{}")
    try:
        got = storage_options(["token=anon", "a.b=5", "a.c=true"], ["gs://b/run"])
        assert got == {"token": "anon", "a": {"b": 5, "c": True}}
        assert conf["gs"]["token"] == "anon" and json.loads(os.environ["FSSPEC_GS"])
        assert storage_options(None, ["gs://b/run"]) == {}
        with pytest.raises(UserError, match="expected KEY=VALUE"):
            storage_options(["novalue"], ["gs://b/run"])
        with pytest.raises(UserError, match="no input or output is a URL"):
            storage_options(["k=v"], ["/tmp/run"])
    finally:
        conf.clear()
        conf.update(saved)


@pytest.mark.ray
def test_ray_runner_writes_the_same_run_to_s3(s3_server, local_run, ray_cluster) -> None:
    """Ray workers PUT their shard outputs themselves: the storage options reach them with the
    pickled RunDir, whatever environment the (possibly earlier started) Ray workers have."""
    from fsspec.config import conf

    saved = {k: dict(v) for k, v in conf.items()}
    url = s3_server.make_bucket("run-ray") + "/run"
    objstore.configure(["s3"], s3_server.storage_options)
    try:
        report = run_pipeline(_cfg(url, runner="ray"))
        workers = {
            json.loads(p.read_text())["worker"]["pid"]
            for p in (Path(report.run_dir) / "_markers" / "annotate").glob("*.json")
        }
        assert report.did_work and workers and os.getpid() not in workers  # PUT by workers
        assert _outputs(curate.open_run(url)) == _outputs(curate.open_run(local_run))
        assert not run_pipeline(_cfg(url, runner="ray")).did_work
    finally:
        conf.clear()
        conf.update(saved)
