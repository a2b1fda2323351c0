"""Run-directory writes on fsspec filesystems (object stores): the layer under issue 15.1.

On an object store a single PUT of the final key is already atomic (readers see the old object or
the whole new one, never a partial one), so no temp key and rename are needed; the marker object,
written last, stays the commit point. The lock is an object holding an
owner id, created with a conditional PUT on S3: a second owner stops with one clear error.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from curate.errors import UserError

log = logging.getLogger(__name__)

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


LEASE_ENV = "CURATE_LOCK_LEASE_S"
"""Seconds between two renewals of a held store lock (default ``DEFAULT_LEASE_S``)."""

DEFAULT_LEASE_S = 30.0

STALE_LEASES = 3
"""A lock whose holder has not renewed it for this many of its leases is stale."""


def lease_seconds() -> float:
    """The lock lease (``CURATE_LOCK_LEASE_S``); a UserError when it is no positive number."""
    raw = os.environ.get(LEASE_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_LEASE_S
    except ValueError:
        value = -1.0
    if not value > 0:
        raise UserError(f"{LEASE_ENV}={raw!r}: not a positive number of seconds")
    return value


@dataclass(frozen=True)
class LockState:
    """The lock object as stored: its holder, lease and version."""

    owner: str | None
    etag: str
    lease_s: float | None
    """The holder's renewal interval; None for a holder that does not renew (older curate)."""
    renewed: float
    """When the holder last wrote it: the later of its own clock and the store's."""

    def age(self) -> float:
        return max(0.0, time.time() - self.renewed)

    def stale_reason(self) -> str | None:
        """Why the lock may be taken over, or None while its holder may be alive."""
        if _is_dead_local_owner(self.owner):
            return "a process of this host that no longer runs"
        if self.lease_s is not None and self.age() > STALE_LEASES * self.lease_s:
            return (
                f"not renewed for {self.age():.0f} s (its lease: {self.lease_s:g} s, stale "
                f"after {STALE_LEASES * self.lease_s:g} s)"
            )
        return None

    def describe(self) -> str:
        if self.lease_s is None:
            return "it is not renewed: delete the lock object once that run is known to be dead"
        return (
            f"renewed {self.age():.0f} s ago; it is taken over once not renewed for "
            f"{STALE_LEASES * self.lease_s:g} s"
        )


def _lock_body(owner: str, lease_s: float) -> bytes:
    return json.dumps(
        {"owner": owner, "host": socket.gethostname(), "lease_s": lease_s, "renewed": time.time()}
    ).encode()


def read_lock(fs: Any, path: str) -> LockState | None:
    """The stored lock (None when there is none). Version first, then the body: a renewal in
    between makes the body newer than the version, never older, so a take-over conditional on
    that version fails rather than displacing a live holder."""
    fs.invalidate_cache(path)
    try:
        info = fs.info(path)
        body = json.loads(fs.cat_file(path))
    except FileNotFoundError:
        return None
    modified = info.get("LastModified") or info.get("mtime")
    stamps = [float(body.get("renewed") or 0)]
    if hasattr(modified, "timestamp"):
        stamps.append(modified.timestamp())
    lease = body.get("lease_s")
    return LockState(
        owner=body.get("owner"),
        etag=_version(info),
        lease_s=float(lease) if isinstance(lease, int | float) and lease > 0 else None,
        renewed=max(stamps),
    )


def _replace_lock(fs: Any, path: str, etag: str, body: bytes) -> bool:
    """Overwrite the lock object only if it is still version ``etag`` (S3: a conditional PUT,
    ``If-Match``; elsewhere check-then-put). False when it changed or vanished meanwhile."""
    if "s3" in fs.protocol:
        bucket, key, _ = fs.split_path(path)
        try:
            fs.call_s3("put_object", Bucket=bucket, Key=key, Body=body, IfMatch=f'"{etag}"')
        except OSError:  # PreconditionFailed, NoSuchKey (or the store unreachable: not ours)
            return False
        finally:
            fs.invalidate_cache(path)
        return True
    state = read_lock(fs, path)
    if state is None or state.etag != etag:
        return False
    fs.pipe_file(path, body)
    return True


