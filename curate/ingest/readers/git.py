"""Read the files of the default branch (HEAD) of a bare git repository or a git bundle.

Two git processes per repository: ``git ls-tree -r -l -z`` lists paths, modes, blob ids and
sizes (so skips need no content), and one ``git cat-file --batch`` streams only the blobs that
are read. `content_sha` is the git blob id itself.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from curate.ingest.config import IngestConfig
from curate.ingest.emit import Emitter
from curate.ingest.fsio import basename, display_uri, is_local, url_to_fs
from curate.ingest.records import RawFile, SkipRecord


class GitError(Exception):
    pass


def repo_name(path: str) -> str:
    name = basename(path)
    for suffix in (".git", ".bundle"):
        name = name.removesuffix(suffix)
    return name


def _git(cfg: IngestConfig, repo: str, *args: str) -> str:
    proc = subprocess.run([cfg.git_executable, "-C", repo, *args], capture_output=True, check=False)
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]}: {msg[-1] if msg else f'exit {proc.returncode}'}")
    return proc.stdout.decode("utf-8", "replace").strip()


def _head(cfg: IngestConfig, repo: str) -> tuple[str, str | None]:
    """(commit, branch) of HEAD; falls back to main/master/the first branch when HEAD dangles
    (e.g. a bundle cloned without its HEAD)."""
    try:
        commit = _git(cfg, repo, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    except GitError:
        refs = _git(cfg, repo, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()
        pick = next((r for r in ("main", "master") if r in refs), refs[0] if refs else None)
        if pick is None:
            raise GitError("no commit on HEAD and no branch (empty repository?)") from None
        return _git(cfg, repo, "rev-parse", "--verify", f"{pick}^{{commit}}"), pick
    try:
        branch = _git(cfg, repo, "symbolic-ref", "-q", "--short", "HEAD") or None
    except GitError:
        branch = None
    return commit, branch


def read_git(spec: Any, cfg: IngestConfig) -> Iterator[RawFile | SkipRecord]:
    fs, path = url_to_fs(spec.uri)
    uri = display_uri(fs, path)
    repo = spec.repo or repo_name(path)
    if not is_local(fs):
        yield SkipRecord(
            uri, repo, None, "git_error", "git repositories must be local paths", spec.size_bytes, 0
        )
        return
    yield from _read_repo(cfg, uri, repo, path)


def read_git_bundle(spec: Any, cfg: IngestConfig) -> Iterator[RawFile | SkipRecord]:
    """Clone the bundle (local or copied from fsspec) into a temporary bare repository."""
    fs, path = url_to_fs(spec.uri)
    uri = display_uri(fs, path)
    repo = spec.repo or repo_name(path)
    tmp = tempfile.mkdtemp(prefix="curate-bundle-")
    try:
        bundle = path
        if not is_local(fs):
            bundle = f"{tmp}/input.bundle"
            fs.get_file(path, bundle)
        clone = f"{tmp}/repo.git"
        proc = subprocess.run(
            [cfg.git_executable, "clone", "-q", "--bare", bundle, clone],
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            yield SkipRecord(
                uri, repo, None, "git_error",
                f"bundle clone failed: {detail[-1] if detail else proc.returncode}",
                spec.size_bytes, 0,
            )  # fmt: skip
            return
        yield from _read_repo(cfg, uri, repo, clone)
    except OSError as err:
        yield SkipRecord(uri, repo, None, "unreadable", str(err), spec.size_bytes, 0)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_repo(
    cfg: IngestConfig, uri: str, repo: str, gitdir: str
) -> Iterator[RawFile | SkipRecord]:
    try:
        commit, branch = _head(cfg, gitdir)
    except (GitError, OSError) as err:
        yield SkipRecord(uri, repo, None, "git_error", str(err), None, 0)
        return
    out = Emitter(cfg, uri, repo, branch or commit, {"commit": commit})
    ls = subprocess.Popen(
        [cfg.git_executable, "-C", gitdir, "ls-tree", "-r", "-l", "-z", "--full-tree", commit],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    cat = subprocess.Popen(
        [cfg.git_executable, "-C", gitdir, "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert ls.stdout is not None and cat.stdin is not None and cat.stdout is not None
        for entry in _entries(ls.stdout):
            yield from _entry(out, entry, cat.stdin, cat.stdout)
        ls.wait()
        if ls.returncode != 0:
            err = (ls.stderr.read() if ls.stderr else b"").decode("utf-8", "replace").strip()
            yield out.skip(None, "git_error", f"ls-tree failed: {err}", None, 0)
    except (GitError, OSError) as err:
        yield out.skip(None, "git_error", str(err), None, 0)
    finally:
        for proc in (ls, cat):
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            proc.kill() if proc.poll() is None else None
            proc.wait()
    yield from out.flush()


def _entries(stream: IO[bytes]) -> Iterator[tuple[str, str, str, str, bytes]]:
    """(mode, type, object id, size, path) records of ``ls-tree -l -z``, streamed."""
    pending = b""
    while chunk := stream.read(1 << 16):
        pending += chunk
        *records, pending = pending.split(b"\x00")
        for rec in records:
            meta, _, path = rec.partition(b"\t")
            mode, kind, oid, size = meta.decode("ascii").split(None, 3)
            yield mode, kind, oid, size.strip(), path


def _entry(
    out: Emitter, entry: tuple[str, str, str, str, bytes], stdin: IO[bytes], stdout: IO[bytes]
) -> Iterator[RawFile | SkipRecord]:
    mode, kind, oid, size_text, raw_path = entry
    size = int(size_text) if size_text.isdigit() else None
    name = raw_path.decode("utf-8", "backslashreplace")
    if kind == "commit":
        yield out.skip(name, "submodule", f"commit {oid}", None)
        return
    if mode == "120000":
        yield out.skip(name, "symlink", None, size)
        return
    if kind != "blob":
        yield out.skip(name, "special_file", f"git {kind} mode {mode}", size)
        return
    path, records = out.admit(name, size)
    yield from records
    if path is None:
        return
    stdin.write(oid.encode("ascii") + b"\n")
    stdin.flush()
    header = stdout.readline().split()
    if len(header) != 3:
        yield out.skip(
            path, "git_error", f"object {oid}: {b' '.join(header).decode('ascii', 'replace')}", size
        )
        if not header:
            raise GitError("cat-file --batch stopped")
        return
    length = int(header[2])
    data = stdout.read(length)
    stdout.read(1)  # the newline after each object
    if len(data) != length:
        raise GitError(f"cat-file --batch: short read on {oid}")
    yield out.file(path, data, content_sha=oid)
