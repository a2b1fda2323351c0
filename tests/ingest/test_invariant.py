"""Every input file ends up exactly once, as a RawFile or inside a SkipRecord."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
import zipfile
from collections import Counter

from curate.ingest import SKIP_REASONS, IngestConfig
from tests.ingest.helpers import LATIN1_TEXT, add_tar_member, git, needs_git, read_all, write_tree

MIXED = {
    "src/a.py": b"print(1)\n",
    "src/b.c": b"int main(void) { return 0; }\n",
    "docs/latin.txt": LATIN1_TEXT.encode("latin-1"),
    "docs/utf16.md": "\ufeff# titre\n".encode("utf-16-le"),
    "assets/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00",
    "data/blob.bin": bytes(range(256)),
    "huge.txt": b"z" * 5000,
    "empty.py": b"",
    "yarn.lock": b"# lock\n",
    "node_modules/m/index.js": b"module.exports = {}\n",
    "node_modules/m/lib/x.js": b"x\n",
    "third_party/z/z.h": b"#define Z 1\n",
}


def build_inputs(root):
    """A collection with a checkout, a tar.gz, a zip, a JSONL export and a bare git repo.
    Returns {source name: independent count of input files}."""
    counts = {}
    checkout = root / "checkout"
    write_tree(
        checkout, {**MIXED, ".git/HEAD": b"ref: refs/heads/main\n", ".git/objects/x": b"\x00"}
    )
    os.symlink("src/a.py", checkout / "alias.py")
    os.mkfifo(checkout / "fifo")
    # os.walk lists the file symlink and the fifo among the files.
    counts["checkout"] = sum(len(f) for _, _, f in os.walk(checkout))

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        add_tar_member(tf, "arch/", type=tarfile.DIRTYPE)
        for name, data in MIXED.items():
            add_tar_member(tf, f"arch/{name}", data)
        add_tar_member(tf, "arch/../../evil", b"x")
        add_tar_member(tf, "arch/ln", type=tarfile.SYMTYPE, linkname="src/a.py")
        add_tar_member(tf, "arch/.git/config", b"[core]\n")
    (root / "arch.tar.gz").write_bytes(gzip.compress(buf.getvalue()))
    with tarfile.open(root / "arch.tar.gz") as tf:
        counts["arch.tar.gz"] = sum(1 for m in tf.getmembers() if not m.isdir())

    with zipfile.ZipFile(root / "zipped.zip", "w") as zf:
        for name, data in MIXED.items():
            zf.writestr(name, data)
        zf.writestr("/abs/path.py", b"x\n")
    with zipfile.ZipFile(root / "zipped.zip") as zf:
        counts["zipped.zip"] = sum(1 for i in zf.infolist() if not i.is_dir())

    lines = [
        json.dumps({"content": d.decode("latin-1"), "path": p, "repo": "j"})
        for p, d in MIXED.items()
    ]
    lines += ["{broken", json.dumps({"path": "no-content.py", "repo": "j"})]
    (root / "export.jsonl").write_text("\n".join(lines) + "\n")
    counts["export.jsonl"] = len(lines)

    work = root.parent / "gitwork"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    write_tree(work, MIXED)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "c")
    git(root, "clone", "-q", "--bare", str(work), str(root / "bare.git"))
    counts["bare.git"] = len(git(work, "ls-tree", "-r", "--name-only", "HEAD").splitlines())
    return counts


@needs_git
def test_every_input_file_is_accounted_for_once(tmp_path):
    root = tmp_path / "inputs"
    root.mkdir()
    expected = build_inputs(root)
    files, skips = read_all([root], IngestConfig(max_file_bytes=4096))

    source_of = lambda uri: os.path.basename(uri)  # noqa: E731
    seen: Counter = Counter()
    paths_seen: Counter = Counter()
    for f in files:
        seen[source_of(f.source_uri)] += 1
        paths_seen[(f.source_uri, f.path)] += 1
    for s in skips:
        assert s.reason in SKIP_REASONS
        seen[source_of(s.source_uri)] += s.files
        if s.path is not None:
            paths_seen[(s.source_uri, s.path)] += 1
    assert dict(seen) == expected
    assert max(paths_seen.values()) == 1  # no path reported twice within a source

    by_source = Counter((source_of(s.source_uri), s.reason) for s in skips)
    for source in ("checkout", "arch.tar.gz", "zipped.zip", "bare.git"):
        assert by_source[(source, "binary")] == 2
        assert by_source[(source, "too_large")] == 1
        assert by_source[(source, "lock_file")] == 1
        assert by_source[(source, "vendored")] == 2  # node_modules and third_party, one row each
    assert by_source[("checkout", "vcs_metadata")] == 1
    assert by_source[("checkout", "symlink")] == 1
    assert by_source[("arch.tar.gz", "path_traversal")] == 1
    assert by_source[("zipped.zip", "path_traversal")] == 1
    assert by_source[("export.jsonl", "malformed_record")] == 1
    assert by_source[("export.jsonl", "missing_column")] == 1
    docs = Counter(source_of(f.source_uri) for f in files)
    assert docs["checkout"] == docs["arch.tar.gz"] == docs["zipped.zip"] == docs["bare.git"] == 5
