from __future__ import annotations

import gzip
import hashlib
import json
import random
import string

import pyarrow as pa
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


def _mixed_docs() -> list[Document]:
    """First rows with no finding (null ``license_spdx``, empty span lists), later ones with."""
    mit = (
        "MIT License\n\nCopyright (c) 2020 Jane\n\nPermission is hereby granted, free of charge, "
        "to any person obtaining a copy of this software and associated documentation files (the "
        '"Software"), to deal in the Software without restriction.\n'
    )
    plain = [
        Document(text=f"x = {i}\n", id=f"p{i}", metadata={"path": f"p{i}.py"}) for i in range(3)
    ]
    return [
        *plain,
        Document(text=SECRET_LINE, id="s", metadata={"path": "o/cfg.py", "repo": "o/r"}),
        Document(text="# SPDX-License-Identifier: MIT\nx = 1\n", id="m", metadata={"path": "m.py", "repo": "o/r"}),
        Document(text=mit, id="l", metadata={"path": "LICENSE", "repo": "o/r"}),
    ]  # fmt: skip


@pytest.mark.parametrize("expand", [False, True])
def test_parquet_writer_with_writer_schema_when_first_rows_are_null(tmp_path, expand) -> None:
    import pyarrow.parquet as pq
    from datatrove.pipeline.writers import ParquetWriter

    step = CurateAnnotate(["license", "secrets"], batch_size=2)
    out = tmp_path / "out"
    LocalPipelineExecutor(
        [
            _mixed_docs(),
            step,
            ParquetWriter(
                str(out),
                batch_size=1,
                schema=step.writer_schema(expand_metadata=expand),
                expand_metadata=expand,
            ),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(tmp_path / "log"),
    ).run()
    table = pq.read_table(sorted(out.glob("*.parquet")))
    flat = table.flatten() if not expand else table
    prefix = "" if expand else "metadata."
    rows = {r["id"]: r for r in flat.to_pylist()}
    assert list(rows) == ["p0", "p1", "p2", "s", "m", "l"]
    assert rows["p0"][prefix + "license_spdx"] is None and rows["p0"][prefix + "secret_spans"] == []
    assert rows["m"][prefix + "license_spdx"] == "MIT"
    assert rows["s"][prefix + "secret_count"] >= 1 and rows["s"][prefix + "secret_spans"][0]["kind"]
    assert flat.schema.field(prefix + "license_spdx").type == "string"


def test_parquet_writer_without_schema_fails_on_the_same_documents(tmp_path) -> None:
    """Why ``writer_schema`` exists: datatrove infers the schema from the first document."""
    from datatrove.pipeline.writers import ParquetWriter

    step = CurateAnnotate(["license", "secrets"], batch_size=2)
    docs = _mixed_docs()
    step.annotate(docs)
    arrow_errors = (ValueError, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError)
    with (
        pytest.raises(arrow_errors),
        ParquetWriter(str(tmp_path / "out"), batch_size=1) as writer,
    ):
        for doc in docs:
            writer.write(doc)


def test_datatrove_own_filters_have_their_dependencies() -> None:
    """The packages datatrove's filters import at run time are installed (pinned in
    pyproject.toml): the Gopher word tokenizer (spacy), URLFilter (fasteners, tldextract)."""
    from datatrove.pipeline.filters import GopherQualityFilter, URLFilter

    prose = "The quick brown fox jumps over the lazy dog and then runs into the old forest. " * 10
    docs = [Document(text=prose, id="prose"), Document(text="x", id="tiny")]
    assert [d.id for d in GopherQualityFilter().run(iter(docs))] == ["prose"]
    URLFilter()  # raises ImportError without fasteners / tldextract
