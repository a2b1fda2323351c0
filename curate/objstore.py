"""Run-directory writes on fsspec filesystems (object stores): the layer under issue 15.1.

On an object store a single PUT of the final key is already atomic (readers see the old object or
the whole new one, never a partial one), so no temp key and rename are needed; the marker object,
written last, stays the commit point. The lock is an object holding an
owner id, created with a conditional PUT on S3: a second owner stops with one clear error.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from curate.errors import UserError

PARQUET_COMPRESSION = "zstd"


def is_remote(path: str) -> bool:
    """True for a URL with a non-local protocol (s3://, gs://, hdfs://, ...)."""
    return "://" in path and not path.startswith("file://")


def filesystem(url: str, storage_options: dict[str, Any] | None = None) -> tuple[Any, str]:
    """The fsspec filesystem for ``url`` and the path inside it."""
    fs, path = fsspec.core.url_to_fs(url, **(storage_options or {}))
    return fs, path


def write_bytes_atomic(fs: Any, path: str, data: bytes) -> None:
    """Write ``data`` at ``path`` in one PUT (atomic on object stores)."""
    fs.pipe_file(path, data)


def write_table_atomic(fs: Any, path: str, table: pa.Table) -> None:
    """Serialise ``table`` as zstd Parquet in memory, then write it in one PUT."""
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=PARQUET_COMPRESSION)
    write_bytes_atomic(fs, path, buf.getvalue())


def write_json_atomic(fs: Any, path: str, data: Any) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    write_bytes_atomic(fs, path, text.encode())


def commit(fs: Any, marker: str, info: dict[str, Any] | None = None) -> None:
    """Write the marker object, the commit point readers trust."""
    write_json_atomic(fs, marker, info or {})


def committed(fs: Any, marker: str) -> bool:
    return bool(fs.exists(marker))


def read_table_if_committed(fs: Any, path: str, marker: str) -> pa.Table | None:
    """The table at ``path`` only when its marker exists (else None: uncommitted)."""
    if not committed(fs, marker):
        return None
    with fs.open(path, "rb") as fh:
        return pq.read_table(fh)


def acquire_lock(fs: Any, path: str, owner: str | None = None) -> str:
    """Create the lock object for ``owner``; raise UserError when another owner holds it.

    On S3 the lock is created with a conditional PUT (``If-None-Match: *``), so of two nodes
    racing exactly one wins; other filesystems fall back to check-then-put."""
    owner = owner or uuid.uuid4().hex
    body = json.dumps({"owner": owner}).encode()
    try:
        if "s3" in fs.protocol:
            fs.pipe_file(path, body, mode="create")
        elif fs.exists(path):
            raise FileExistsError(path)
        else:
            fs.pipe_file(path, body)
    except (FileExistsError, OSError):
        pass
    held = json.loads(fs.cat_file(path)).get("owner")
    if held != owner:
        raise UserError(f"run directory is locked by owner {held} ({path}); is another run active?")
    return owner


def release_lock(fs: Any, path: str, owner: str) -> None:
    if fs.exists(path) and json.loads(fs.cat_file(path)).get("owner") == owner:
        fs.rm_file(path)


SNAPSHOT_SKIP = ("_tmp", ".lock")
"""Top-level entries of a run directory that a read-only snapshot leaves out."""


def snapshot(fs: Any, root: str, local: str) -> int:
    """Copy the run directory at ``root`` on ``fs`` into the local folder ``local`` for reading;
    returns the number of objects copied. Every object on the store is whole (one PUT each), and
    readers keep trusting the markers exactly as on a local run, so a snapshot taken while a run
    writes holds committed units plus, at most, outputs whose marker is not there yet."""
    import os

    root = root.rstrip("/")
    copied = 0
    for key in sorted(fs.find(root)):
        rel = key[len(root) :].lstrip("/")
        if not rel or rel.split("/", 1)[0] in SNAPSHOT_SKIP:
            continue
        target = os.path.join(local, *rel.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fs.get_file(key, target)
        copied += 1
    return copied


def local_copy(url: str, storage_options: dict[str, Any] | None = None) -> str:
    """A local read-only snapshot of the run directory at ``url`` (``snapshot``), in a temporary
    folder removed when the process exits. A UserError when nothing is stored at ``url``."""
    import atexit
    import shutil
    import tempfile

    fs, root = filesystem(url, storage_options)
    local = tempfile.mkdtemp(prefix="curate-run-")
    atexit.register(shutil.rmtree, local, True)
    if not snapshot(fs, root, local):
        raise UserError(f"{url}: not a run directory (nothing stored there)")
    return local
