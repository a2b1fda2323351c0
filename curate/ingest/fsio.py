"""fsspec access and streaming decompression shared by the readers."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import posixpath
import zlib
from collections.abc import Iterator
from typing import IO, Any

import fsspec
import zstandard

# Errors a broken or truncated compressed stream / archive may raise while being read.
STREAM_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    zstandard.ZstdError,
    ValueError,
)

_COMPRESSION_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def url_to_fs(uri: str) -> tuple[fsspec.AbstractFileSystem, str]:
    return fsspec.core.url_to_fs(uri)


def is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def display_uri(fs: fsspec.AbstractFileSystem, path: str) -> str:
    """The URI recorded in `source_uri`: a plain path for local files, protocol://... else."""
    return path if is_local(fs) else fs.unstrip_protocol(path)


def basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/"))


def compression_of(head: bytes) -> str | None:
    for magic, name in _COMPRESSION_MAGIC:
        if head.startswith(magic):
            return name
    return None


class ShortReads(io.RawIOBase):
    """`read(n)` returns what one `read1(n)` gives. A buffered decompressor's `read(n)` loops
    until n bytes and drops what it gathered when a truncated stream raises; with short reads
    the consumer (tarfile) keeps every byte decoded before the break."""

    def __init__(self, stream: Any):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self._stream.read()
        return self._stream.read1(size)

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_decompressed(raw: IO[bytes]) -> IO[bytes]:
    """A streaming reader of `raw`'s content, decompressed by its magic bytes (gzip, bz2, xz,
    zstd) or as is. Memory stays bounded by the codecs' windows, not the input size."""
    head = raw.read(6)
    raw.seek(0)
    kind = compression_of(head)
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bz2":
        return bz2.BZ2File(raw)
    if kind == "xz":
        return lzma.LZMAFile(raw)
    if kind == "zstd":
        dctx = zstandard.ZstdDecompressor(max_window_size=1 << 31)
        reader: Any = dctx.stream_reader(raw, read_across_frames=True)
        return io.BufferedReader(reader, buffer_size=1 << 20)
    return raw


def bounded_lines(
    stream: Any, cap: int, chunk: int = 1 << 20
) -> Iterator[tuple[bytes | None, int]]:
    """(line, length) for each line of `stream`, holding at most `cap` + 1 bytes of a line:
    a longer line is consumed in `chunk`-sized pieces and yielded as (None, its length), so a
    line that inflates to gigabytes is never materialised."""
    while True:
        line = stream.readline(cap + 1)
        if not line:
            return
        if len(line) <= cap:
            yield line, len(line)
            continue
        length, complete = len(line), line.endswith(b"\n")
        del line
        while not complete:
            piece = stream.readline(chunk)
            length += len(piece)
            complete = not piece or piece.endswith(b"\n")
        yield None, length
