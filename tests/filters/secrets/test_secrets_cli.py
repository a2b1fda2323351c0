from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from curate.filters.secrets.findings import value_hash

REPO = Path(__file__).resolve().parents[3]
TOKEN = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
CODE = f'import os\n\nTOKEN = "{TOKEN}"\n# maintainer: ana.garcia@proton.me\n'


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from curate.cli import main; main()", "secrets", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "src").mkdir(parents=True)
    (tmp_path / "repo" / "src" / "app.py").write_text(CODE)
    (tmp_path / "repo" / "README.md").write_text("nothing to see\n")
    return tmp_path


def test_findings_as_json_lines(tree):
    f = tree / "repo" / "src" / "app.py"
    proc = _run(str(f))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [(r["kind"], r["line"]) for r in rows] == [("github_token", 3), ("email", 4)]
    tok = rows[0]
    assert CODE[tok["start"] : tok["end"]] == TOKEN
    assert tok["value_hash"] == value_hash(TOKEN) and tok["path"] == str(f)
    assert TOKEN not in proc.stdout + proc.stderr  # never the value itself
    assert "github_token=1" in proc.stderr


def test_redact(tree):
    proc = _run("--redact", str(tree / "repo" / "src" / "app.py"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == 'import os\n\nTOKEN = "<KEY>"\n# maintainer: <EMAIL>\n'


def test_directory_and_archive(tree):
    archive = tree / "repo.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(tree / "repo", arcname="repo")
    for target in (tree / "repo", archive):
        proc = _run("--no-pii", str(target))
        assert proc.returncode == 0, proc.stderr
        rows = [json.loads(x) for x in proc.stdout.splitlines()]
        assert [(r["path"], r["kind"]) for r in rows] == [("src/app.py", "github_token")]


def test_missing_path_is_one_line_error(tree):
    proc = _run(str(tree / "nope"))
    assert proc.returncode != 0
    assert proc.stderr.strip().startswith("error:") and "Traceback" not in proc.stderr


def test_bundled_examples_match_answer_key():
    """examples/README.md lists the planted secrets/PII of examples/repos/webapp."""
    webapp = REPO / "examples" / "repos" / "webapp"
    if not (webapp / "config" / ".env").exists():
        pytest.skip("bundled examples not present")
    proc = _run(str(webapp / "config" / ".env"), str(webapp / "src" / "config.ts"))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    got = {(Path(r["path"]).name, r["line"], r["kind"]) for r in rows}
    assert got == {
        (".env", 7, "password"),
        (".env", 9, "aws_access_key_id"),
        (".env", 10, "aws_secret_access_key"),
        (".env", 11, "github_token"),
        ("config.ts", 21, "ipv4"),
        ("config.ts", 23, "email"),
        ("config.ts", 25, "github_token"),
        ("config.ts", 35, "password"),
    }


def test_unreadable_archive_is_warned_not_silent(tree):
    """A corrupt archive scans 0 files; stderr says why (single skipped files stay quiet)."""
    bad = tree / "dump.tar.gz"
    bad.write_text("this is not gzip\n")
    (tree / "repo" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    proc = _run(str(bad), str(tree / "repo"))
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, proc.stderr
    assert f"skipped {bad}: corrupt_archive (" in warnings[0]
