"""Runners execute independent units of work (shards, partitions) in-process or on Ray.

Both runners expose one method, ``map``: apply a picklable top-level function to each item and
return the results in item order. Every per-shard and per-partition step of the pipeline goes
through it, so a step never knows whether it runs locally or on a cluster.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tqdm import tqdm

from curate.errors import ConfigError

log = logging.getLogger(__name__)

# Ray's longest socket path below its temp dir is ~65 bytes; Unix socket paths max out at 107.
_MAX_RAY_TEMP_PATH = 40

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Warmup:
    """Worker processes to start for the work that follows a ``map``: their pool and the
    modules its tasks import. Started once every item is handed out and a worker has come free
    while others still run, they are ready when the next step begins instead of starting then
    (~1.5 CPU-s each). With one worker there is no such moment, and none are started: started
    at the end they would race the next step's tasks, which then start processes of their own
    (measured: one extra process, reaped unused)."""

    pool: str = ""
    imports: tuple[str, ...] = ()


class Runner(Protocol):
    workers: int

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        desc: str = "",
        num_cpus: float = 1.0,
        memory_bytes: int | None = None,
        progress: Callable[[R], dict[str, float]] | None = None,
        pool: str = "",
        warmup: Warmup | None = None,
    ) -> list[R]: ...

    def close(self) -> None: ...


POOL_ENV = "CURATE_WORKER_POOL"
"""Set in the worker processes of every pool (``map(pool=...)``) but the first one a cluster
runs, which gets the processes Ray starts with the cluster (see ``RayRunner``)."""

PROGRESS_ENV = "CURATE_PROGRESS"
"""``off`` hides progress; a number is the seconds between lines when stderr is no terminal
(default 5). ``curate run --quiet`` sets ``off``."""


def _progress_interval() -> float | None:
    value = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if value in ("off", "none", "quiet"):
        return None
    try:
        return max(0.0, float(value)) if value else 5.0
    except ValueError:
        return 5.0


class _Progress:
    """Progress over units of work, with counters summed from each result (e.g. files and MB
    per shard) and the MB/s so far: on a terminal one updating tqdm line per step; otherwise a
    plain line on stderr at most every few seconds (and one when the step ends)."""

    def __init__(self, total: int, desc: str, counters: Callable[[Any], dict[str, float]] | None):
        self._interval = _progress_interval()
        tty = self._interval is not None and sys.stderr.isatty()
        self._bar = tqdm(
            total=total, desc=desc or "work", unit="unit", leave=False, disable=not tty
        )
        self._lines = self._interval is not None and not tty
        self._desc, self._total, self._done = desc or "work", total, 0
        self._counters = counters
        self._totals: dict[str, float] = {}
        self._started = self._last = time.perf_counter()

    def _shown(self) -> dict[str, float]:
        """The counters so far; a step that reads no files (dedup's sub-steps) shows none."""
        if not any(self._totals.values()):
            return {}
        shown = {k: round(v, 2) for k, v in self._totals.items()}
        elapsed = time.perf_counter() - self._started
        if "MB" in shown and elapsed > 0:
            shown["MB/s"] = round(self._totals["MB"] / elapsed, 1)
        return shown

    def _line(self) -> None:
        extra = "".join(f", {k} {v:g}" for k, v in self._shown().items())
        elapsed = time.perf_counter() - self._started
        print(
            f"{self._desc}: {self._done}/{self._total} units{extra}, {elapsed:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        self._last = time.perf_counter()

    def done(self, result: Any) -> None:
        self._done += 1
        if self._counters is not None:
            for key, value in self._counters(result).items():
                self._totals[key] = self._totals.get(key, 0) + value
            self._bar.set_postfix(self._shown(), refresh=False)
        self._bar.update(1)
        due = time.perf_counter() - self._last >= (self._interval or 0.0)
        if self._lines and self._done < self._total and due:
            self._line()

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.close()
        if self._lines and self._total and exc[0] is None:
            self._line()


class LocalRunner:
    """Runs every item in this process, in order. For tests, notebooks and tiny inputs."""

    workers = 1

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        desc: str = "",
        num_cpus: float = 1.0,
        memory_bytes: int | None = None,
        progress: Callable[[R], dict[str, float]] | None = None,
        pool: str = "",
        warmup: Warmup | None = None,
    ) -> list[R]:
        results: list[R] = []
        with _Progress(len(items), desc, progress) as bar:
            for item in items:
                results.append(fn(item))
                bar.done(results[-1])
        return results

    def close(self) -> None:
        pass


class RayRunner:
    """Runs items as Ray tasks. ``address=None`` starts an embedded local cluster.

    Worker processes are reused by Ray between tasks, so per-process caches
    (``curate.engine.worker_cache``) give each worker a one-time ``setup``. Ray keeps one set of
    processes per runtime_env; a pool (``map(pool=...)``) is a runtime_env with ``POOL_ENV``
    set, except the first pool of a job, which runs with none: Ray starts those processes
    with the cluster (one per CPU), so the first step does not wait for new ones.
    """

    def __init__(
        self,
        *,
        address: str | None = None,
        workers: int | None = None,
        temp_dir: str | os.PathLike[str] | None = None,
        dashboard: bool = False,
    ):
        import ray

        self._ray = ray
        self._owns_cluster = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": dashboard,
                "log_to_driver": True,
                "configure_logging": False,
            }
            if address:
                check_address(address)
                kwargs["address"] = address
                # Workers on other nodes may not have curate installed: ship this package.
                kwargs["runtime_env"] = {"py_modules": [_package_dir()]}
            else:
                kwargs["num_cpus"] = workers or os.cpu_count() or 1
                kwargs["_temp_dir"] = self._own_temp_dir(temp_dir)
            log.info("starting Ray (%s)", address or "embedded local cluster")
            _drop_banners()
            try:
                ray.init(**kwargs)
            except (ConnectionError, TimeoutError, RuntimeError, ValueError) as err:
                if not address:
                    raise
                raise ConfigError(
                    f"--address {address}: cannot join the Ray cluster ({err})"
                ) from None
            self._owns_cluster = True
        total = int(ray.cluster_resources().get("CPU", 1))
        self.workers = min(workers, total) if workers else total
        self._warming: list[Any] = []  # the refs of the last warm-up's tasks

    def map(
        self,
        fn: Callable[[T], R],
        items: Sequence[T],
        *,
        desc: str = "",
        num_cpus: float = 1.0,
        memory_bytes: int | None = None,
        progress: Callable[[R], dict[str, float]] | None = None,
        pool: str = "",
        warmup: Warmup | None = None,
    ) -> list[R]:
        ray = self._ray
        # Retry a task whose worker process or node died (system failure); an exception raised
        # by the unit itself is a bug or bad input and is not retried (retry_exceptions=False).
        options: dict[str, Any] = {
            "num_cpus": num_cpus,
            "max_retries": 2,
            "retry_exceptions": False,
        }
        if memory_bytes:
            options["memory"] = memory_bytes
        # Ray keeps one set of worker processes per runtime_env: tasks of another pool never
        # run in a process that holds this pool's caches, and Ray ends the idle ones.
        options.update(self._pool_options(pool))
        remote = ray.remote(fn).options(**options)
        # Keep at most `workers` tasks in flight so --workers bounds parallelism.
        pending: dict[Any, int] = {}
        results: list[Any] = [None] * len(items)
        queue = iter(enumerate(items))
        with _Progress(len(items), desc, progress) as bar:
            for index, item in _take(queue, self.workers):
                pending[remote.remote(item)] = index
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    index = pending.pop(ref)
                    results[index] = ray.get(ref)
                    bar.done(results[index])
                for index, item in _take(queue, len(done)):
                    pending[remote.remote(item)] = index
                if warmup is not None and 0 < len(pending) < self.workers:
                    self._warm(warmup, list(pending))
                    warmup = None
        return results

    def _pool_options(self, pool: str) -> dict[str, Any]:
        """The task options that put a task in ``pool``'s worker processes."""
        job = self._ray.get_runtime_context().get_job_id()
        if _FIRST_POOL.setdefault(job, pool) == pool:
            return {}
        return {"runtime_env": {"env_vars": {POOL_ENV: pool}}}

    def _warm(self, warmup: Warmup, running: list[Any]) -> None:
        """Start ``workers`` processes of ``warmup.pool`` with zero-CPU tasks that import
        ``warmup.imports`` while the ``running`` tasks finish, and stay busy until they have:
        Ray ends idle workers beyond one per CPU, and would end these before the next step."""
        options = {"num_cpus": 0, "max_retries": 0, **self._pool_options(warmup.pool)}
        remote = self._ray.remote(_warm_up).options(**options)
        self._warming = [remote.remote(warmup.imports, running) for _ in range(self.workers)]

    def _own_temp_dir(self, wanted: str | os.PathLike[str] | None) -> str:
        """Ray's session folder. Ray puts Unix sockets there (at most 107 bytes of path, ASCII
        only), so a long or non-ASCII ``wanted`` path is replaced by a fresh folder in /tmp."""
        self._made_temp: str | None = None
        if wanted is not None:
            path = str(Path(wanted).resolve())
            if path.isascii() and len(path.encode()) <= _MAX_RAY_TEMP_PATH:
                Path(path).mkdir(parents=True, exist_ok=True)
                return path
        self._made_temp = tempfile.mkdtemp(prefix="curate-ray-")
        return self._made_temp

    def close(self) -> None:
        if self._owns_cluster and self._ray.is_initialized():
            self._ray.shutdown()
        made = getattr(self, "_made_temp", None)
        if made:
            shutil.rmtree(made, ignore_errors=True)


