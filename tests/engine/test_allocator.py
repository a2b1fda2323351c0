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
