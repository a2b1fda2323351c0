"""Sources behind a non-local fsspec filesystem (the in-memory one) read like local ones."""

from __future__ import annotations

import gzip
import io
import tarfile

import fsspec
import pytest

from curate.errors import UserError
from curate.ingest import IngestConfig, discover_sources
from tests.ingest.helpers import add_tar_member, git, needs_git, read_all, write_tree


@pytest.fixture
def memfs():
    fs = fsspec.filesystem("memory")
    root = "/curate-ingest-test"
    yield fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_memory_filesystem_sources(memfs):
    fs, root = memfs
    fs.pipe(f"{root}/dump/repo1/a.py", b"a = 1\n")
    fs.pipe(f"{root}/dump/repo1/node_modules/x.js", b"x\n")
    fs.pipe(f"{root}/dump/repo2/b.py", b"b = 2\n")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        add_tar_member(tf, "c.py", b"c = 3\n")
    fs.pipe(f"{root}/dump/repo3.tar.gz", gzip.compress(buf.getvalue()))
    fs.pipe(f"{root}/dump/export.jsonl", b'{"content": "d\\n", "path": "d.py", "repo": "r4"}\n')
    files, skips = read_all([f"memory://{root}/dump"])
    assert sorted((f.repo, f.path) for f in files) == [
        ("r4", "d.py"),
        ("repo1", "a.py"),
        ("repo2", "b.py"),
        ("repo3", "c.py"),
    ]
    assert all(f.source_uri.startswith("memory://") for f in files)
    assert [(s.repo, s.path, s.reason) for s in skips] == [("repo1", "node_modules", "vendored")]


def test_missing_remote_path_is_user_error(memfs):
    _, root = memfs
    with pytest.raises(UserError):
        discover_sources([f"memory://{root}/absent.tar"], IngestConfig())


@needs_git
def test_remote_bundle_is_copied_then_read(memfs, tmp_path):
    fs, root = memfs
    write_tree(tmp_path, {"m.py": b"m = 1\n"})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "c")
    git(tmp_path, "bundle", "create", "-q", str(tmp_path / "r.bundle"), "--all")
    fs.pipe(f"{root}/r.bundle", (tmp_path / "r.bundle").read_bytes())
    files, skips = read_all([f"memory://{root}/r.bundle"])
    assert [(f.repo, f.ref, f.path, f.text) for f in files] == [("r", "main", "m.py", "m = 1\n")]
    assert skips == []
