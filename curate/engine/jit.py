"""numba helpers shared by the compiled kernels (quality statistics, decontamination tokens).

``compiled`` is ``numba.njit`` with numba's on-disk cache where a cache directory is writable
(a process then loads a kernel instead of compiling it); ``readonly`` gives every kernel one
array variant to compile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np


def compiled(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit`` with numba's on-disk cache where a cache directory is writable; numba
    refuses to decorate with ``cache=True`` where none is (read-only install and home), and
    then each process compiles for itself."""

    def wrap(func: Callable[..., Any]) -> Any:
        try:
            return numba.njit(cache=True, nogil=True, **options)(func)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(nogil=True, **options)(func)

    return wrap


def readonly(data: np.ndarray) -> np.ndarray:
    """A read-only view of ``data``: numba compiles a kernel separately for writable and
    read-only arrays (Arrow buffers from Parquet are writable, those over Python ``bytes`` are
    not), so every entry point passes read-only bytes and one variant serves both."""
    if not data.flags.writeable:
        return data
    view = data.view()
    view.flags.writeable = False
    return view
