"""Builders and readers shared by the ingest tests: every input is generated, nothing is committed."""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from curate.ingest import IngestConfig, RawFile, SkipRecord, discover_sources, read_source

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git CLI not installed")

LATIN1_TEXT = "Café, crème brûlée et déjà-vu: où êtes-vous? Ça va très bien, merci.\n" * 4
UTF16_TEXT = "# Grüße aus München\nprint('héllo wörld')\n"


def read_all(paths: Iterable[Path | str], cfg: IngestConfig | None = None):
    """(files, skips) of discovering and reading every source under `paths`."""
    cfg = cfg or IngestConfig()
    specs, skips = discover_sources([str(p) for p in paths], cfg)
    files: list[RawFile] = []
    skips = list(skips)
    for spec in specs:
        for item in read_source(spec, cfg):
            (files if isinstance(item, RawFile) else skips).append(item)
    return files, skips


def by_path(items: Iterable[RawFile | SkipRecord]) -> dict[str | None, RawFile | SkipRecord]:
    return {i.path: i for i in items}


def add_tar_member(tf: tarfile.TarFile, name: str, data: bytes = b"", **attrs) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    if info.type != tarfile.REGTYPE:
        info.size = 0
        tf.addfile(info)
    else:
        tf.addfile(info, io.BytesIO(data))


def git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin:/usr/local/bin",
    }  # fmt: skip
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, check=True)
    return proc.stdout.decode().strip()


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
