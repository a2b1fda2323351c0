from __future__ import annotations

from pathlib import Path

from curate.engine.runner import LocalRunner, Warmup, make_runner


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
    """Tasks of two pools never share a process, so a whole-run phase does not run on top of
    the per-shard caches; the same pool reuses its processes (one-time setup per worker still
    holds). One pool of the job (the first one used) runs in the processes Ray started with
    the cluster, without the pool variable; every other pool has it set."""
    runner = make_runner("ray", workers=2)
    try:
        shards = runner.map(_pool_of, list(range(8)), pool="pool-shards")
        again = runner.map(_pool_of, list(range(8)), pool="pool-shards")
        other = runner.map(_pool_of, list(range(8)), pool="pool-other")
    finally:
        runner.close()
    assert not {pid for pid, _ in shards} & {pid for pid, _ in other}
    assert len({pid for pid, _ in shards + again}) <= 4  # reused, not one process per task
    seen = {
        name: {pool for _, pool in out}
        for name, out in (("pool-shards", shards), ("pool-other", other))
    }
    for name, pools in seen.items():
        assert pools in ({name}, {""}), seen
    assert seen["pool-other"] == {"pool-other"}  # not the job's first pool


def _slow(seconds: float) -> int:
    import os
    import time

    time.sleep(seconds)
    return os.getpid()


def test_warmup_starts_the_next_pools_processes_before_the_map_ends(ray_cluster: None) -> None:
    """``map(warmup=...)`` starts the next pool's processes (importing its modules) while the
    map's last task runs; the next map in that pool runs in them instead of new ones."""
    import ray

    runner = make_runner("ray", workers=2)
    try:
        runner.map(_slow, [0.1, 3.0, 0.1], pool="pool-a", warmup=Warmup("pool-b", ("json",)))
        warmed = set(ray.get(runner._warming))  # type: ignore[attr-defined]
        after = runner.map(_pool_of, list(range(6)), pool="pool-b")
    finally:
        runner.close()
    assert len(warmed) == 2
    assert {pool for _, pool in after} == {"pool-b"}
    assert {pid for pid, _ in after} & warmed
    one = make_runner("ray", workers=1)  # no worker is ever free while another runs
    try:
        one.map(_slow, [0.1, 0.1], pool="pool-c", warmup=Warmup("pool-d", ("json",)))
        assert one._warming == []  # type: ignore[attr-defined]
    finally:
        one.close()


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