def acquire_lock(
    fs: Any, path: str, owner: str | None = None, *, lease_s: float | None = None
) -> str:
    """Create the lock object for ``owner``; raise UserError when another owner holds it.

    On S3 the lock is created with a conditional PUT (``If-None-Match: *``), so of two nodes
    racing exactly one wins; other filesystems fall back to check-then-put. The holder renews
    it every ``lease_s`` seconds (``CURATE_LOCK_LEASE_S``, default 30) from a daemon thread
    until ``release_lock``. A lock is stale, and taken over (a conditional PUT on its version:
    of two takers one wins) with a warning naming the old holder, when its holder is a process
    of THIS host that no longer runs, or when it was not renewed for ``STALE_LEASES`` of the
    holder's leases, whichever host wrote it. A lock without a lease (a holder that does not
    renew) is never taken over from another host."""
    owner = owner or uuid.uuid4().hex
    lease_s = lease_s or lease_seconds()
    held = _try_lock(fs, path, owner, lease_s)
    if held is not None and held.owner != owner:
        reason = held.stale_reason()
        if reason is not None:
            log.warning(
                "run directory lock %s held by %s, %s: taken over", path, held.owner, reason
            )
            if _replace_lock(fs, path, held.etag, _lock_body(owner, lease_s)):
                held = read_lock(fs, path)
    if held is None or held.owner != owner:
        who = held.owner if held is not None else "(vanished)"
        detail = f"; {held.describe()}" if held is not None else ""
        raise UserError(
            f"run directory is locked by owner {who} ({path}{detail}); is another run active?"
        )
    _start_lease(fs, path, owner, held.etag, lease_s)
    return owner


def _try_lock(fs: Any, path: str, owner: str, lease_s: float) -> LockState:
    """Create the lock object for ``owner`` unless one exists; the lock as stored afterwards."""
    body = _lock_body(owner, lease_s)
    failed: OSError | None = None
    try:
        if "s3" in fs.protocol:
            fs.pipe_file(path, body, mode="create")
        elif fs.exists(path):
            raise FileExistsError(path)
        else:
            fs.pipe_file(path, body)
    except FileExistsError:
        pass
    except OSError as err:  # held (a failed precondition), or the store refuses (no bucket)
        failed = err
    state = read_lock(fs, path)
    if state is None:  # neither created nor held: the store's error is the user's answer
        raise failed or FileNotFoundError(path)
    return state


def _is_dead_local_owner(owner: str | None) -> bool:
    """Whether ``owner`` (``host:pid:...``) names a process of this host that is gone."""
    parts = (owner or "").split(":")
    if len(parts) < 2 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class Lease(threading.Thread):
    """Renews a held lock every ``lease_s`` seconds (a conditional PUT on the version it last
    wrote). When the lock is no longer its owner's (taken over after this process stalled for
    longer than the stale limit), it logs an error and stops: it never overwrites the new
    holder's lock."""

    def __init__(self, fs: Any, path: str, owner: str, etag: str, lease_s: float):
        super().__init__(name=f"curate-lock-lease:{path}", daemon=True)
        self.fs, self.path, self.owner, self.etag, self.lease_s = fs, path, owner, etag, lease_s
        self.renewals = 0
        self.lost_to: str | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.lease_s):
            try:
                self.renew()
            except OSError as err:  # the store unreachable for a moment: try at the next beat
                log.warning("run directory lock %s: renewal failed (%s)", self.path, err)

    def renew(self) -> bool:
        """One renewal; False when the lock is lost."""
        if _replace_lock(self.fs, self.path, self.etag, _lock_body(self.owner, self.lease_s)):
            state = read_lock(self.fs, self.path)
            if state is not None and state.owner == self.owner:
                self.etag = state.etag
                self.renewals += 1
                return True
        state = read_lock(self.fs, self.path)
        if state is not None and state.owner == self.owner:
            self.etag = state.etag  # ours in another version: renew from it at the next beat
            return True
        self.lost_to = state.owner if state is not None else "(deleted)"
        log.error(
            "run directory lock %s is no longer held by this run (now: %s): it was not "
            "renewed in time and was taken over; this run's further writes race with the "
            "new holder's",
            self.path,
            self.lost_to,
        )
        self._stop_event.set()
        return False

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join()


