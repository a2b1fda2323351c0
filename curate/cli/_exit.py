"""Ending the ``curate`` process without the interpreter's teardown.

When a command has returned, CPython's finalisation frees every module and every object still
alive, one by one: 0.35 CPU-s after a ``curate run`` with nothing to do, ~0.9 after a full run
(numba, polars, pyarrow, pandas, the annotators' caches). The process is ending and the OS takes
its memory back at once, so ``exit_now`` does only the parts of finalisation that anyone can
observe, in the interpreter's order: the threading module's exit hooks and the join of the
non-daemon threads, the ``atexit`` handlers (logging's flush, the object-store mirrors'
clean-up, Ray's shutdown), the flush of stdout and stderr; then ``os._exit``.
``CURATE_TEARDOWN=1`` keeps the full teardown (profilers and leak checkers that report after
``main`` returns, e.g. ``python -m cProfile -m curate.cli``)."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

TEARDOWN_ENV = "CURATE_TEARDOWN"


def exit_code(code: object) -> int:
    """The process exit status ``sys.exit(code)`` gives (a message is printed, status 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def exit_now(code: object = 0) -> None:
    """End the process with ``sys.exit(code)``'s status, skipping the interpreter's teardown
    (``sys.exit`` itself when ``CURATE_TEARDOWN`` is set)."""
    if os.environ.get(TEARDOWN_ENV, "") not in ("", "0"):
        sys.exit(code)
    status = exit_code(code)
    _join_threads()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed, or a closed pipe
            stream.flush()
    os._exit(status)


def _join_threads() -> None:
    """What the interpreter does first at exit: the threading module's exit hooks (idle
    ``concurrent.futures`` workers are told to stop there, or joining them would wait forever),
    then wait for every non-daemon thread."""
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None and threading.current_thread() is threading.main_thread():
        shutdown()
        return
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
