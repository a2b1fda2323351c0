"""Read one repository checkout from a directory tree (never following symlinks)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from curate.ingest.config import IngestConfig
from curate.ingest.emit import Emitter
from curate.ingest.fsio import basename, display_uri, url_to_fs
from curate.ingest.records import RawFile, SkipRecord


def checkout_ref(fs: Any, root: str) -> str | None:
    """The branch (or detached commit) of a git checkout, from ``.git/HEAD``; None otherwise."""
    try:
        head = fs.cat_file(posixpath.join(root, ".git", "HEAD")).decode("utf-8", "replace").strip()
    except Exception:  # no .git, a gitfile, or unreadable: the ref is simply unknown
        return None
    if head.startswith("ref:"):
        ref = head[4:].strip()
        return ref.removeprefix("refs/heads/")
    return head or None


def read_directory(spec: Any, cfg: IngestConfig) -> Iterator[RawFile | SkipRecord]:
    fs, root = url_to_fs(spec.uri)
    uri = display_uri(fs, root)
    out = Emitter(cfg, uri, spec.repo or basename(root), checkout_ref(fs, root))
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        dir_path, prefix = stack.pop()
        try:
            entries = sorted(fs.ls(dir_path, detail=True), key=lambda e: e["name"])
        except Exception as err:
            yield out.skip(prefix.rstrip("/") or None, "unreadable", f"cannot list: {err}", None, 0)
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            name = basename(entry["name"])
            rel = prefix + name
            kind = entry.get("type")
            if entry.get("islink"):
                yield out.skip(rel, "symlink", f"-> {entry.get('destination', '?')}", None)
            elif kind == "directory":
                reason = out.policy.dir_reason(name)
                if reason is None:
                    subdirs.append((entry["name"], rel + "/"))
                else:
                    yield from _prune_dir(fs, out, entry["name"], rel, reason)
            elif kind == "file":
                yield from _read_file(fs, out, entry, rel)
            else:
                yield out.skip(rel, "special_file", f"type {kind}", entry.get("size"))
        stack.extend(reversed(subdirs))
    yield from out.flush()


def _prune_dir(fs: Any, out: Emitter, path: str, rel: str, reason: str) -> Iterator[SkipRecord]:
    try:
        found = fs.find(path, detail=True)
    except Exception as err:
        yield out.skip(rel, "unreadable", f"cannot list: {err}", None, 0)
        return
    nbytes = sum(int(info.get("size") or 0) for info in found.values())
    yield from out.prune(reason, rel, len(found), nbytes)


def _read_file(
    fs: Any, out: Emitter, entry: dict[str, Any], rel: str
) -> Iterator[RawFile | SkipRecord]:
    size = int(entry.get("size") or 0)
    path, records = out.admit(rel, size)
    yield from records
    if path is None:
        return
    try:
        with fs.open(entry["name"], "rb") as f:
            data = f.read(out.cfg.max_file_bytes + 1)
    except Exception as err:
        yield out.skip(rel, "unreadable", f"{type(err).__name__}: {err}", size)
        return
    yield out.file(path, data)