_LEASES: dict[str, Lease] = {}


def _start_lease(fs: Any, path: str, owner: str, etag: str, lease_s: float) -> None:
    old = _LEASES.pop(path, None)
    if old is not None:
        old.stop()
    lease = _LEASES[path] = Lease(fs, path, owner, etag, lease_s)
    lease.start()


def release_lock(fs: Any, path: str, owner: str) -> None:
    """Stop renewing the lock and delete it, if it is still ``owner``'s."""
    lease = _LEASES.get(path)
    if lease is not None and lease.owner == owner:
        _LEASES.pop(path).stop()
    state = read_lock(fs, path)
    if state is not None and state.owner == owner:
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


# --- run directories written through a local mirror ------------------------------------------
#
# A run directory on a store is worked on through a local *mirror* folder: every reader of the
# project keeps its local-path code, and every writer finishes with ``publish(final_path)``,
# which PUTs the final object under the same relative key (one PUT: atomic). Step markers are
# written after their outputs, so on the store, as on disk, the marker is the commit point.

MIRROR_ENV = "CURATE_MIRROR_DIR"
"""Folder under which run directories on object stores get their local mirror (default: the
system temp folder)."""

_LOCAL_ONLY = ("_tmp", ".lock")
"""Top-level entries of a mirror that never go to the store (scratch space, the local lock)."""

MARKERS = "_markers"


VERSION_XATTR = "user.curate.version"
"""Extended attribute of a mirror file: the stored object's version (ETag) it is a copy of, with
the file's size and mtime at that moment (``_record``)."""

SETTLE_S = 2.0
"""A mirror file changed less than this many seconds before a sync's listing began is left for
the next sync: another process of the node may be between its PUT and its rename."""


def _version(info: dict[str, Any]) -> str:
    """An object's version as the store lists it (S3/MinIO/moto ``ETag``; else what the
    filesystem gives)."""
    for name in ("ETag", "etag", "md5Hash", "generation"):
        if info.get(name):
            return str(info[name]).strip('"')
    return f"{info.get('size')}:{info.get('LastModified') or info.get('mtime') or ''}"


def _record(path: str, version: str) -> None:
    """Remember on the local file which stored version it is a copy of. Without extended
    attributes (some tmpfs) nothing is recorded: the file then counts as unverified and a
    worker downloads it again at its next sync (correct, only slower)."""
    try:
        st = os.stat(path)
        os.setxattr(path, VERSION_XATTR, f"{version}|{st.st_size}|{st.st_mtime_ns}".encode())
    except OSError:
        pass


def _recorded(path: str, st: os.stat_result) -> str | None:
    """The stored version the local file is an unchanged copy of, or None (never recorded, or
    changed since: a local write not on the store yet)."""
    try:
        version, size, mtime = os.getxattr(path, VERSION_XATTR).decode().rsplit("|", 2)
    except (OSError, ValueError):
        return None
    return version if (int(size), int(mtime)) == (st.st_size, st.st_mtime_ns) else None


def _md5(path: str) -> str:
    import hashlib

    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tmp_name(path: str) -> str:
    import os
    import uuid

    head, name = os.path.split(path)
    return os.path.join(head, f".{name}.{uuid.uuid4().hex}.get")


def _local_only(rel: str) -> bool:
    """Scratch space, the lock, and hidden files (every writer's temp file is ``.<name>...``:
    one left by a killed process is never uploaded)."""
    top = rel.partition("/")[0]
    return top in _LOCAL_ONLY or rel.rsplit("/", 1)[-1].startswith(".")