_FIRST_POOL: dict[str, str] = {}
"""Ray job id -> the pool that runs in the job's runtime_env (the processes Ray prestarts)."""


def _warm_up(modules: tuple[str, ...], running: list[Any]) -> int:
    """A warm-up task: import what the next step's tasks need, then wait for the ``running``
    tasks (object refs in a list, so Ray passes them unresolved); the worker's process id. A
    module that does not import is left to the task that needs it (which reports the error)."""
    import importlib

    import ray

    for name in modules:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    ray.wait(running, num_returns=len(running), fetch_local=False)
    return os.getpid()


_BANNERS = (
    "Token authentication is enabled for this Ray cluster",
    # ray.init from a RunnerThread: the thread that built it set the same handler
    "SIGTERM handler is not set because current thread is not the main thread",
)
"""Lines Ray logs at start-up that tell a curate user nothing (quiet by default)."""


class _DropBanners(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(_BANNERS)


def _drop_banners() -> None:
    """Keep ``_BANNERS`` off stderr: a filter on every logger of Ray's (``ray``, ``ray.*``)
    that exists once ``ray`` is imported (they do not propagate to curate's root logger, and
    during ``ray.init`` they print through ``logging.lastResort``, out of reach of a handler)."""
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.partition(".")[0] != "ray" or not isinstance(logger, logging.Logger):
            continue
        if not any(isinstance(f, _DropBanners) for f in logger.filters):
            logger.addFilter(_DropBanners())


class RunnerThread:
    """A runner built, and later closed, in a thread of its own, so that it starts while the
    caller does other work (Ray's embedded cluster takes seconds: its processes, then the
    prestarted workers). The thread lives until ``close``: Ray starts its processes with
    ``PR_SET_PDEATHSIG``, which Linux delivers when the *thread* that started them ends
    (measured: after ``ray.init`` in a thread that then returned, the GCS was killed at once
    and the next task failed). It is not a daemon thread, so a process that ends early (an
    error found meanwhile, reported at once) still shuts the cluster down before it exits."""

    def __init__(self, build: Callable[[], Runner]):
        self._built = threading.Event()
        self._release = threading.Event()
        self._runner: Runner | None = None
        self._error: BaseException | None = None
        if threading.current_thread() is threading.main_thread():
            # what ray.init sets when it runs in the main thread: SIGTERM ends the process
            # through SystemExit, so the cluster is shut down on the way out
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(signum))
        self._thread = threading.Thread(
            target=self._own, args=(build,), name="curate-runner", daemon=False
        )
        self._thread.start()

    def _own(self, build: Callable[[], Runner]) -> None:
        try:
            self._runner = build()
        except BaseException as err:  # re-raised by get(), in the caller's thread
            self._error = err
        finally:
            self._built.set()
        if self._runner is not None:
            self._release.wait()
            self._runner.close()

    def get(self) -> Runner:
        """The runner, once built (waits for it); what building it raised, if it failed."""
        self._built.wait()
        if self._error is not None:
            raise self._error
        assert self._runner is not None
        return self._runner

    def close(self, *, wait: bool = True) -> None:
        """Close the runner (in its thread, once built); ``wait``: until it is closed."""
        self._release.set()
        if wait:
            self._thread.join()


