from __future__ import annotations

from pathlib import Path

from curate.engine.runner import LocalRunner, make_runner


def _square(x: int) -> int:
    return x * x


def test_local_runner_keeps_item_order() -> None:
    assert LocalRunner().map(_square, [3, 1, 2]) == [9, 1, 4]


def test_ray_runner_on_real_cluster(ray_cluster: None) -> None:
    runner = make_runner("ray", workers=2)
    try:
        assert runner.map(_square, list(range(20))) == [i * i for i in range(20)]
    finally:
        runner.close()  # does not stop the session's cluster: the runner did not start it
    import ray

    assert ray.is_initialized()


def _pool_of(_: int) -> tuple[int, str]:
    import os

    return os.getpid(), os.environ.get("CURATE_WORKER_POOL", "")


def test_a_named_pool_runs_in_its_own_worker_processes(ray_cluster: None) -> None:
    """Tasks of pool "shards" never share a process with tasks of the default pool, so a
    whole-run phase does not run on top of the per-shard caches; the same pool reuses its
    processes (one-time setup per worker still holds)."""
    runner = make_runner("ray", workers=2)
    try:
        shards = runner.map(_pool_of, list(range(8)), pool="shards")
        again = runner.map(_pool_of, list(range(8)), pool="shards")
        default = runner.map(_pool_of, list(range(8)))
    finally:
        runner.close()
    assert {pool for _, pool in shards} == {"shards"}
    assert {pool for _, pool in default} == {""}
    assert not {pid for pid, _ in shards} & {pid for pid, _ in default}
    assert len({pid for pid, _ in shards + again}) <= 4  # reused, not one process per task


def test_unreachable_or_malformed_address_is_one_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A wrong --address fails at once with exit 2 and writes nothing (no Ray started)."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    src = tmp_path / "in" / "repo"
    src.mkdir(parents=True)
    (src / "a.py").write_text("x = 1\n")
    for address, words in (
        (f"127.0.0.1:{port}", "no Ray cluster answers"),
        ("nonsense", "expected host:port"),
    ):
        out = tmp_path / f"run-{len(words)}"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "curate.cli", "run", "pipelines/demo.toml", "--input", str(src),
             "--output", str(out), "--address", address],
            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2], timeout=60,
        )  # fmt: skip
        assert time.monotonic() - started < 10
        assert done.returncode == 2, done.stderr
        assert words in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert not out.exists()