class Mirror:
    """The store side of one run directory: ``url`` on the store, ``root`` its local folder.

    ``known`` maps each relative key this process downloaded or uploaded to the local file's
    (size, mtime_ns) at that moment, so ``flush`` can tell what changed locally since."""

    def __init__(self, url: str, root: str):
        self.url = url.rstrip("/")
        self.root = root
        self.checked_out = False
        self.worker = False
        """True in a process that got the run directory from its driver (a Ray worker): its
        mirror is this node's, never checked out, kept current by ``refresh`` before each unit."""
        self.known: dict[str, tuple[int, int]] = {}
        self.puts = 0
        self.copies = 0
        self._fs: Any = None
        self._prefix = ""

    @property
    def fs(self) -> Any:
        if self._fs is None:
            self._fs, path = filesystem(self.url)
            self._prefix = path.rstrip("/")
        return self._fs

    @property
    def prefix(self) -> str:
        self.fs  # noqa: B018 - resolves the path inside the filesystem
        return self._prefix

    def key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}"

    def local(self, rel: str) -> str:
        import os

        return os.path.join(self.root, *rel.split("/"))

    def _stat(self, rel: str) -> tuple[int, int]:
        import os

        st = os.stat(self.local(rel))
        return st.st_size, st.st_mtime_ns

    def listing(self, under: str = "") -> dict[str, dict[str, Any]]:
        """Relative key -> object info of every object stored under the run (or under its
        folder ``under``; one LIST per 1,000 keys), the local-only entries left out."""
        fs, prefix = self.fs, self.prefix
        top = f"{prefix}/{under}".rstrip("/")
        fs.invalidate_cache(top)
        try:
            found = fs.find(top, detail=True)
        except FileNotFoundError:
            return {}
        out = {}
        for key, info in found.items():
            rel = key[len(prefix) :].lstrip("/")
            if rel and not _local_only(rel) and info.get("type", "file") != "directory":
                out[rel] = info
        return out

    def put(self, rel: str, source: str | None = None) -> None:
        """Upload the local file ``rel`` under its final key, in one PUT, and record the stored
        version on the file. ``source``: the finished temp file that the caller renames to
        ``rel`` right after (``place``), so the file appears in the mirror already stored and
        recorded, and no other process of the node mistakes it for a stale copy."""
        path = source or self.local(rel)
        with open(path, "rb") as fh:
            data = fh.read()
        out = self.fs.pipe_file(self.key(rel), data)
        if isinstance(out, dict) and out.get("ETag"):
            version = _version(out)
        else:
            version = hashlib.md5(data, usedforsecurity=False).hexdigest()
        _record(path, version)
        if source is None:
            self.known[rel] = self._stat(rel)
        self.puts += 1

    def pull(self, *, missing_only: bool = True) -> int:
        """Bring the mirror in line with the store (a *sync*); returns how many objects were
        downloaded. Downloaded: every stored object the mirror lacks (except a key this process
        removed locally on purpose: ``flush`` deletes it), and every one whose local copy is
        of another version than the stored one (the ETag recorded on the file, ``_record``).
        In a worker's mirror (``worker``: it never holds a change the store lacks) also: files
        without a valid record are downloaded again, and files whose key the store no longer
        has are deleted. So a mirror reused across runs never serves a file the store deleted
        or replaced. Files that changed just before or during the sync (``SETTLE_S``) are left
        alone: another process of the node may be writing them. ``missing_only=False``: all
        (``checkout``, into an emptied mirror)."""
        started = time.time()
        listing = self.listing()
        todo = []
        for rel, info in sorted(listing.items()):
            try:
                st = os.stat(self.local(rel))
            except FileNotFoundError:
                if not (missing_only and rel in self.known):
                    todo.append(rel)
                continue
            if not missing_only or self._outdated(st, self.local(rel), info, started):
                todo.append(rel)
        self._download(todo, listing, started)
        if self.worker:
            self._drop_gone(listing, started)
        for rel in listing:
            if os.path.exists(self.local(rel)) and rel not in self.known:
                self.known[rel] = self._stat(rel)
        return len(todo)

    def _outdated(
        self, st: os.stat_result, path: str, info: dict[str, Any], started: float
    ) -> bool:
        """Whether the local file ``path`` must be downloaded again to match the stored ``info``."""
        if st.st_ctime > started - SETTLE_S:
            return False  # being written by another process of this node, which PUT it first
        recorded = _recorded(path, st)
        if recorded is None:  # the driver's own change awaiting flush, or a copy of unknown age
            return self.worker
        return recorded != _version(info)

    def _download(
        self, todo: list[str], listing: dict[str, dict[str, Any]], started: float
    ) -> None:
        """Download ``todo`` into hidden temp names, then rename them into place: another
        process sharing this mirror (a second worker on the node) never reads half a file, and
        a file it wrote meanwhile (changed since the sync began) is not overwritten."""
        if not todo:
            return
        for rel in todo:
            os.makedirs(os.path.dirname(self.local(rel)), exist_ok=True)
        tmps = [_tmp_name(self.local(r)) for r in todo]
        self.fs.get([self.key(r) for r in todo], tmps)
        for rel, tmp in zip(todo, tmps, strict=True):
            _record(tmp, _version(listing[rel]))
            try:
                newer = os.stat(self.local(rel)).st_ctime > started - SETTLE_S
            except FileNotFoundError:
                newer = False
            if newer:
                os.unlink(tmp)
            else:
                os.replace(tmp, self.local(rel))
                self.known[rel] = self._stat(rel)

    def _drop_gone(self, listing: dict[str, dict[str, Any]], started: float) -> int:
        """Delete the mirror's files whose key the store no longer has (a worker's sync)."""
        dropped = 0
        for path, rel in self._stored_files(self.root):
            if rel in listing:
                continue
            try:
                if os.lstat(path).st_ctime > started - SETTLE_S:
                    continue
                os.unlink(path)
            except FileNotFoundError:
                continue
            self.known.pop(rel, None)
            dropped += 1
        return dropped

    def _stored_files(self, folder: str) -> Iterator[tuple[str, str]]:
        """``(path, key)`` of every file under ``folder`` of the mirror that mirrors a stored
        object (not the mirror's own local-only files)."""
        for dirpath, _, files in os.walk(folder):
            for name in files:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, self.root).replace(os.sep, "/")
                if not _local_only(rel):
                    yield path, rel

    def markers_current(self) -> bool:
        """Whether the mirror's markers are the store's (one LIST of ``_markers/``): none
        stored that the mirror lacks or holds in another version, and (a worker) none held
        that the store deleted. Every output is stored before its marker, and a cleared or
        redone unit changes or deletes its marker, so when this holds there is nothing new to
        read."""
        started = time.time()
        markers = self.listing(MARKERS)
        for rel, info in markers.items():
            path = self.local(rel)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                if rel in self.known:
                    continue  # removed here on purpose
                return False
            if self._outdated(st, path, info, started):
                return False
        if self.worker:
            for path, rel in self._stored_files(self.local(MARKERS)):
                if rel in markers:
                    continue
                try:
                    if os.lstat(path).st_ctime <= started - SETTLE_S:
                        return False
                except FileNotFoundError:
                    continue
        return True

    def get(self, rel: str) -> bool:
        """Make the local file ``rel`` the stored object's current version (one HEAD; one GET
        when the local copy is missing or of another version); False when nothing is stored
        under ``rel``."""
        try:
            info = self.fs.info(self.key(rel))
        except FileNotFoundError:
            return False
        path = self.local(rel)
        try:
            st = os.stat(path)
            if _recorded(path, st) == _version(info):
                return True
        except FileNotFoundError:
            pass
        self._download([rel], {rel: info}, float("inf"))  # replace whatever is here
        return True

    def move(self, src: str, dst: str) -> None:
        """Rename the stored object ``src`` to ``dst`` with a server-side copy and a delete (its
        data never passes through this process), and the local file too when the mirror has
        it."""
        self.fs.copy(self.key(src), self.key(dst))
        self.fs.rm_file(self.key(src))
        self.copies += 1
        self.known.pop(src, None)
        if os.path.exists(self.local(src)):
            os.makedirs(os.path.dirname(self.local(dst)), exist_ok=True)
            os.replace(self.local(src), self.local(dst))  # keeps its record: a copy, same ETag
            self.known[dst] = self._stat(dst)

    def checkout(self) -> int:
        """Make the mirror an exact copy of what is stored (the store is the truth: a local
        leftover of an earlier process, committed or not, is discarded)."""
        import os
        import shutil

        if os.path.isdir(self.root):
            for entry in os.listdir(self.root):
                if entry != ".lock":
                    path = os.path.join(self.root, entry)
                    shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)
        os.makedirs(self.root, exist_ok=True)
        if self.root not in _CLEAN_AT_EXIT:  # the store keeps the run; the mirror is scratch
            import atexit

            _CLEAN_AT_EXIT.add(self.root)
            atexit.register(shutil.rmtree, self.root, True)
        self.known.clear()
        self.checked_out = True
        return self.pull(missing_only=False)

    def flush(self) -> dict[str, int]:
        """Bring the store in line with the mirror for what changed outside ``publish`` (a
        rename into place, a removed output): removed files' keys are deleted (markers first),
        then changed files are uploaded (markers last). A file another process already
        uploaded (its MD5 equals the object's ETag) is not uploaded again."""
        import os

        listing = self.listing()
        local: set[str] = set()
        for dirpath, _, files in os.walk(self.root):
            for name in files:
                rel = os.path.relpath(os.path.join(dirpath, name), self.root).replace(os.sep, "/")
                if not _local_only(rel):
                    local.add(rel)
        gone = sorted(
            (set(self.known) & set(listing)) - local, key=lambda r: not r.startswith(MARKERS)
        )
        if gone:
            self.fs.rm([self.key(r) for r in gone])
        for rel in gone:
            self.known.pop(rel, None)
        changed = []
        for rel in sorted(local, key=lambda r: r.startswith(MARKERS)):
            stat = self._stat(rel)
            if self.known.get(rel) == stat:
                continue
            etag = str(listing.get(rel, {}).get("ETag", "")).strip('"')
            if etag and etag == _md5(self.local(rel)):
                self.known[rel] = stat
                continue
            changed.append(rel)
            self.put(rel)
        return {"deleted": len(gone), "uploaded": len(changed)}


