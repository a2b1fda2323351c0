"""GzipStream and ForwardReader against the standard library's gzip and tarfile."""

from __future__ import annotations

import gzip
import io
import os
import tarfile

import pytest

from curate.ingest.streams import ForwardReader, GzipStream
from curate.ingest.tarheaders import FastTarInfo


def _inflate_all(data: bytes, size: int = 1000) -> bytes:
    stream = GzipStream(io.BytesIO(data), chunk=97)  # tiny input chunks: many refills
    return b"".join(iter(lambda: stream.read(size), b""))


def test_gzip_stream_matches_gzip_on_members_and_padding() -> None:
    payload = os.urandom(50_000) + b"text " * 20_000
    one = gzip.compress(payload)
    multi = gzip.compress(payload[:30_000]) + b"\0" * 700 + gzip.compress(payload[30_000:])
    for data in (one, multi):
        assert gzip.decompress(data) == payload
        assert _inflate_all(data) == payload
        assert GzipStream(io.BytesIO(data)).read() == payload


def test_gzip_stream_truncated_keeps_bytes_then_raises_eoferror() -> None:
    payload = os.urandom(200_000)
    data = gzip.compress(payload)[:100_000]
    stream = GzipStream(io.BytesIO(data), chunk=4096)
    got = bytearray()
    with pytest.raises(EOFError, match="end-of-stream marker"):
        while True:
            got += stream.read(1 << 16)
    assert len(got) > 90_000  # everything inflated before the cut was handed out
    assert bytes(got) == payload[: len(got)]


def test_gzip_stream_corrupt_raises_a_stream_error() -> None:
    from curate.ingest.fsio import STREAM_ERRORS

    data = gzip.compress(b"x" * 10_000)
    bad = data[:12] + b"\xff" * 40 + data[52:]
    with pytest.raises(STREAM_ERRORS):
        _inflate_all(bad)


def test_forward_reader_reads_tells_and_only_seeks_forward() -> None:
    data = bytes(range(256)) * 4000
    reader = ForwardReader(io.BytesIO(data), chunk=1000)
    assert reader.read(10) == data[:10]
    assert reader.read(5000) == data[10:5010]
    assert reader.tell() == 5010
    assert reader.seek(9000) == 9000
    assert reader.read(3) == data[9000:9003]
    assert reader.seek(9010) == 9010  # within the buffered chunk
    assert reader.read(2) == data[9010:9012]
    assert reader.seek(3, io.SEEK_CUR) == 9015
    with pytest.raises(io.UnsupportedOperation):
        reader.seek(100)
    assert reader.read() == data[9015:]
    assert reader.read(1) == b""
    assert reader.tell() == len(data)
    assert reader.seek(len(data) + 100) == len(data)  # past the end: stops there


def test_tarfile_over_forward_reader_gives_the_stream_mode_members(tmp_path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for i in range(40):
            body = os.urandom(i * 997)
            info = tarfile.TarInfo(f"pkg/{'deep/' * (i % 30)}f{i}.bin")
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    data = gzip.compress(buf.getvalue())
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|gz") as ref:
        expected = [(m.name, m.size, ref.extractfile(m).read()) for m in ref]
    tf = tarfile.TarFile(
        fileobj=ForwardReader(GzipStream(io.BytesIO(data))), mode="r", tarinfo=FastTarInfo
    )
    got = [(m.name, m.size, tf.extractfile(m).read()) for m in tf]
    assert got == expected
