from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import tarfile
import zipfile

import pytest
import zstandard

from curate.ingest import IngestConfig, discover_sources, git_blob_sha, read_source
from curate.ingest.readers.archive import _member_bytes, _open_tar, split_codeload
from tests.ingest.helpers import LATIN1_TEXT, add_tar_member, by_path, read_all

SHA = "0123456789abcdef0123456789abcdef01234567"
FILES = {"README.md": b"# demo\n", "src/app.py": b"print('hi')\n", "src/empty.py": b""}


def tar_bytes(
    members: dict[str, bytes], top: str | None = None, comment: str | None = None
) -> bytes:
    buf = io.BytesIO()
    pax = {"comment": comment} if comment else {}
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, pax_headers=pax) as tf:
        if top:
            add_tar_member(tf, top + "/", type=tarfile.DIRTYPE)
        for name, data in members.items():
            add_tar_member(tf, f"{top}/{name}" if top else name, data)
    return buf.getvalue()


COMPRESSORS = {
    ".tar": lambda b: b,
    ".tar.gz": gzip.compress,
    ".tgz": gzip.compress,
    ".tar.bz2": bz2.compress,
    ".tar.xz": lzma.compress,
    ".tar.zst": lambda b: zstandard.ZstdCompressor().compress(b),
}


@pytest.mark.parametrize("suffix", list(COMPRESSORS))
def test_tar_every_compression(tmp_path, suffix):
    path = tmp_path / f"demo{suffix}"
    path.write_bytes(COMPRESSORS[suffix](tar_bytes(FILES, top="demo")))
    specs, skips = discover_sources([str(path)], IngestConfig())
    assert [(s.kind, s.size_bytes) for s in specs] == [("tar", path.stat().st_size)] and not skips
    files = list(read_source(specs[0], IngestConfig()))
    assert {(f.repo, f.path) for f in files} == {("demo", p) for p in FILES}
    assert by_path(files)["src/app.py"].content_sha == git_blob_sha(FILES["src/app.py"])


def test_codeload_top_folder_is_stripped(tmp_path):
    path = tmp_path / "download.tar.gz"  # name does not matter: the git archive comment does
    path.write_bytes(gzip.compress(tar_bytes(FILES, top="my-lib-v1.2.0", comment=SHA)))
    files, skips = read_all([path])
    assert {f.path for f in files} == set(FILES) and not skips
    assert {(f.repo, f.ref) for f in files} == {("my-lib", "v1.2.0")}
    assert files[0].extra == {"commit": SHA}


def test_unrelated_top_folder_is_kept(tmp_path):
    path = tmp_path / "project.tar"
    path.write_bytes(tar_bytes({"a.py": b"a\n"}, top="src"))
    files, _ = read_all([path])
    assert [(f.repo, f.path) for f in files] == [("project", "src/a.py")]


@pytest.mark.parametrize(
    "folder,expected",
    [
        ("requests-2.31.0", ("requests", "2.31.0")),
        ("code-curate-main", ("code-curate", "main")),
        (f"repo-{SHA}", ("repo", SHA)),
        ("my-tool-v3.0-rc1", ("my-tool", "v3.0-rc1")),
        ("feature-branch-name", ("feature-branch-name", None)),
    ],
)
def test_split_codeload(folder, expected):
    assert split_codeload(folder) == expected


def test_zip_with_codeload_folder_and_symlink(tmp_path):
    path = tmp_path / "demo-main.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.comment = SHA.encode()
        zf.writestr("demo-main/", b"")
        for name, data in FILES.items():
            zf.writestr(f"demo-main/{name}", data)
        link = zipfile.ZipInfo("demo-main/link.py")
        link.create_system = 3
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "src/app.py")
        zf.writestr("demo-main/../../evil.sh", b"rm -rf /\n")
    files, skips = read_all([path])
    assert {(f.repo, f.ref, f.path) for f in files} == {("demo", "main", p) for p in FILES}
    assert {(s.path, s.reason) for s in skips} == {
        ("link.py", "symlink"),
        ("demo-main/../../evil.sh", "path_traversal"),
    }