_CLEAN_AT_EXIT: set[str] = set()
_MIRRORS: dict[str, Mirror] = {}
"""Local mirror root -> its Mirror, for every store-backed run directory this process uses."""


def mirror_root(url: str) -> str:
    """The local mirror folder of the run directory at ``url``: the same on every node, and
    distinct per store (the endpoint is part of the name: one bucket name on two S3-compatible
    servers is two run directories) and per user."""
    import hashlib
    import os
    import tempfile

    base = os.environ.get(MIRROR_ENV) or os.path.join(
        tempfile.gettempdir(), f"curate-mirror-{os.getuid()}"
    )
    endpoint = storage_config(url).get("client_kwargs", {}).get("endpoint_url") or os.environ.get(
        "AWS_ENDPOINT_URL_S3", os.environ.get("AWS_ENDPOINT_URL", "")
    )
    digest = hashlib.sha256(f"{url.rstrip('/')}\n{endpoint}".encode()).hexdigest()[:16]
    return os.path.join(os.path.abspath(base), digest)


def mount(url: str, root: str) -> Mirror:
    """Register ``root`` as the local mirror of ``url`` in this process (idempotent)."""
    mirror = _MIRRORS.get(root)
    if mirror is None or mirror.url != url.rstrip("/"):
        mirror = _MIRRORS[root] = Mirror(url, root)
    return mirror


