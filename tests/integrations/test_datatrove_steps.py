from __future__ import annotations

import gzip
import hashlib
import json
import random
import string

import pytest
from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from curate.errors import ConfigError
from curate.integrations.datatrove import CurateAnnotate, CurateRedact, documents_batch

_rng = random.Random(1)
TOKEN = "ghp_" + "".join(_rng.choice(string.ascii_letters + string.digits) for _ in range(36))
EMAIL = "jane.doe@corp-mail.com"
SECRET_LINE = f'token = "{TOKEN}"\nowner = "{EMAIL}"\n'


def _docs() -> list[Document]:
    return [
        Document(text="def f(x):\n    return x + 1\n", id="a", metadata={"max_stars_repo_path": "pkg/f.py", "max_stars_repo_name": "o/r"}),
        Document(text=SECRET_LINE + "print('hi')\n", id="b", metadata={"path": "cfg/settings.py", "repo": "o/r", "lang": "Python"}),
        Document(text="x" * 5000 + "\n", id="c", metadata={"path": "data/blob.js"}),
    ]  # fmt: skip


def test_documents_batch_maps_the_stack_names() -> None:
    batch = documents_batch(_docs()).to_pylist()
    assert [r["path"] for r in batch] == ["pkg/f.py", "cfg/settings.py", "data/blob.js"]
    assert [r["repo"] for r in batch] == ["o/r", "o/r", ""]
    assert [r["language"] for r in batch] == [
        "Python",
        "Python",
        "JavaScript",
    ]  # detected, given, detected
    # git blob sha-1, as `git hash-object` computes it: sha1(b"blob <size>\0" + data)
    data = _docs()[0].text.encode()
    assert batch[0]["content_sha"] == hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()
    assert [r["doc_uid"] for r in batch] == ["a", "b", "c"]


def test_annotators_run_inside_a_real_datatrove_pipeline(tmp_path) -> None:
    src = tmp_path / "in"
    LocalPipelineExecutor(
        [_docs(), JsonlWriter(str(src))], tasks=1, workers=1, logging_dir=str(tmp_path / "log1")
    ).run()
    out = tmp_path / "out"
    LocalPipelineExecutor(
        [
            JsonlReader(str(src)),
            CurateAnnotate(["parse", "secrets", "pii"], batch_size=2),
            CurateRedact(),
            JsonlWriter(str(out)),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(tmp_path / "log2"),
    ).run()
    rows = [
        json.loads(line)
        for f in sorted(out.glob("*.jsonl.gz"))
        for line in gzip.decompress(f.read_bytes()).decode().splitlines()
    ]
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"a", "b", "c"}
    meta = by_id["b"]["metadata"]
    assert meta["secret_count"] >= 1 and any(s["kind"] for s in meta["secret_spans"])
    assert meta["pii_email_count"] == 1
    text = by_id["b"]["text"]
    assert TOKEN not in text and EMAIL not in text and "<KEY>" in text and "<EMAIL>" in text
    assert "print('hi')" in text
    assert by_id["a"]["metadata"]["secret_spans"] == [] and by_id["a"]["text"] == _docs()[0].text
    assert by_id["a"]["metadata"]["parse_status"] == "ok"
    assert by_id["a"]["metadata"]["parse_function_count"] == 1
    assert by_id["c"]["metadata"]["parse_node_count"] > 0


def test_unknown_annotator_or_bad_option_fails_early() -> None:
    with pytest.raises(ConfigError, match="unknown annotator"):
        CurateAnnotate(["no_such_thing"])
    with pytest.raises(Exception, match="extra"):
        CurateAnnotate([("parse", {"not_an_option": 1})])
