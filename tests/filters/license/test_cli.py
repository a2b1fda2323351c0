"""``curate license`` on directories, archives and single files, through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from curate.cli import main; main()", "license", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture()
def repo(
    tmp_path: Path, license_text: Callable[..., str], header_source: Callable[..., str]
) -> Path:
    root = tmp_path / "myrepo"
    (root / "src").mkdir(parents=True)
    (root / "LICENSE").write_text(license_text("BSD-3-Clause"))
    (root / "src" / "a.c").write_text("int a;\n")
    (root / "src" / "b.c").write_text(header_source("GPL-3.0-or-later"))
    return root


def test_directory_and_files(repo: Path) -> None:
    result = _run(str(repo), "--files")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[0]["path"] == str(repo) and rows[0]["spdx"] == "BSD-3-Clause"
    assert rows[0]["category"] == "permissive" and rows[0]["evidence"] == "LICENSE text match"
    per_file = {r["path"]: r for r in rows[1:]}
    assert per_file["src/a.c"]["spdx"] == "BSD-3-Clause"
    assert per_file["src/b.c"]["spdx"] == "GPL-3.0-or-later"
    assert per_file["src/b.c"]["evidence"] == "src/b.c header"
    assert {"path", "spdx", "category", "confidence", "evidence"} <= set(rows[1])


def test_archive_and_single_file(repo: Path, tmp_path: Path) -> None:
    archive = tmp_path / "myrepo-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(repo, arcname="myrepo-1.0")
    result = _run(str(archive), str(repo / "src" / "b.c"))
    assert result.returncode == 0, result.stderr
    archive_row, file_row = (json.loads(line) for line in result.stdout.splitlines())
    assert archive_row["path"] == str(archive) and archive_row["spdx"] == "BSD-3-Clause"
    assert file_row["path"] == str(repo / "src" / "b.c")
    assert file_row["spdx"] == "GPL-3.0-or-later" and file_row["category"] == "strong_copyleft"


def test_bad_inputs(tmp_path: Path) -> None:
    missing = _run(str(tmp_path / "nope"))
    assert missing.returncode != 0 and missing.stderr.startswith("error: no such file")
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    result = _run(str(broken))
    assert result.returncode == 0
    row = json.loads(result.stdout.splitlines()[0])
    assert row["skipped"]  # recorded with ingest's reason, not dropped silently


def test_corrupt_archive_is_a_skip_not_no_license(tmp_path: Path) -> None:
    zero = tmp_path / "zero.zip"
    zero.write_bytes(b"")
    fake = tmp_path / "fake.tar.gz"
    fake.write_text("this is not an archive\n")
    proc = _run(str(zero), str(fake))
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r.get("skipped") for r in rows] == ["corrupt_archive", "corrupt_archive"]
    assert all("category" not in r for r in rows)
