"""Build the committed archive and export fixtures from files in this folder.

    python examples/build_archives.py

Deterministic: sorted members, fixed mtimes (2024-01-01T00:00:00Z), uid/gid 0, no user names,
gzip header mtime 0 and no file name. A rerun rewrites byte-identical files.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "archive_src"
REPOS = HERE / "repos"
ARCHIVES = HERE / "archives"
EXPORTS = HERE / "exports"
MTIME = 1704067200  # 2024-01-01T00:00:00Z
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def repo_files(root: Path) -> list[tuple[str, bytes]]:
    """(relative posix path, bytes) for every file under root, sorted."""
    return [
        (p.relative_to(root).as_posix(), p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]


def _tar_info(name: str, size: int, mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = MTIME
    info.mode = mode
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def tar_bytes(members: list[tuple[str, bytes]], symlinks: dict[str, str] | None = None) -> bytes:
    """An uncompressed ustar/pax archive with directories implied by paths."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            tar.addfile(_tar_info(name, len(data)), io.BytesIO(data))
        for name, target in sorted((symlinks or {}).items()):
            info = _tar_info(name, 0, 0o777)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def codeload_tar_gz(src: Path, top: str) -> bytes:
    """GitHub codeload shape: every member under one top folder `<repo>-<ref>/`."""
    members = [(f"{top}/{rel}", data) for rel, data in repo_files(src)]
    return gzip_bytes(tar_bytes(members))


