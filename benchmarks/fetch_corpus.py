"""Fetch a fixed set of public source distributions from PyPI into ``.bench/quality/sdists``
(git-ignored) and unpack their text files into one Parquet table for the quality benchmark and
the human-judgement sample (docs/quality.md).

    .venv/bin/python benchmarks/fetch_corpus.py            # download (pip) + build corpus.parquet

The list mixes Python, C/C++ (zstandard, brotli, cffi, ujson, msgpack), JavaScript/CSS/HTML
(Django admin, Sphinx themes) and many languages' sample files (Pygments' test corpus).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / ".bench" / "quality"
SDISTS = BENCH / "sdists"
CORPUS = BENCH / "corpus.parquet"
PACKAGES = [
    "requests==2.32.3",
    "flask==3.0.3",
    "click==8.1.7",
    "jinja2==3.1.4",
    "rich==13.9.4",
    "attrs==24.2.0",
    "pyyaml==6.0.2",
    "httpx==0.27.2",
    "pygments==2.18.0",
    "sqlparse==0.5.1",
    "markdown==3.7",
    "docutils==0.21.2",
    "ujson==5.10.0",
    "zstandard==0.23.0",
    "msgpack==1.1.0",
    "cffi==1.17.1",
    "brotli==1.1.0",
    "django==5.1.3",
    "sphinx==8.1.3",
]
MAX_FILE_BYTES = 1 << 20


def download() -> None:
    SDISTS.mkdir(parents=True, exist_ok=True)
    for spec in PACKAGES:
        name = spec.split("==")[0].lower().replace("-", "_")
        if any(p.name.lower().replace("-", "_").startswith(name + "-") for p in SDISTS.iterdir()):
            continue
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                spec.split("==")[0],  # the sdist of this package; build tools may be wheels
                "-q",
                "-d",
                str(SDISTS),
                spec,
            ],
            check=True,
        )


def _members(archive: Path):  # type: ignore[no-untyped-def]
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir() and info.file_size <= MAX_FILE_BYTES:
                    yield info.filename, zf.read(info)
    else:
        with tarfile.open(archive) as tf:
            for m in tf:
                if m.isfile() and m.size <= MAX_FILE_BYTES:
                    fh = tf.extractfile(m)
                    if fh is not None:
                        yield m.name, fh.read()


def build_corpus() -> pl.DataFrame:
    sys.path.insert(0, str(ROOT))
    from curate.languages.detect import detect_language

    rows = []
    for archive in sorted(SDISTS.iterdir()):
        for name, data in _members(archive):
            if b"\0" in data[:8192]:
                continue  # binary: ingest skips these
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            repo, _, path = name.partition("/")
            rows.append(
                {
                    "doc_uid": f"{repo}/{path}",
                    "repo": repo,
                    "path": path,
                    "language": detect_language(path, text[:4096]),
                    "content": text,
                    "size_bytes": len(data),
                }
            )
    frame = pl.DataFrame(rows, schema_overrides={"content": pl.String})
    frame.write_parquet(CORPUS)
    return frame


if __name__ == "__main__":
    download()
    corpus = build_corpus()
    print(f"{CORPUS}: {corpus.height} files, {corpus['size_bytes'].sum() / 1e6:.1f} MB")
    print(
        corpus.group_by("language")
        .agg(pl.len(), pl.col("size_bytes").sum())
        .sort("size_bytes", descending=True)
        .head(15)
    )
