"""``worker_cache.tune_allocator``: applied once per process on glibc, a no-op result elsewhere."""

from __future__ import annotations

import platform
import subprocess
import sys


def test_tune_allocator_applies_once_on_glibc() -> None:
    code = (
        "from curate.engine import worker_cache as w\n"
        "first = w.tune_allocator()\n"
        "second = w.tune_allocator()\n"
        "print(first, second, len([k for k in w._CACHE if k == ('tune_allocator',)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, second, entries = out.stdout.split()
    expected = str(platform.libc_ver()[0] == "glibc")
    assert (first, second, entries) == (expected, expected, "1")


def test_heap_keep_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from curate.engine import worker_cache as w

    monkeypatch.delenv(w.HEAP_KEEP_ENV, raising=False)
    assert w.heap_keep_bytes() == w.HEAP_KEEP_BYTES == 64 * 2**20
    monkeypatch.setenv(w.HEAP_KEEP_ENV, "128")
    assert w.heap_keep_bytes() == 128 * 2**20
    monkeypatch.setenv(w.HEAP_KEEP_ENV, "0")  # glibc's defaults
    assert w.heap_keep_bytes() == 0
    monkeypatch.setenv(w.HEAP_KEEP_ENV, "lots")  # not a number: the default, no crash
    assert w.heap_keep_bytes() == w.HEAP_KEEP_BYTES


def test_heap_keep_zero_leaves_the_allocator_alone() -> None:
    code = "from curate.engine import worker_cache as w\nprint(w.tune_allocator())\n"
    env = {**__import__("os").environ, "CURATE_HEAP_KEEP_MB": "0"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "False"