def test_tar_special_members(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        add_tar_member(tf, "ok.py", b"x = 1\n")
        add_tar_member(tf, "../escape.py", b"x\n")
        add_tar_member(tf, "/etc/passwd", b"root\n")
        add_tar_member(tf, "link.py", type=tarfile.SYMTYPE, linkname="/etc/shadow")
        add_tar_member(tf, "hard.py", type=tarfile.LNKTYPE, linkname="ok.py")
        add_tar_member(tf, "dev", type=tarfile.CHRTYPE)
        add_tar_member(tf, "fifo", type=tarfile.FIFOTYPE)
        add_tar_member(tf, "blob.bin", b"\x00\x01\x02")
        add_tar_member(tf, "latin.txt", LATIN1_TEXT.encode("latin-1"))
        add_tar_member(tf, "huge.py", b"#" * 5000)
        add_tar_member(tf, "yarn.lock", b"# lock\n")
        add_tar_member(tf, "third_party/lib/a.c", b"int a;\n")
        add_tar_member(tf, "third_party/lib/b.c", b"int b;\n")
        add_tar_member(tf, "./.git/config", b"[core]\n")
    path = tmp_path / "odd.tar"
    path.write_bytes(buf.getvalue())
    files, skips = read_all([path], IngestConfig(max_file_bytes=4096))
    assert {f.path: f.text for f in files} == {"ok.py": "x = 1\n", "latin.txt": LATIN1_TEXT}
    assert {(s.path, s.reason, s.files) for s in skips} == {
        ("../escape.py", "path_traversal", 1),
        ("/etc/passwd", "path_traversal", 1),
        ("link.py", "symlink", 1),
        ("hard.py", "hardlink", 1),
        ("dev", "special_file", 1),
        ("fifo", "special_file", 1),
        ("blob.bin", "binary", 1),
        ("huge.py", "too_large", 1),
        ("yarn.lock", "lock_file", 1),
        ("third_party", "vendored", 2),
        (".git", "vcs_metadata", 1),
    }


@pytest.mark.parametrize("cut", [0.5, 0.8])
def test_truncated_tar_gz_keeps_what_was_read(tmp_path, cut):
    # Barely compressible content, so that a cut lands well inside the member data.
    members = {
        f"f{i:02d}.py": "".join(
            f"h{j} = '{hashlib.sha256(b'%d-%d' % (i, j)).hexdigest()}'\n" for j in range(60)
        ).encode()
        for i in range(20)
    }
    data = gzip.compress(tar_bytes(members))
    path = tmp_path / "cut.tar.gz"
    path.write_bytes(data[: int(len(data) * cut)])
    files, skips = read_all([path])
    assert 0 < len(files) < 20
    assert [f.path for f in files] == sorted(members)[: len(files)]
    assert all(f.text == members[f.path].decode() for f in files)
    source_level = [s for s in skips if s.path is None]
    assert [s.reason for s in source_level] == ["corrupt_archive"]
    assert all(s.reason == "corrupt_archive" for s in skips)


def test_tar_cut_between_members_is_detected(tmp_path):
    data = tar_bytes({"a.py": b"a\n", "b.py": b"b\n"})
    path = tmp_path / "cut.tar"
    path.write_bytes(data[:1024])  # header + data block of a.py, then nothing
    files, skips = read_all([path])
    assert [f.path for f in files] == ["a.py"]
    assert [(s.path, s.reason) for s in skips] == [(None, "corrupt_archive")]


def _members_read(raw: bytes, read) -> list[bytes | str]:
    """Each regular member's bytes as ``read(tf, member)`` gives them, or the error's text."""
    tf = _open_tar(io.BytesIO(raw))
    out: list[bytes | str] = []
    try:
        for m in iter(tf.next, None):
            if m.isreg():
                out.append(read(tf, m))
    except tarfile.ReadError as err:
        out.append(f"ReadError: {err}")
    return out


@pytest.mark.parametrize("cut", [None, 2570, 5732])  # whole, in a header, in member data
def test_member_bytes_are_what_extractfile_reads(cut):
    """``_member_bytes`` (read straight from the stream) gives ``extractfile(m).read()``'s
    bytes, and its error where a member's data is cut short."""
    sizes = (0, 1, 511, 512, 1000, 5000)
    raw = tar_bytes({f"m{n}.bin": bytes(i % 251 for i in range(n)) for n in sizes})
    raw = raw if cut is None else raw[:cut]
    want = _members_read(raw, lambda tf, m: tf.extractfile(m).read())
    got = _members_read(raw, lambda tf, m: _member_bytes(tf, m))
    assert got == want
    assert any(isinstance(x, str) for x in got) == (cut == 5732)  # m5000.bin's data is cut


@pytest.mark.parametrize(
    "name,payload", [("bad.zip", b"PK\x03\x04garbage"), ("bad.tar.gz", b"\x1f\x8bnot gzip")]
)
def test_corrupt_archives(tmp_path, name, payload):
    path = tmp_path / name
    path.write_bytes(payload)
    files, skips = read_all([path])
    assert files == []
    assert [(s.path, s.reason, s.files) for s in skips] == [(None, "corrupt_archive", 0)]


def test_unsupported_file_is_a_discovery_skip(tmp_path):
    path = tmp_path / "notes.rar"
    path.write_bytes(b"Rar!")
    specs, skips = discover_sources([str(path)], IngestConfig())
    assert specs == [] and [s.reason for s in skips] == ["unsupported_source"]
