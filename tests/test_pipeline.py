"""End-to-end engine behaviour: conservation of files, resume, idempotent reruns."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import polars as pl
import pytest

import curate
from curate.config import parse_pipeline
from curate.engine.runner import LocalRunner
from curate.pipeline import run_pipeline

PY = "def add(a, b):\n    '''Add two numbers.'''\n    return a + b\n"
JS = "export function add(a, b) {\n  // add\n  return a + b;\n}\n"


def _make_inputs(root: Path, repos: int = 6) -> Path:
    """A directory of checkouts plus one tar archive; returns the input folder."""
    inputs = root / "inputs"
    for r in range(repos):
        repo = inputs / "checkouts" / f"repo{r}"
        (repo / "src").mkdir(parents=True)
        (repo / "src" / "mod.py").write_text(PY + f"\n# repo {r}\n")
        (repo / "src" / "app.js").write_text(JS + f"// repo {r}\n")
        (repo / "README.md").write_text(f"# repo {r}\n\nSome text.\n")
        (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
        (repo / "node_modules" / "dep").mkdir(parents=True)
        (repo / "node_modules" / "dep" / "index.js").write_text("module.exports = 1;\n")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in [("arch-main/a.py", PY), ("arch-main/b.go", "package main\n")]:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (inputs / "arch-main.tar.gz").write_bytes(buf.getvalue())
    return inputs


def _cfg(inputs: Path, out: Path, parse: dict | None = None, **run: object):
    return parse_pipeline(
        {
            "run": {
                "input": [str(inputs / "checkouts"), str(inputs / "arch-main.tar.gz")],
                "output": str(out),
                "runner": "local",
                "shard_target_bytes": 600,
                **run,
            },
            "annotators": {"parse": parse or {}},
        }
    )


def _snapshot(out: Path) -> dict[str, pl.DataFrame]:
    run = curate.open_run(out)
    frames = {"documents": run.documents, "skipped": run.skipped.drop("shard_id")}
    frames |= {key: run.attributes(key) for key in run.attribute_keys()}
    return {name: lf.collect().sort(lf.collect().columns[0:3]) for name, lf in frames.items()}


def test_every_input_file_is_a_document_or_a_skip(tmp_path: Path) -> None:
    inputs = _make_inputs(tmp_path)
    report = run_pipeline(_cfg(inputs, tmp_path / "run", {"counts": True}), LocalRunner())
    assert report.shards >= 3
    run = curate.open_run(tmp_path / "run")
    docs = run.documents.collect()
    skipped = run.skipped.collect()
    on_disk = [p for p in (inputs / "checkouts").rglob("*") if p.is_file()]
    assert docs.height + skipped["files"].sum() == len(on_disk) + 2  # + the archive members
    assert set(skipped["reason"]) == {"binary", "vendored"}
    assert docs["doc_uid"].n_unique() == docs.height
    assert dict(docs.group_by("language").len().iter_rows()) == {
        "Python": 7,
        "JavaScript": 6,
        "Markdown": 6,
        "Go": 1,
    }
    assert set(docs.filter(pl.col("source_uri").str.ends_with(".tar.gz"))["path"]) == {
        "a.py",
        "b.go",
    }
    parse = run.attributes("parse").collect()
    assert parse.height == docs.height
    assert (
        parse.join(docs, on="doc_uid").filter(pl.col("language") == "Python")[
            "parse_function_count"
        ]
        == 1
    ).all()


def test_second_run_does_no_work(tmp_path: Path) -> None:
    inputs = _make_inputs(tmp_path)
    cfg = _cfg(inputs, tmp_path / "run")
    assert run_pipeline(cfg, LocalRunner()).did_work
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "run").rglob("*") if p.is_file()}
    again = run_pipeline(cfg, LocalRunner())
    assert not again.did_work
    assert again.shards_ingested == 0
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "run").rglob("*") if p.is_file()}
    assert after == before  # not one file written, renamed or removed


def test_new_annotator_config_reannotates_without_reingesting(tmp_path: Path) -> None:
    inputs = _make_inputs(tmp_path)
    run_pipeline(_cfg(inputs, tmp_path / "run"), LocalRunner())
    cfg2 = parse_pipeline(
        {
            "run": {
                "input": [str(inputs / "checkouts"), str(inputs / "arch-main.tar.gz")],
                "output": str(tmp_path / "run"),
                "runner": "local",
                "shard_target_bytes": 600,
            },
            "annotators": {"parse": {"timeout_s": 5.0}},
        }
    )
    report = run_pipeline(cfg2, LocalRunner())
    assert report.shards_ingested == 0
    assert report.shards_annotated == report.shards


def test_interrupted_run_resumes_to_identical_output(tmp_path: Path) -> None:
    inputs = _make_inputs(tmp_path, repos=30)
    reference = tmp_path / "reference"
    run_pipeline(_cfg(inputs, reference), LocalRunner())

    # Really kill a run part-way (SIGKILL, no cleanup), then rerun it.
    out = tmp_path / "killed"
    recipe = tmp_path / "recipe.toml"
    recipe.write_text(
        "[run]\n"
        f"input = [{str(inputs / 'checkouts')!r}, {str(inputs / 'arch-main.tar.gz')!r}]\n"
        f"output = {str(out)!r}\nrunner = 'local'\nshard_target_bytes = 600\n"
        "[annotators.parse]\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", "from curate.cli import main; main()", "run", str(recipe)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    markers = out / "_markers" / "ingest"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if markers.is_dir() and len(list(markers.glob("*.json"))) >= 2:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "run finished before it could be interrupted"
    total = pl.read_parquet(reference / "manifest.parquet").height
    assert len(list(markers.glob("*.json"))) < total

    report = run_pipeline(_cfg(inputs, out), LocalRunner())
    assert 0 < report.shards_ingested < total
    ours, theirs = _snapshot(out), _snapshot(reference)
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert ours[name].equals(theirs[name]), name
    assert not list(out.rglob("*.tmp"))


def test_stats_cli_and_open_run(tmp_path: Path) -> None:
    inputs = _make_inputs(tmp_path)
    run_pipeline(_cfg(inputs, tmp_path / "run"), LocalRunner())
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from curate.cli import main; main()",
            "stats",
            str(tmp_path / "run"),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    data = json.loads(proc.stdout)
    assert data["documents"] == 20
    assert {r["reason"]: r["files"] for r in data["skipped_by_reason"]} == {
        "binary": 6,
        "vendored": 6,
    }
    annotated = curate.open_run(tmp_path / "run").annotated().collect()
    assert "parse_status" in annotated.columns and "content" not in annotated.columns


def test_missing_input_is_a_user_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from curate.cli import main; main()",
            "ingest",
            str(tmp_path / "nope"),
            "--output",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


@pytest.mark.ray
def test_demo_pipeline_on_real_ray(ray_cluster: None, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    from curate.config import load_pipeline

    cfg = load_pipeline(root / "pipelines" / "demo.toml").with_run(
        input=tuple(
            str(root / p) for p in ("examples/repos", "examples/archives", "examples/exports")
        ),
        output=str(tmp_path / "demo"),
        runner="ray",
    )
    report = run_pipeline(cfg)
    assert report.shards > 1 and report.shards_ingested == report.shards
    run = curate.open_run(tmp_path / "demo")
    docs = run.documents.select("language").collect()
    assert docs.height > 50
    assert {"Python", "Java", "Go", "Rust", "TypeScript"} <= set(docs["language"].drop_nulls())
    reasons = set(run.skipped.collect()["reason"])
    assert {"binary", "vendored", "lock_file", "corrupt_archive", "path_traversal"} <= reasons
    assert not run_pipeline(cfg).did_work


def test_empty_input_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    cfg = parse_pipeline(
        {
            "run": {
                "input": [str(tmp_path / "empty")],
                "output": str(tmp_path / "run"),
                "runner": "local",
            }
        }
    )
    from curate.errors import UserError

    with pytest.raises(UserError, match="nothing to ingest"):
        run_pipeline(cfg, LocalRunner())


def test_second_concurrent_run_on_same_output_is_refused(tmp_path: Path) -> None:
    import fcntl

    from curate.errors import UserError

    inputs = _make_inputs(tmp_path, repos=1)
    out = tmp_path / "run"
    out.mkdir()
    with open(out / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process's run, as far as the lock can tell
        with pytest.raises(UserError, match="in use by another curate run"):
            run_pipeline(_cfg(inputs, out), LocalRunner())
    assert run_pipeline(_cfg(inputs, out), LocalRunner()).did_work


def test_curate_mix_waits_for_no_run_it_refuses_a_locked_run(tmp_path: Path) -> None:
    """`curate mix` during a live `curate run` would write a mixture from partial decisions."""
    import fcntl

    from typer.testing import CliRunner

    from curate.cli import _load_commands, app

    out = tmp_path / "run"
    (out / "documents").mkdir(parents=True)
    _load_commands()
    with open(out / ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        res = CliRunner().invoke(app, ["mix", str(out)])
    assert res.exit_code == 1 and "in use by another curate run" in str(res.exception)
    assert not (out / "mixtures").exists()


def test_ray_temp_dir_falls_back_for_long_or_non_ascii_paths(tmp_path: Path) -> None:
    from curate.engine.runner import RayRunner

    runner = object.__new__(RayRunner)  # only the path rule, no cluster
    short = Path("/tmp") / "cr"
    assert runner._own_temp_dir(short) == str(short.resolve())
    for wanted in (tmp_path / ("x" * 60), tmp_path / "runs ü"):
        chosen = runner._own_temp_dir(wanted)
        assert chosen.startswith(tempfile.gettempdir()) and "curate-ray-" in chosen
        assert chosen.isascii() and len(chosen) <= 40
        Path(chosen).rmdir()


def test_an_annotator_whose_output_schema_changes_reruns(tmp_path: Path) -> None:
    """A new column without a version bump must not leave old attribute folders without it:
    the schema is part of the annotator's fingerprint, so the annotator runs again (here the
    real parse@1 then does not write the pretended column, which the engine's check reports)."""
    import pyarrow as pa

    from curate.filters.parse import ParseAnnotator

    inputs = _make_inputs(tmp_path, repos=1)
    cfg = _cfg(inputs, tmp_path / "run")
    run_pipeline(cfg, LocalRunner())
    assert run_pipeline(cfg, LocalRunner()).shards_annotated == 0
    original = ParseAnnotator.output_schema
    ParseAnnotator.output_schema = original.append(pa.field("extra_signal", pa.int64()))
    try:
        with pytest.raises(RuntimeError, match="extra_signal"):
            run_pipeline(cfg, LocalRunner())
    finally:
        ParseAnnotator.output_schema = original
    # The failed attempt wrote no marker and aborted its writers: the previous, complete
    # outputs still match the real schema, so nothing is redone.
    assert run_pipeline(cfg, LocalRunner()).shards_annotated == 0


