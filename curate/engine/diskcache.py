"""Per-machine disk cache for expensive per-worker builds (license references, Hyperscan
databases): built once, then memory-mapped by every later worker process.

A cached build is a set of named numpy arrays in one file::

    b"CURATEC1" | header length (uint64 LE) | JSON header | zero padding | data

The JSON header lists each array's name, dtype, shape and offset (64-byte aligned) in the data
region, the CRC-32 of that region and the cache key. Loading maps the file read-only and wraps
the arrays around the mapping without copying (``np.frombuffer``), so a load costs a CRC pass
and no per-object unpickling, and the pages are shared by the worker processes of a node.

The file name carries a key hashed from everything the build depends on (the caller passes,
e.g., a digest of the reference data and of the code that builds from it), so an upgrade never
reads a stale file. Writes are atomic (temp file + rename). A file that is truncated, corrupt
(CRC), written for another key, or that the caller's ``load`` rejects (a Hyperscan database for
another platform) is logged, rebuilt and overwritten, never trusted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import mmap
import os
import struct
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")
Arrays = Mapping[str, np.ndarray]

log = logging.getLogger(__name__)

MAGIC = b"CURATEC1"
"""File magic; the trailing digit is the layout version (part of every key)."""
_ALIGN = 64
_LEN = struct.Struct("<Q")

stats = {"hits": 0, "builds": 0}
"""Counters so tests can tell a cache read from a rebuild without timing."""


def cache_dir() -> Path:
    """``$CURATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/code-curate`` (``~/.cache/code-curate``)."""
    env = os.environ.get("CURATE_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "code-curate"


def package_version(name: str) -> str:
    try:
        return f"{name}={version(name)}"
    except PackageNotFoundError:
        return f"{name}=none"


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (reference data, or the source of the code that builds)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def cache_key(name: str, parts: Iterable[str]) -> str:
    text = "\x00".join([MAGIC.decode(), name, *parts])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def cache_path(name: str, parts: Iterable[str]) -> Path:
    return cache_dir() / f"{name}-{cache_key(name, parts)}.bin"


def cached_arrays(
    name: str,
    parts: Iterable[str],
    build: Callable[[], Arrays],
    load: Callable[[Arrays], T],
    *,
    min_build_s: float = 0.0,
) -> T:
    """``load(arrays)`` for the arrays cached under ``name`` + ``parts``, building (and writing)
    them when there is no usable file. ``load`` turns arrays into the value the caller keeps;
    an exception from it on a cached file means "unusable here": rebuild. A build that took
    less than ``min_build_s`` CPU seconds is not written (not worth a file)."""
    parts = list(parts)
    key = cache_key(name, parts)
    path = cache_dir() / f"{name}-{key}.bin"
    try:
        arrays = read_arrays(path, key)
    except FileNotFoundError:
        pass
    except Exception as exc:  # any unreadable file is rebuilt
        log.warning("disk cache %s unreadable (%s); rebuilding", path, exc)
    else:
        try:
            value = load(arrays)
        except Exception as exc:
            log.warning("disk cache %s not usable here (%s); rebuilding", path, exc)
        else:
            stats["hits"] += 1
            return value
    started = time.process_time()
    arrays = dict(build())
    stats["builds"] += 1
    if time.process_time() - started >= min_build_s:
        try:
            write_arrays(path, key, arrays)
        except OSError as exc:  # a read-only cache dir only costs the rebuild next time
            log.info("disk cache %s not written (%s)", path, exc)
    return load(arrays)


def write_arrays(path: Path, key: str, arrays: Arrays) -> None:
    """Write ``arrays`` atomically to ``path`` in the layout of the module docstring."""
    entries = []
    offset = 0
    contiguous = {}
    for name, array in arrays.items():
        if array.dtype.hasobject:
            raise ValueError(f"array {name!r} holds Python objects; only plain dtypes cache")
        array = np.ascontiguousarray(array)
        contiguous[name] = array
        offset = -(-offset // _ALIGN) * _ALIGN
        entries.append([name, array.dtype.str, list(array.shape), offset, array.nbytes])
        offset += array.nbytes
    crc = 0
    chunks: list[bytes | memoryview] = []
    position = 0
    for (_, _, _, start, _), array in zip(entries, contiguous.values(), strict=True):
        pad = b"\x00" * (start - position)
        data = memoryview(array).cast("B")
        crc = zlib.crc32(data, zlib.crc32(pad, crc))
        chunks += [pad, data]
        position = start + array.nbytes
    header = json.dumps({"key": key, "arrays": entries, "crc32": crc, "size": position}).encode()
    head = MAGIC + _LEN.pack(len(header)) + header
    head += b"\x00" * (-len(head) % _ALIGN)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(head)
            for chunk in chunks:
                fh.write(chunk)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_arrays(path: Path, key: str) -> dict[str, np.ndarray]:
    """The arrays of ``path``, read-only views of a memory map; ``ValueError`` when the file is
    not a complete, intact cache file for ``key``."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < len(MAGIC) + _LEN.size:
            raise ValueError(f"truncated ({size} bytes)")
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    view = memoryview(mapped)
    if view[: len(MAGIC)] != MAGIC:
        raise ValueError("not a cache file")
    (length,) = _LEN.unpack(view[len(MAGIC) : len(MAGIC) + _LEN.size])
    end = len(MAGIC) + _LEN.size + length
    if end > size:
        raise ValueError("truncated header")
    header = json.loads(bytes(view[len(MAGIC) + _LEN.size : end]))
    if header.get("key") != key:
        raise ValueError("written for another key")
    start = end + (-end % _ALIGN)
    if size != start + header["size"]:
        raise ValueError(f"size {size} != {start + header['size']}")
    if zlib.crc32(view[start:]) != header["crc32"]:
        raise ValueError("checksum mismatch")
    out = {}
    for name, dtype, shape, offset, nbytes in header["arrays"]:
        dt = np.dtype(dtype)
        count = nbytes // dt.itemsize if dt.itemsize else 0
        array = np.frombuffer(mapped, dtype=dt, count=count, offset=start + offset)
        out[name] = array.reshape(shape)
    view.release()
    return out


def pack_strings(strings: Iterable[str]) -> dict[str, np.ndarray]:
    """Strings as one UTF-8 blob (``"blob"``) + character offsets (``"offsets"``)."""
    items = list(strings)
    text = "".join(items)
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in items], out=offsets[1:])
    return {"blob": np.frombuffer(text.encode("utf-8"), dtype=np.uint8), "offsets": offsets}


def unpack_strings(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8")
    bounds = offsets.tolist()
    return [text[a:b] for a, b in itertools.pairwise(bounds)]