def codeload_zip(src: Path, top: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel, data in repo_files(src):
            info = zipfile.ZipInfo(f"{top}/{rel}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def broken_tar_gz() -> bytes:
    """A gzip tar whose first member is intact but whose stream stops mid-way."""
    members = [("broken-main/README.md", b"# broken\n\nThis archive is cut off on purpose.\n")]
    members += [(f"broken-main/{rel}", data) for rel, data in repo_files(REPOS / "rusty")]
    full = gzip_bytes(tar_bytes(members))
    return full[: len(full) // 2]


def evil_tar() -> bytes:
    """Path traversal, an absolute path and a symlink out of the tree, plus one normal file."""
    members = [
        ("../../escape.txt", b"If you can read this outside the extraction folder, extraction is unsafe.\n"),
        ("/tmp/curate-evil-absolute.txt", b"absolute member path\n"),
        ("evil-main/README.md", b"# evil\n\nOnly this file is safe to ingest.\n"),
    ]
    return tar_bytes(members, symlinks={"evil-main/passwd-link": "/etc/passwd"})


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# (repo name, path in that repo, stars, licenses, source: file under examples/ or inline text)
STACK_ROWS: list[tuple[str, str, int, list[str], str]] = [
    ("dokafor/pyutils", "src/pyutils/text.py", 41, ["MIT"], "repos/py-utils/src/pyutils/text.py"),
    ("dokafor/pyutils", "src/pyutils/cache.py", 41, ["MIT"], "repos/py-utils/src/pyutils/cache.py"),
    ("lmarsh/pyutils-plus", "src/pyutils/cache.py", 3, ["MIT"], "repos/py-utils-fork/src/pyutils/cache.py"),
    ("dokafor/pyutils", "src/pyutils/proto/messages_pb2.py", 41, ["MIT"], "repos/py-utils/src/pyutils/proto/messages_pb2.py"),
    ("ivermeulen/jvm-service", "src/main/java/org/example/util/TextUtils.java", 12, ["GPL-3.0-or-later"], "repos/jvm-service/src/main/java/org/example/util/TextUtils.java"),
    ("acme-tools/acme-commons", "src/main/java/com/acme/commons/TextUtils.java", 210, ["MIT"], "repos/java-commons/src/main/java/com/acme/commons/TextUtils.java"),
    ("praman/gotool", "internal/wordcount/wordcount.go", 7, ["MIT"], "repos/gotool/internal/wordcount/wordcount.go"),
    ("praman/gotool", "main.go", 7, ["MIT"], "repos/gotool/main.go"),
    ("rusty-dev/rusty", "src/lib.rs", 88, ["MIT", "Apache-2.0"], "repos/rusty/src/lib.rs"),
    ("rusty-dev/rusty", "src/histogram.rs", 88, ["MIT", "Apache-2.0"], "repos/rusty/src/histogram.rs"),
    ("twierzbicki/cnative", "src/ringbuf.c", 5, ["BSD-3-Clause"], "repos/cnative/src/ringbuf.c"),
    ("twierzbicki/cnative", "include/vec.h", 5, ["BSD-3-Clause"], "repos/cnative/include/vec.h"),
    ("northwind/webapp", "src/format.ts", 2, ["Apache-2.0"], "repos/webapp/src/format.ts"),
    ("ops-team/scripts", "bin/deploy.sh", 0, [], "repos/scripts/bin/deploy"),
    ("ops-team/scripts", "tools/logstats.pl", 0, [], "repos/scripts/tools/logstats.pl"),
    ("aferreira/hello-archive", "greet/greet.go", 1, ["MIT"], "archive_src/hello-archive/greet/greet.go"),
    ("kwatanabe/tinyzip", "tinyzip/rle.py", 9, ["Apache-2.0"], "archive_src/tiny-zip/tinyzip/rle.py"),
    ("hq-labs/notebooks", "etl/upload.py", 0, ["AGPL-3.0-only"], "inline:upload"),
    ("someone/dotfiles", "hello.py", 0, ["MIT"], "inline:tiny"),
    ("data-lab/loaders", "loaders/csv_loader.py", 15, ["BSD-2-Clause"], "inline:csv"),
]

INLINE = {
    # a leaked (FAKE) AWS key pair and a public IPv4 inside a permissive-looking export row
    "upload": '''import boto3

# TODO move to env before release (these are FAKE test values)
AWS_ACCESS_KEY_ID = "AKIAQ7N2LXRTFAKE8M4D"
AWS_SECRET_ACCESS_KEY = "mN8pQ2rS+vW4yZ6bC0dFakeSecretKey1gH3jK5l"
UPLOAD_HOST = "52.95.110.27"


def upload(path, bucket="etl-drop"):
    s3 = boto3.client(
        "s3",
        aws_access_key_id=AWS_ACCESS_KEY_ID,
        aws_secret_access_key=AWS_SECRET_ACCESS_KEY,
    )
    s3.upload_file(path, bucket, path.rsplit("/", 1)[-1])
''',
    "tiny": 'print("hi")\n',
    "csv": '''import csv
from pathlib import Path


def load_rows(path, required=("id", "name")):
    """Read a CSV file into dicts, skipping rows that miss a required column."""
    rows = []
    with Path(path).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if all(row.get(key) for key in required):
                rows.append(row)
    return rows
''',
}

EXT_LANG = {"py": "Python", "java": "Java", "go": "Go", "rs": "Rust", "c": "C", "h": "C++",
            "ts": "TypeScript", "sh": "Shell", "pl": "Perl"}


def stack_sample() -> bytes:
    lines = []
    for repo, path, stars, licenses, source in STACK_ROWS:
        if source.startswith("inline:"):
            content = INLINE[source.split(":", 1)[1]]
        else:
            content = (HERE / source).read_text(encoding="utf-8")
        ext = path.rsplit(".", 1)[-1]
        row = {
            "hexsha": git_blob_sha1(content.encode("utf-8")),
            "size": len(content.encode("utf-8")),
            "ext": ext,
            "lang": EXT_LANG[ext],
            "max_stars_repo_path": path,
            "max_stars_repo_name": repo,
            "max_stars_count": stars,
            "licenses": licenses,
            "content": content,
        }
        lines.append(json.dumps(row, ensure_ascii=False, sort_keys=True))
    return gzip_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def build() -> dict[Path, bytes]:
    """Every built file (absolute path -> bytes)."""
    return {
        ARCHIVES / "gotool-main.tar.gz": codeload_tar_gz(SRC / "hello-archive", "gotool-main"),
        ARCHIVES / "tiny-zip-1.0.zip": codeload_zip(SRC / "tiny-zip", "tiny-zip-1.0"),
        ARCHIVES / "broken.tar.gz": broken_tar_gz(),
        ARCHIVES / "evil.tar": evil_tar(),
        EXPORTS / "stack_sample.jsonl.gz": stack_sample(),
    }


def main() -> None:
    ARCHIVES.mkdir(exist_ok=True)
    EXPORTS.mkdir(exist_ok=True)
    for path, data in build().items():
        path.write_bytes(data)
        print(f"{len(data):8d}  {path.relative_to(HERE)}")


if __name__ == "__main__":
    main()