def _package_dir() -> str:
    """The folder of the ``curate`` package this driver runs (shipped to cluster workers)."""
    return str(Path(__file__).resolve().parents[1])


def check_address(address: str, timeout_s: float = 5.0) -> None:
    """A ConfigError (exit 2), within ``timeout_s``, when a Ray ``address`` cannot be reached: a TCP
    connection to its host and port (``auto`` asks Ray for the local cluster instead)."""
    if address in ("auto", "local"):
        return
    target = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(f"--address {address}: expected host:port, ray://host:port or auto")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
            pass
    except OSError as err:
        raise ConfigError(
            f"--address {address}: no Ray cluster answers there ({err.strerror or err})"
        ) from None


def _take(it: Iterable[tuple[int, T]], n: int) -> list[tuple[int, T]]:
    out = []
    for _ in range(n):
        try:
            out.append(next(it))  # type: ignore[call-overload]
        except StopIteration:
            break
    return out


def make_runner(
    kind: str,
    *,
    address: str | None = None,
    workers: int | None = None,
    temp_dir: str | os.PathLike[str] | None = None,
    dashboard: bool = False,
) -> Runner:
    """Build the runner a pipeline asked for (``local`` or ``ray``)."""
    if kind == "local":
        return LocalRunner()
    if kind == "ray":
        return RayRunner(address=address, workers=workers, temp_dir=temp_dir, dashboard=dashboard)
    raise ValueError(f"unknown runner {kind!r} (expected 'local' or 'ray')")
