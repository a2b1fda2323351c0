from __future__ import annotations

import subprocess

from curate.ingest import IngestConfig, discover_sources, read_source
from tests.ingest.helpers import git, needs_git, read_all, write_tree

pytestmark = needs_git


def make_repo(tmp_path):
    """A bare repo whose HEAD branch `trunk` has text, binary, symlink, submodule, lock and
    vendored entries; another branch holds a file that must not be read."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "trunk")
    write_tree(
        work,
        {
            "main.py": b"print('hi')\n",
            "lib/util.py": b"def f():\n    return 1\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00",
            "Cargo.lock": b"# lock\n",
            "vendor/dep/x.go": b"package dep\n",
            "big.txt": b"x" * 3000,
        },
    )
    (work / "link").symlink_to("main.py")
    git(work, "add", "-A")
    sub = "1111111111111111111111111111111111111111"
    git(work, "update-index", "--add", "--cacheinfo", f"160000,{sub},ext/sub")
    git(work, "commit", "-q", "-m", "one")
    git(work, "checkout", "-q", "-b", "other")
    write_tree(work, {"other_only.py": b"x\n"})
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "two")
    git(work, "checkout", "-q", "trunk")
    bare = tmp_path / "proj.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return work, bare


def check_repo_items(files, skips, work):
    assert {f.path for f in files} == {"main.py", "lib/util.py"}
    commit = git(work, "rev-parse", "trunk")
    for f in files:
        assert f.repo == "proj" and f.ref == "trunk" and f.extra == {"commit": commit}
        assert f.content_sha == git(work, "rev-parse", f"trunk:{f.path}")
    assert {(s.path, s.reason) for s in skips} == {
        ("logo.png", "binary"),
        ("Cargo.lock", "lock_file"),
        ("vendor", "vendored"),
        ("big.txt", "too_large"),
        ("link", "symlink"),
        ("ext/sub", "submodule"),
    }


def test_bare_repository(tmp_path):
    work, bare = make_repo(tmp_path)
    specs, _ = discover_sources([str(bare)], IngestConfig())
    assert [s.kind for s in specs] == ["git"]
    files, skips = read_all([bare], IngestConfig(max_file_bytes=2048))
    check_repo_items(files, skips, work)


def test_bundle(tmp_path):
    work, _ = make_repo(tmp_path)
    bundle = tmp_path / "proj.bundle"
    git(work, "bundle", "create", "-q", str(bundle), "--all")
    specs, _ = discover_sources([str(bundle)], IngestConfig())
    assert [s.kind for s in specs] == ["git_bundle"]
    files, skips = read_all([bundle], IngestConfig(max_file_bytes=2048))
    check_repo_items(files, skips, work)


def test_bare_repos_in_a_collection(tmp_path):
    _, bare = make_repo(tmp_path)
    coll = tmp_path / "coll"
    coll.mkdir()
    bare.rename(coll / "proj.git")
    specs, _ = discover_sources([str(coll)], IngestConfig())
    assert [(s.kind, s.repo) for s in specs] == [("git", "proj")]


def test_empty_and_broken_repositories_are_git_errors(tmp_path):
    empty = tmp_path / "empty.git"
    subprocess.run(["git", "init", "-q", "--bare", str(empty)], check=True)
    bad = tmp_path / "bad.bundle"
    bad.write_bytes(b"# v2 git bundle\nnot really\n")
    cfg = IngestConfig()
    specs, _ = discover_sources([str(empty), str(bad)], cfg)
    for spec in specs:
        items = list(read_source(spec, cfg))
        assert [(i.reason, i.path, i.files) for i in items] == [("git_error", None, 0)]


def test_git_archive_output_is_stripped_like_codeload(tmp_path):
    """`git archive` is what GitHub codeload serves: a `<name>-<ref>/` prefix plus the commit
    id in a pax global header (tar) or the zip comment."""
    work, _ = make_repo(tmp_path)
    commit = git(work, "rev-parse", "trunk")
    for fmt in ("tar.gz", "zip"):
        out = tmp_path / f"download.{fmt}"
        git(work, "archive", f"--format={fmt}", "--prefix=proj-trunk/", f"--output={out}", "trunk")
        files, skips = read_all([out], IngestConfig(max_file_bytes=2048))
        assert {f.path for f in files} == {"main.py", "lib/util.py"}, fmt
        assert {(f.repo, f.ref, f.extra["commit"]) for f in files} == {("proj", "trunk", commit)}
        assert {(s.path, s.reason) for s in skips} == {
            ("logo.png", "binary"),
            ("Cargo.lock", "lock_file"),
            ("vendor", "vendored"),
            ("big.txt", "too_large"),
            ("link", "symlink"),
        }, fmt
