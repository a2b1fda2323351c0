from __future__ import annotations

import os
import random

import pytest

from curate.errors import UserError
from curate.ingest import IngestConfig, discover_sources, git_blob_sha
from tests.ingest.helpers import LATIN1_TEXT, by_path, read_all, write_tree


def test_missing_input_path_is_user_error(tmp_path):
    with pytest.raises(UserError, match="input path not found"):
        discover_sources([str(tmp_path / "nope")], IngestConfig())


def test_empty_input_folder_is_recorded(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "full" / "repo").mkdir(parents=True)
    (tmp_path / "full" / "repo" / "a.py").write_text("x = 1\n")
    specs, skips = discover_sources(
        [str(tmp_path / "empty"), str(tmp_path / "full")], IngestConfig()
    )
    assert [s.repo for s in specs] == ["repo"]
    assert [(k.source_uri, k.reason, k.files) for k in skips] == [
        (str(tmp_path / "empty"), "empty_source", 0)
    ]


def test_collection_one_repo_per_subfolder(tmp_path):
    write_tree(tmp_path / "alpha", {"a.py": b"print(1)\n", "src/b.py": b"x = 2\n"})
    write_tree(tmp_path / "beta", {"README.md": b"# beta\n"})
    (tmp_path / "notes.txt").write_bytes(b"")  # would make it a checkout...
    specs, _ = discover_sources([str(tmp_path)], IngestConfig(directory_layout="collection"))
    assert sorted((s.kind, s.repo) for s in specs if s.kind == "directory") == [
        ("directory", "alpha"),
        ("directory", "beta"),
    ]
    files, skips = read_all([tmp_path / "alpha", tmp_path / "beta"])
    assert {(f.repo, f.path) for f in files} == {
        ("alpha", "a.py"),
        ("alpha", "src/b.py"),
        ("beta", "README.md"),
    }
    assert skips == []
    a = by_path(files)["a.py"]
    assert (
        a.content_sha == git_blob_sha(b"print(1)\n") and a.size_bytes == 9 and a.encoding == "utf-8"
    )


def test_auto_layout_rules(tmp_path):
    write_tree(tmp_path / "dump" / "r1", {"main.go": b"package main\n"})
    write_tree(tmp_path / "dump" / "r2", {"lib.rs": b"fn f() {}\n"})
    write_tree(tmp_path / "single", {"setup.py": b"", "pkg/__init__.py": b""})
    write_tree(tmp_path / "withgit", {".git/HEAD": b"ref: refs/heads/dev\n", "src/x.c": b""})
    cfg = IngestConfig()
    dump, _ = discover_sources([str(tmp_path / "dump")], cfg)
    assert sorted(s.repo for s in dump) == ["r1", "r2"]
    single, _ = discover_sources([str(tmp_path / "single")], cfg)
    assert [(s.kind, s.repo) for s in single] == [("directory", "single")]
    withgit, _ = discover_sources([str(tmp_path / "withgit")], cfg)
    assert [(s.kind, s.repo) for s in withgit] == [("directory", "withgit")]
    files, skips = read_all([tmp_path / "withgit"])
    assert [(f.path, f.ref) for f in files] == [("src/x.c", "dev")]
    assert [(s.path, s.reason, s.files) for s in skips] == [(".git", "vcs_metadata", 1)]


def test_skips_in_a_checkout(tmp_path):
    repo = tmp_path / "repo"
    big = b"a = 1\n" * 200
    rng = random.Random(1)
    write_tree(
        repo,
        {
            "ok.py": b"ok = True\n",
            "empty.py": b"",
            "latin.txt": LATIN1_TEXT.encode("latin-1"),
            "utf16.txt": "\ufeffhé\n".encode("utf-16-le"),
            "image.png": b"\x89PNG\r\n\x1a\n\x00\x00",
            "noise.dat": bytes(rng.randrange(1, 256) for _ in range(900)),
            "big.py": big,
            "package-lock.json": b"{}",
            "node_modules/left-pad/index.js": b"module.exports = 1\n",
            "node_modules/left-pad/package.json": b"{}",
            ".git/HEAD": b"ref: refs/heads/main\n",
            ".git/objects/ab/cdef": b"\x78\x01",
            ".git/config": b"[core]\n",
        },
    )
    os.symlink(repo / "ok.py", repo / "link.py")
    os.symlink(repo / "node_modules", repo / "linkdir")
    os.mkfifo(repo / "pipe")
    files, skips = read_all([repo], IngestConfig(max_file_bytes=1000))
    docs = by_path(files)
    assert set(docs) == {"ok.py", "empty.py", "latin.txt", "utf16.txt"}
    assert docs["empty.py"].text == "" and docs["latin.txt"].text == LATIN1_TEXT
    assert docs["utf16.txt"].text == "hé\n" and docs["utf16.txt"].encoding == "utf-16-le"
    assert all(f.ref == "main" for f in files)
    reasons = {s.path: s.reason for s in skips}
    assert reasons == {
        "image.png": "binary",
        "noise.dat": "undecodable",
        "big.py": "too_large",
        "package-lock.json": "lock_file",
        "node_modules": "vendored",
        ".git": "vcs_metadata",
        "link.py": "symlink",
        "linkdir": "symlink",
        "pipe": "special_file",
    }
    skip = by_path(skips)
    assert skip[".git"].files == 3 and skip[".git"].detail.startswith("3 files")
    assert skip["node_modules"].files == 2
    assert skip["big.py"].size_bytes == len(big)


def test_vendored_and_lock_skips_can_be_disabled(tmp_path):
    write_tree(tmp_path / "r", {"vendor/x.go": b"package x\n", "go.sum": b"h1\n", "a.go": b""})
    files, skips = read_all(
        [tmp_path / "r"], IngestConfig(skip_vendored=False, skip_lock_files=False)
    )
    assert {f.path for f in files} == {"vendor/x.go", "go.sum", "a.go"} and skips == []


def test_unreadable_file_is_recorded(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files regardless of permissions")
    write_tree(tmp_path / "r", {"a.py": b"x\n", "secret.py": b"y\n"})
    (tmp_path / "r" / "secret.py").chmod(0)
    files, skips = read_all([tmp_path / "r"])
    assert [f.path for f in files] == ["a.py"]
    assert [(s.path, s.reason) for s in skips] == [("secret.py", "unreadable")]
