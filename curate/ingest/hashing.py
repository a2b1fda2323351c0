"""Content hashes compatible with git, so a file can be traced to GitHub / Software Heritage."""

from __future__ import annotations

import hashlib


def git_blob_sha(data: bytes) -> str:
    """The git object id (sha-1) of a blob holding `data`: sha1(b"blob <len>\\0" + data)."""
    h = hashlib.sha1(b"blob %d\x00" % len(data), usedforsecurity=False)
    h.update(data)
    return h.hexdigest()
