"""The answer key in examples/README.md must match the bundled example files.

Other areas test their filters against that key, so a drift between the key and the files would
make their tests lie. Everything here reads the real files; the tables are parsed from the README.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import ipaddress
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
README = EXAMPLES / "README.md"

AWS_KEY_ID = re.compile(r"\bAKIA[0-9A-Z]{16}\b")
AWS_SECRET = re.compile(r"^[A-Za-z0-9/+]{40}$")
GITHUB_TOKEN = re.compile(r"\bghp_[A-Za-z0-9]{36}\b")
PASSWORD = re.compile(r"(?i)password\w*\s*[:=]\s*\"?([^\"\s]+)")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
AWS_DOC_EXAMPLE_KEY = "AKIAIOSFODNN7EXAMPLE"


# ---------------------------------------------------------------- README table parsing


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _tables() -> dict[str, list[dict[str, str]]]:
    """Tables keyed by the `## ` heading above them; rows as header -> cell dicts."""
    tables: dict[str, list[dict[str, str]]] = {}
    heading = ""
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            heading = line[3:].strip()
        if line.startswith("|") and i + 1 < len(lines) and set(lines[i + 1]) <= set("|-: "):
            header = _cells(line)
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = _cells(lines[i])
                assert len(cells) == len(header), f"README table row has wrong width: {lines[i]}"
                rows.append(dict(zip(header, cells, strict=True)))
                i += 1
            tables[heading] = rows
            continue
        i += 1
    return tables


def _code(cell: str) -> str:
    """The text inside the first backtick pair of a cell ('' when there is none)."""
    match = re.search(r"`([^`]*)`", cell)
    return match.group(1) if match else ""


TABLES = _tables()
PLANTED = TABLES["Planted items"]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _line(path: str, number: int) -> str:
    return _decode((EXAMPLES / path).read_bytes()).splitlines()[number - 1]


def _load(script: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"examples_{script}", EXAMPLES / f"{script}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # keep examples/ clean
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = previous
    return module


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text)
    return {tuple(words[i : i + 5]) for i in range(max(1, len(words) - 4))}


# ---------------------------------------------------------------- the key vs the files


def test_readme_has_all_sections() -> None:
    for name in (
        "Repositories",
        "Planted items",
        "Language detection",
        "Near-duplicate pairs",
        "Archives",
        "Export (The Stack column shape)",
    ):
        assert TABLES.get(name), f"missing or empty table: {name}"


@pytest.mark.parametrize("section", sorted(TABLES))
def test_every_path_in_the_key_exists(section: str) -> None:
    for row in TABLES[section]:
        path = _code(next(iter(row.values())))
        assert path, f"{section}: first column has no `path`: {row}"
        assert (EXAMPLES / path).exists(), f"{section}: {path} does not exist"


def test_planted_values_sit_on_the_stated_lines() -> None:
    checked = 0
    for row in PLANTED:
        value = _code(row["Value"])
        if row["Line"] and value:
            assert value in _line(_code(row["Path"]), int(row["Line"])), row
            checked += 1
    assert checked >= 20


def test_secrets_match_their_formats_and_are_marked_fake() -> None:
    secrets = [r for r in PLANTED if r["Expected"].startswith("secret:")]
    assert {r["Expected"] for r in secrets} >= {
        "secret:aws_access_key_id",
        "secret:aws_secret_access_key",
        "secret:github_token",
        "secret:password",
    }
    for row in secrets:
        value, kind = _code(row["Value"]), row["Expected"].split(":", 1)[1]
        line = _line(_code(row["Path"]), int(row["Line"]))
        if kind == "aws_access_key_id":
            assert AWS_KEY_ID.fullmatch(value)
        elif kind == "aws_secret_access_key":
            assert AWS_SECRET.match(value)
        elif kind == "github_token":
            assert GITHUB_TOKEN.fullmatch(value)
        elif kind == "password":
            match = PASSWORD.search(line)
            assert match and match.group(1) == value, line
        assert "fake" in value.lower(), f"planted secret lacks a FAKE marker: {value}"
        assert value != AWS_DOC_EXAMPLE_KEY


def test_pii_values_are_real_shaped() -> None:
    pii = {r["Expected"]: _code(r["Value"]) for r in PLANTED if r["Expected"].startswith("pii:")}
    assert EMAIL.fullmatch(pii["pii:email"])
    assert not pii["pii:email"].split("@")[1].startswith("example.")
    assert ipaddress.ip_address(pii["pii:ip_address"]).is_global


def test_decoys_look_similar_but_are_benign() -> None:
    decoys = [r for r in PLANTED if r["Expected"].startswith("decoy:")]
    kinds = {r["Expected"] for r in decoys}
    assert kinds >= {
        "decoy:placeholder",
        "decoy:email",
        "decoy:ip_address",
        "decoy:uuid",
        "decoy:hash",
        "decoy:version",
        "decoy:password",
    }
    for row in decoys:
        value, kind = _code(row["Value"]), row["Expected"].split(":", 1)[1]
        number = int(row["Line"])
        path = _code(row["Path"])
        context = _line(path, number - 1) + "\n" + _line(path, number)
        if kind == "email":
            assert EMAIL.fullmatch(value) and value.endswith("@example.com")
        elif kind == "ip_address":
            assert not ipaddress.ip_address(value).is_global
        elif kind == "uuid":
            assert UUID.match(value)
        elif kind == "hash":
            assert SHA256_HEX.match(value) and "integrity" in context
        elif kind == "version":
            assert IPV4.fullmatch(value) and "version" in context.lower()
        elif kind == "placeholder":
            assert re.fullmatch(r"\w+=<[\w-]+>", value)
        elif kind == "password":
            assert value.endswith('""')


def _all_texts() -> list[tuple[str, str]]:
    """Every example file as text, plus each row of the export and each archive member."""
    texts = []
    for path in sorted(EXAMPLES.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(EXAMPLES).as_posix()
        data = path.read_bytes()
        if rel.endswith(".jsonl.gz"):
            for i, line in enumerate(gzip.decompress(data).decode().splitlines(), 1):
                texts.append((f"{rel}#{i}", json.loads(line)["content"]))
        elif rel.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                texts += [(f"{rel}:{n}", _decode(zf.read(n))) for n in zf.namelist()]
        else:
            texts.append((rel, _decode(data)))
    return texts


def test_no_real_looking_credentials_anywhere() -> None:
    found = 0
    for name, text in _all_texts():
        assert AWS_DOC_EXAMPLE_KEY not in text, name
        for pattern in (AWS_KEY_ID, GITHUB_TOKEN):
            for match in pattern.finditer(text):
                found += 1
                assert "FAKE" in match.group(0), f"{name}: unmarked credential {match.group(0)}"
    assert found >= 4


# ---------------------------------------------------------------- special files


def test_minified_bundle_is_one_long_line() -> None:
    text = (EXAMPLES / "repos/webapp/dist/app.min.js").read_text()
    assert text.count("\n") == 1 and len(text) > 5000


def test_data_heavy_and_binary_files() -> None:
    font = (EXAMPLES / "repos/cnative/src/font_data.c").read_text()
    assert len(re.findall(r"0x[0-9a-f]{2}\b", font)) >= 3000
    png = (EXAMPLES / "repos/cnative/assets/logo.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and b"\0" in png
    dump = (EXAMPLES / "repos/cnative/src/corrupt_dump.c").read_bytes()
    assert b"\0" not in dump
    with pytest.raises(UnicodeDecodeError):
        dump.decode("utf-8")
    controls = sum(b < 32 and b not in (9, 10, 13) for b in dump)
    assert controls / len(dump) > 0.1
    blob = json.loads((EXAMPLES / "repos/scripts/data/measurements.json").read_text())
    assert len(blob["records"]) == 2000


def test_latin1_file_is_not_utf8_but_valid_latin1() -> None:
    data = (EXAMPLES / "repos/cnative/src/legacy_crc.c").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert "Müller" in data.decode("latin-1")


def test_generated_headers_and_header_languages() -> None:
    pb2 = (EXAMPLES / "repos/py-utils/src/pyutils/proto/messages_pb2.py").read_text()
    assert "# Generated by the protocol buffer compiler.  DO NOT EDIT!" in pb2.splitlines()[:3]
    pbgo = (EXAMPLES / "repos/gotool/proto/statspb/stats.pb.go").read_text()
    assert pbgo.startswith("// Code generated by protoc-gen-go. DO NOT EDIT.")
    vec = (EXAMPLES / "repos/cnative/include/vec.h").read_text()
    assert "namespace" in vec and "template <" in vec and "class " in vec
    ring = (EXAMPLES / "repos/cnative/include/ringbuf.h").read_text()
    assert "namespace" not in ring and "template" not in ring and "class " not in ring


def test_extensionless_scripts_have_shebangs() -> None:
    for row in TABLES["Language detection"]:
        path = EXAMPLES / _code(row["Path"])
        if "no extension" in row["Expected language"]:
            assert path.suffix == "" and path.read_text().startswith("#!")
            assert os.access(path, os.X_OK)


def test_near_duplicate_pairs_have_stated_jaccard() -> None:
    for row in TABLES["Near-duplicate pairs"]:
        a = (EXAMPLES / _code(row["Path"])).read_text()
        b = (EXAMPLES / _code(row["Other"])).read_text()
        x, y = _shingles(a), _shingles(b)
        assert abs(len(x & y) / len(x | y) - float(row["Jaccard"])) <= 0.005, row


def test_exact_duplicate_is_byte_identical() -> None:
    a = EXAMPLES / "repos/py-utils/src/pyutils/cache.py"
    b = EXAMPLES / "repos/py-utils-fork/src/pyutils/cache.py"
    assert a.read_bytes() == b.read_bytes()


def test_copyleft_and_permissive_copies() -> None:
    gpl = (EXAMPLES / "repos/jvm-service/src/main/java/org/example/util/TextUtils.java").read_text()
    mit = (
        EXAMPLES / "repos/java-commons/src/main/java/com/acme/commons/TextUtils.java"
    ).read_text()
    assert "SPDX-License-Identifier: GPL-3.0-or-later" in gpl
    assert "GPL" not in mit
    assert "MIT License" in (EXAMPLES / "repos/java-commons/LICENSE").read_text()
    assert (
        (EXAMPLES / "repos/jvm-service/LICENSE")
        .read_text()
        .lstrip()
        .startswith("GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007")
    )


# ---------------------------------------------------------------- archives and export


def test_codeload_archives_have_one_top_folder() -> None:
    with tarfile.open(EXAMPLES / "archives/gotool-main.tar.gz") as tar:
        names = tar.getnames()
        assert all(m.isfile() for m in tar.getmembers())
    assert len(names) == 5 and all(n.startswith("gotool-main/") for n in names)
    with zipfile.ZipFile(EXAMPLES / "archives/tiny-zip-1.0.zip") as zf:
        assert zf.testzip() is None
        names = zf.namelist()
    assert len(names) == 5 and all(n.startswith("tiny-zip-1.0/") for n in names)
    assert "tiny-zip-1.0/tinyzip/rle.py" in names


def test_broken_archive_starts_valid_then_ends() -> None:
    data = (EXAMPLES / "archives/broken.tar.gz").read_bytes()
    assert data[:2] == b"\x1f\x8b"
    read = []
    with (
        pytest.raises((EOFError, tarfile.ReadError)),
        tarfile.open(EXAMPLES / "archives/broken.tar.gz", mode="r|gz") as tar,
    ):
        for member in tar:
            read.append(member.name)
            extracted = tar.extractfile(member)
            assert extracted is not None
            extracted.read()
    assert read[0] == "broken-main/README.md"


def test_evil_tar_members() -> None:
    with tarfile.open(EXAMPLES / "archives/evil.tar") as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert set(members) == {
        "../../escape.txt",
        "/tmp/curate-evil-absolute.txt",
        "evil-main/README.md",
        "evil-main/passwd-link",
    }
    assert members["evil-main/passwd-link"].issym()
    assert members["evil-main/passwd-link"].linkname == "/etc/passwd"
    assert members["evil-main/README.md"].isfile()


def test_stack_export_shape() -> None:
    lines = gzip.decompress((EXAMPLES / "exports/stack_sample.jsonl.gz").read_bytes()).splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 20
    keys = {
        "content",
        "hexsha",
        "size",
        "ext",
        "lang",
        "max_stars_repo_name",
        "max_stars_repo_path",
        "max_stars_count",
        "licenses",
    }
    for row in rows:
        assert set(row) == keys
        content = row["content"].encode()

        assert row["hexsha"] == hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
        assert row["size"] == len(content) and isinstance(row["licenses"], list)
    assert rows[1]["hexsha"] == rows[2]["hexsha"]
    assert rows[1]["max_stars_repo_name"] != rows[2]["max_stars_repo_name"]
    assert rows[13]["licenses"] == [] and rows[14]["licenses"] == []
    leak = rows[17]["content"]
    assert AWS_KEY_ID.search(leak) and "FakeSecret" in leak
    assert rows[18]["size"] < 20


# ---------------------------------------------------------------- determinism and size


@pytest.mark.parametrize("script", ["make_blobs", "build_archives"])
def test_committed_outputs_match_their_generators(script: str) -> None:
    for path, data in _load(script).build().items():
        assert path.read_bytes() == data, f"{path} differs from {script}.build(); rerun {script}.py"


def test_total_size_is_small() -> None:
    total = sum(p.stat().st_size for p in EXAMPLES.rglob("*") if p.is_file())
    assert total < 1_500_000


def test_py_utils_own_tests_pass() -> None:
    """The example Python code is real, working code (its own tests pass)."""
    for repo in ("py-utils", "py-utils-fork"):
        root = EXAMPLES / "repos" / repo
        env = {**os.environ, "PYTHONPATH": str(root / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--rootdir",
                str(root),
                "-c",
                os.devnull,
                str(root / "tests"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
