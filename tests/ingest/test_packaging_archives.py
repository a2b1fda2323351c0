"""Archive shapes found in real package registries (docs/ingest.md, "Checked on third-party
archives"): npm tarballs wrap every file in ``package/`` whatever the package is called."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

from tests.ingest.helpers import add_tar_member, read_all

NPM_FILES = {
    "package.json": b'{"name": "left-pad", "version": "1.3.0"}\n',
    "index.js": b"module.exports = (s, n) => s.padStart(n);\n",
    "lib/util.js": b"exports.id = (x) => x;\n",
}


def npm_tarball(files: dict[str, bytes]) -> bytes:
    """Like ``npm pack``: no directory entries, every file under ``package/``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            add_tar_member(tf, f"package/{name}", data)
    return gzip.compress(buf.getvalue())


def test_npm_package_folder_is_stripped_and_name_split(tmp_path):
    path = tmp_path / "left-pad-1.3.0.tgz"
    path.write_bytes(npm_tarball(NPM_FILES))
    files, skips = read_all([path])
    assert not skips
    assert {(f.repo, f.ref, f.path) for f in files} == {("left-pad", "1.3.0", p) for p in NPM_FILES}


def test_npm_tarball_without_version_keeps_whole_name(tmp_path):
    path = tmp_path / "my-feature-branch.tgz"
    path.write_bytes(npm_tarball(NPM_FILES))
    files, _ = read_all([path])
    assert {(f.repo, f.ref) for f in files} == {("my-feature-branch", None)}
    assert {f.path for f in files} == set(NPM_FILES)


def test_package_folder_in_zip_is_stripped(tmp_path):
    path = tmp_path / "widget-2.0.0.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in NPM_FILES.items():
            zf.writestr(f"package/{name}", data)
    files, _ = read_all([path])
    assert {(f.repo, f.ref, f.path) for f in files} == {("widget", "2.0.0", p) for p in NPM_FILES}


def test_package_folder_beside_other_top_entries_is_kept(tmp_path):
    path = tmp_path / "mixed.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("package/index.js", b"1;\n")
        zf.writestr("README.md", b"# mixed\n")
    files, _ = read_all([path])
    assert {(f.repo, f.path) for f in files} == {
        ("mixed", "package/index.js"),
        ("mixed", "README.md"),
    }
