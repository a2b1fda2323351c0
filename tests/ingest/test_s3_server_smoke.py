"""The session's S3 test server is real: s3fs writes an object and reads it back over HTTP."""

from __future__ import annotations


def test_s3_server_round_trip(s3_server) -> None:
    bucket = s3_server.make_bucket("smoke")
    fs = s3_server.filesystem()
    fs.pipe(f"{bucket}/a/b.txt", b"hello")
    assert fs.cat(f"{bucket}/a/b.txt") == b"hello"
    assert fs.ls(f"{bucket}/a") == ["smoke/a/b.txt"]
    assert not fs.exists(f"{bucket}/missing")