def test_an_unwritable_output_is_one_clear_error(tmp_path: Path) -> None:
    """(As root a chmod'ed folder is still writable; sysfs is not, for anyone.)"""
    from curate.errors import UserError

    inputs = _make_inputs(tmp_path, repos=1)
    with pytest.raises(UserError, match="cannot write the run directory"):
        run_pipeline(_cfg(inputs, Path("/sys/curate-test/run")), LocalRunner())


def test_runner_shuts_down_while_the_steps_that_do_not_use_it_run(tmp_path: Path) -> None:
    """Ray's shutdown (~1 s of waiting) overlaps the card and the summary: those steps say they
    need no runner, every step before them does, and asking for the runner once it is closing
    is an error rather than a second cluster."""
    from curate.config import load_pipeline
    from curate.engine.shards import ShardSpec
    from curate.pipeline import _LazyRunner, pipeline_steps
    from curate.rundir import RunDir

    root = Path(__file__).resolve().parents[1]
    cfg = load_pipeline(root / "pipelines" / "default.toml").with_run(runner="local")
    steps = pipeline_steps(cfg, [ShardSpec("0" * 16, ())])
    assert [s.name for s in steps if not s.needs_runner] == ["card", "summary"]
    assert all(s.needs_runner for s in steps[: len(steps) - 2])
    runners = _LazyRunner(cfg, RunDir.at(tmp_path / "run"), None)
    assert runners.get().map(abs, [-2]) == [2]
    runners.close(wait=False)
    with pytest.raises(RuntimeError, match="needs_runner"):
        runners.get()
    runners.close()
