"""``peak_rss_mb``: the markers' ``max_rss_mb`` is the process's own peak, not its parent's."""

from __future__ import annotations

import subprocess
import sys

import pytest

PARENT = """
import subprocess, sys
big = bytearray(512 * 2**20)
for i in range(0, len(big), 4096):
    big[i] = 1  # touch every page: the parent's peak RSS is > 512 MB
del big
child = (
    "import resource\\n"
    "from curate.engine.stats import peak_rss_mb\\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, peak_rss_mb())\\n"
)
print(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
def test_a_child_of_a_large_parent_reports_its_own_peak() -> None:
    out = subprocess.run([sys.executable, "-c", PARENT], capture_output=True, text=True, check=True)
    ru_maxrss, own = (float(v) for v in out.stdout.split())
    assert ru_maxrss > 500  # the trap: Linux carries the parent's peak across exec
    assert own < 200  # a bare interpreter with curate.engine.stats imported