def mirror_of(path: str) -> tuple[Mirror, str] | None:
    """(mirror, relative key) when ``path`` lies in a mounted mirror, else None."""
    import os

    path = os.path.abspath(path)
    for root, mirror in _MIRRORS.items():
        if path.startswith(root + os.sep):
            return mirror, os.path.relpath(path, root).replace(os.sep, "/")
    return None


def publish(path: str) -> None:
    """After a local file was put into place: PUT it under its key when it lies in a mirror
    (nothing for a local run directory, or for a mirror's scratch files)."""
    found = mirror_of(str(path)) if _MIRRORS else None
    if found is not None and not _local_only(found[1]):
        found[0].put(found[1])


def place(tmp: str, path: str) -> None:
    """Rename the finished temp file ``tmp`` to ``path``; in a mirror, PUT it under its key
    first (``Mirror.put``), so the mirror never shows a file the store does not have yet."""
    found = mirror_of(str(path)) if _MIRRORS else None
    if found is None or _local_only(found[1]):
        os.replace(tmp, path)
        return
    mirror, rel = found
    mirror.put(rel, source=str(tmp))
    os.replace(tmp, path)
    mirror.known[rel] = mirror._stat(rel)


def fetch(path: str) -> None:
    """Make sure the run-directory file ``path`` is here and current: in a mirror, the stored
    object is downloaded when the mirror lacks it or holds another version (``Mirror.get``);
    nothing for a local run directory. For a file a task reads that no marker announces (the
    mixture plan the driver wrote for its write tasks)."""
    found = mirror_of(str(path)) if _MIRRORS else None
    if found is not None and not _local_only(found[1]):
        found[0].get(found[1])


