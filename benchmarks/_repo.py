"""The repository root, put first on ``sys.path``.

Benchmarks run as ``python benchmarks/x.py`` from the repository root, so Python puts
``benchmarks/`` (not the root) on the path. ``from _repo import ROOT`` at the top of a script
makes ``curate`` and ``tests.support`` (the synthetic data generators) import from this checkout.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
