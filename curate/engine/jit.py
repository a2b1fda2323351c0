"""Shared helpers of the numba kernels (``curate.filters.quality.kernels``,
``curate.dedup.minhash_kernels``, ``curate.dedup.decontam_scan``, ``curate.engine.xxh3``): one
way to compile with numba's on-disk cache, and the unaligned 64-bit view the byte-walking
kernels load words through."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

_BLAS_PROBE = "scipy.linalg.cython_blas"


def _load_numpy_support_without_blas() -> None:
    """Import numba's NumPy support (``numba.np.arraymath``, loaded anyway by the first kernel
    compile or cache load) with its BLAS probe answered "no". The probe imports
    ``scipy.linalg`` (~0.16 CPU-s, a third of a warm worker's annotator set-up) only so that
    ``np.dot`` and ``np.linalg`` compile; no kernel here uses them (one that does fails to
    compile, loudly). Where SciPy's BLAS is already imported the probe is free and runs."""
    if _BLAS_PROBE in sys.modules:
        return
    sys.modules[_BLAS_PROBE] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        if sys.modules.get(_BLAS_PROBE, 0) is None:
            del sys.modules[_BLAS_PROBE]


_load_numpy_support_without_blas()


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


def unaligned_u64(data: np.ndarray) -> np.ndarray:
    """A view where element ``i`` is the little-endian uint64 of ``data[i:i+8]`` (zero-padded
    past the end): one load reads a word's first (or last) eight bytes."""
    padded = np.concatenate([data, np.zeros(8, np.uint8)])
    return _words(padded, data.size)


def with_loads(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A writable copy of ``data`` and its ``unaligned_u64`` view over the same memory: a
    kernel reading bytes through the first and words through the second touches one buffer
    (the bytes it just tokenised are in cache), and bytes it writes are hashed as written."""
    padded = np.concatenate([data, np.zeros(8, np.uint8)])
    return padded[: data.size], _words(padded, data.size)


def _words(padded: np.ndarray, size: int) -> np.ndarray:
    return np.ndarray(shape=(size,), dtype="<u8", buffer=padded, offset=0, strides=(1,))


def readonly(data: np.ndarray) -> np.ndarray:
    """A read-only view of ``data``: numba compiles a kernel separately for writable and
    read-only arrays (Arrow buffers from Parquet are writable, those over Python ``bytes`` are
    not), so every entry point passes read-only bytes and one variant serves both."""
    if not data.flags.writeable:
        return data
    view = data.view()
    view.flags.writeable = False
    return view


ASCII_WORD_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"


def byte_table(members: bytes, *, non_ascii: bool = False) -> np.ndarray:
    """A 256-entry boolean table, true for the bytes in ``members`` (and for every byte >= 0x80
    when ``non_ascii``): how the byte-walking kernels test a byte's class in one load."""
    table = np.zeros(256, np.bool_)
    table[np.frombuffer(members, np.uint8)] = True
    if non_ascii:
        table[0x80:] = True
    return table