def move(src: str, dst: str) -> None:
    """Rename the output ``src`` to ``dst`` in one run directory: a local rename, and in a
    mirror a server-side copy on the store (``Mirror.move``), whether or not this node has the
    file (a mixture part written on another node)."""
    found = mirror_of(str(src)) if _MIRRORS else None
    if found is None or _local_only(found[1]):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.replace(src, dst)
        return
    target = mirror_of(str(dst))
    if target is None or target[0] is not found[0]:
        raise ValueError(f"{src} -> {dst}: not within one run directory")
    found[0].move(found[1], target[1])


def unpublish(path: str) -> None:
    """After a local output (file or folder) was removed: delete its key, or every key under
    it, on the store when it lies in a mirror (markers first)."""
    found = mirror_of(str(path)) if _MIRRORS else None
    if found is None or _local_only(found[1]):
        return
    mirror, rel = found
    stored = mirror.listing(rel)
    gone = sorted(
        (r for r in stored if r == rel or r.startswith(rel + "/")),
        key=lambda r: not r.startswith(MARKERS),
    )
    if gone:
        mirror.fs.rm([mirror.key(r) for r in gone])
    for r in gone:
        mirror.known.pop(r, None)


def refresh(root: str, *, full: bool = False) -> int:
    """Sync the mirror with the store (``Mirror.pull``: what other nodes stored, replaced or
    deleted since), in the process that checked the mirror out or in a worker
    (``Mirror.worker``, whenever a task arrives); 0 elsewhere. Every output is stored before its
    marker, and a redone or cleared unit rewrites or deletes its marker, so when the mirror's
    markers are the store's (``Mirror.markers_current``: one LIST of ``_markers/``, a few
    percent of the keys) there is nothing new to read and the full LIST is skipped; a worker
    mirror that does not exist yet is always synced. ``full`` skips that shortcut: for the
    driver, whose own whole-run markers say nothing of what its steps' tasks stored."""
    mirror = _MIRRORS.get(root)
    if mirror is None or not (mirror.checked_out or mirror.worker):
        return 0
    if full or not os.path.isdir(root) or not mirror.markers_current():
        return mirror.pull()
    return 0


def flush(root: str) -> dict[str, int]:
    mirror = _MIRRORS.get(root)
    return mirror.flush() if mirror is not None and mirror.checked_out else {}


def storage_config(url: str) -> dict[str, Any]:
    """The storage options configured (``configure``, fsspec's config) for ``url``'s protocol."""
    from fsspec.config import conf

    return dict(conf.get(url.split("://", 1)[0], {}))


def configure(protocols: Any, options: dict[str, Any]) -> None:
    """Storage options (``--storage-option``) for these protocols, for every filesystem this
    process and the processes it starts afterwards (Ray workers) open: fsspec's configuration
    plus its ``FSSPEC_<PROTOCOL>`` environment variable."""
    import os

    from fsspec.config import conf

    for protocol in sorted(set(protocols)):
        merged = {**conf.get(protocol, {}), **options}
        conf[protocol] = merged
        os.environ[f"FSSPEC_{protocol.upper()}"] = json.dumps(merged)
