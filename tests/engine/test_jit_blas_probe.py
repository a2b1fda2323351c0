"""Loading the numba kernels does not import SciPy's linear algebra (numba's BLAS probe), and
SciPy still imports normally afterwards."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_CHILD = """
import sys
import numpy as np
from curate.engine.jit import compiled

@compiled()
def total(a):
    s = 0
    for v in a:
        s += v
    return s

assert total(np.arange(5)) == 10
print("linalg" if "scipy.linalg" in sys.modules else "no-linalg")
import scipy.linalg.cython_blas  # noqa: F401  (the probe's module entry is gone)
print("scipy-ok")
"""


@pytest.mark.skipif(importlib.util.find_spec("scipy") is None, reason="SciPy not installed")
def test_kernels_load_without_scipy_linalg(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert out.stdout.split() == ["no-linalg", "scipy-ok"]
