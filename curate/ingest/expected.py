"""A source's expected work for scheduling: its uncompressed bytes, read from the few bytes
a format keeps about its content size, without decompressing anything.

Why: shard units start largest first (``Step.unit_weight``), and the compressed size is a
poor measure of their work — gzip ratios of the e2e archives run from 2.9x (sphinx) to 9.5x
(pygments), so numpy (20.2 MB compressed) and sqlalchemy (9.6 MB) hold the same ~60 MB. Where a
format records its content size, that is the estimate:

* gzip: the ISIZE trailer (the last member's length mod 2**32, sanity-checked below),
* zstd: the first frame's content size, when the frame header has one,
* xz: the sum of the uncompressed sizes in the last stream's index,
* zip: the central directory's file sizes; Parquet: the row groups' uncompressed sizes,
* plain files and directories: their bytes.

Anything else (bz2, a zstd frame without a size, git packs, a trailer that fails the check)
is its size times ``TYPICAL_RATIO``. The estimate orders units only: shard ids, the plan and
every output depend on ``SourceSpec.size_bytes`` alone.
"""

from __future__ import annotations

import math
import struct
import zipfile
from typing import Any

from curate.ingest.fsio import compression_of, is_local

TYPICAL_RATIO = 5
"""Uncompressed / compressed bytes assumed when a format keeps no content size (the median
gzip ratio of the e2e source archives is ~5.5)."""
MAX_RATIO = 32
"""A recorded content size above this many times the compressed size is not believed (a
truncated file's last bytes, a multi-member gzip's last member)."""
REMOTE_MIN_BYTES = 1 << 20
"""On an object store, only sources this large get their trailer read (one ranged GET): the
small ones barely move the order and would cost a request each."""
_WRAP = 1 << 32
_SLACK = 1024  # headers and stored-block overhead of incompressible content


def plausible_size(recorded: int, size: int, modulus: int | None = None) -> int | None:
    """``recorded`` as a content size of ``size`` compressed bytes, or None when implausible
    (below ``size`` less slack, or over ``MAX_RATIO`` x ``size``). With ``modulus`` (gzip's
    ISIZE is the length mod 2**32) the candidates are ``recorded + k * modulus``; of those in
    the plausible range, the one nearest (by ratio) to ``TYPICAL_RATIO`` x ``size``. Below
    ~128 MiB compressed at most one candidate is in range, so the answer is exact there."""
    low, high = max(0, size - size // 64 - _SLACK), MAX_RATIO * max(size, 1)
    if modulus is None:
        return recorded if low <= recorded <= high else None
    first = recorded + max(0, -(-(low - recorded) // modulus)) * modulus
    candidates = range(first, high + 1, modulus)
    if not candidates:
        return None
    target = TYPICAL_RATIO * max(size, 1)
    return min(candidates, key=lambda c: abs(math.log(max(c, 1) / target)))


def gzip_size(tail: bytes, size: int) -> int | None:
    """A gzip file's content size from its last 4 bytes (ISIZE, little-endian)."""
    if len(tail) < 4:
        return None
    (isize,) = struct.unpack("<I", tail[-4:])
    return plausible_size(isize, size, _WRAP)


def zstd_size(head: bytes) -> int | None:
    """The first zstd frame's Frame_Content_Size, or None when the header has none (RFC 8878
    3.1.1.1)."""
    if len(head) < 5 or head[:4] != b"\x28\xb5\x2f\xfd":
        return None
    fhd = head[4]
    fcs_flag, single, dict_flag = fhd >> 6, (fhd >> 5) & 1, fhd & 3
    width = (1 if single else 0, 2, 4, 8)[fcs_flag]
    if not width:
        return None
    start = 5 + (0 if single else 1) + (0, 1, 2, 4)[dict_flag]
    field = head[start : start + width]
    if len(field) < width:
        return None
    value = int.from_bytes(field, "little")
    return value + 256 if width == 2 else value


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift <= 63:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("truncated varint")


def xz_size(tail: bytes) -> int | None:
    """The uncompressed bytes of an xz file's last stream, from its index (``tail`` ends with
    the 12-byte stream footer; the xz file format 1.2.1, sections 2.1.2.2 and 4)."""
    if len(tail) < 12 or tail[-2:] != b"YZ":
        return None
    backward = (struct.unpack("<I", tail[-8:-4])[0] + 1) * 4
    index = tail[-12 - backward : -12]
    if len(index) != backward or index[:1] != b"\x00":
        return None
    try:
        records, pos = _varint(index, 1)
        total = 0
        for _ in range(records):
            _, pos = _varint(index, pos)  # unpadded size
            uncompressed, pos = _varint(index, pos)
            total += uncompressed
    except ValueError:
        return None
    return total


def _compressed_size(raw: Any, size: int) -> int | None:
    """The content size a compressed stream records, None when it records none we trust."""
    head = raw.read(18)
    codec = compression_of(head)
    if codec is None:
        return size
    if codec == "zstd":
        recorded = zstd_size(head)
        return None if recorded is None else plausible_size(recorded, size)
    if codec not in ("gzip", "xz"):
        return None
    raw.seek(max(0, size - (4 if codec == "gzip" else 1 << 16)))
    tail = raw.read()
    if codec == "gzip":
        return gzip_size(tail, size)
    recorded = xz_size(tail)
    return None if recorded is None else plausible_size(recorded, size)


def expected_bytes(fs: Any, path: str, kind: str, size: int) -> int:
    """Expected uncompressed bytes of the file source ``path`` (``size`` bytes, of ``kind``):
    what its work scales with. Never raises: an unreadable file gets the fallback."""
    if kind in ("git", "git_bundle"):  # packs and loose objects: zlib-compressed
        return size * TYPICAL_RATIO
    if not is_local(fs) and size < REMOTE_MIN_BYTES:
        return size if kind == "directory" else size * TYPICAL_RATIO
    if kind == "directory":
        return size
    recorded: int | None = None
    try:
        with fs.open(path, "rb") as raw:
            if kind == "zip":
                infos = zipfile.ZipFile(raw).infolist()
                recorded = sum(0 if i.is_dir() else i.file_size for i in infos)
            else:  # tar, jsonl (parquet parts carry their own estimate)
                recorded = _compressed_size(raw, size)
    except Exception:  # the reader records it as unreadable or corrupt
        recorded = None
    return size * TYPICAL_RATIO if recorded is None else recorded


__all__ = ["TYPICAL_RATIO", "expected_bytes", "gzip_size", "plausible_size", "xz_size"]
