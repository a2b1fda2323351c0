"""Tree lifetime in a batch: only the trees a later annotator reads are kept (``tree_rows``),
each document is parsed once, and the trees are freed after their last reader."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from curate.engine import trees as trees_module
from curate.engine.annotate import AnnotateLoop
from curate.engine.annotator import REGISTRY, Annotator
from curate.filters import load_all
from curate.schema import DOCUMENTS

PY = "import os\n\n\ndef f(x):\n    return os.path.join(x, 'a')\n"
JS_PLAIN = "function add(a, b) { return a + b; }\n"
JS_HEADER = (
    "/* Copyright (c) 2020 Someone.\n"
    " * Permission is hereby granted, free of charge, to any person obtaining a copy of this\n"
    " * software, to deal in the Software without restriction. Licensed under the MIT License.\n"
    " */\nexport const x = 1;\n"
)
JS_SPDX = "// SPDX-License-Identifier: MIT\nexport const y = 2;\n"
CSS = "a { color: red; }\n"


def _batch() -> pa.RecordBatch:
    contents = [PY, JS_PLAIN, JS_HEADER, JS_SPDX, CSS]
    n = len(contents)
    rows: dict[str, list[object]] = {name: [None] * n for name in DOCUMENTS.names}
    rows.update(
        doc_uid=[f"d{i}" for i in range(n)], content=contents,
        language=["Python", "JavaScript", "JavaScript", "JavaScript", "CSS"],
        path=["a.py", "b.js", "c.js", "d.js", "e.css"], repo=["r"] * n,
        size_bytes=[len(c.encode()) for c in contents], shard_id=["s"] * n,
        content_sha=[str(i) for i in range(n)], source_uri=["u"] * n, encoding=["utf-8"] * n,
    )  # fmt: skip
    return pa.Table.from_pydict(rows, schema=DOCUMENTS).to_batches()[0]


def _loop(names: list[str]) -> AnnotateLoop:
    load_all()
    annotators: list[Annotator] = [REGISTRY[name](REGISTRY[name].Config()) for name in names]
    for annotator in annotators:
        annotator.setup()
    loop = AnnotateLoop(annotators)
    loop.begin_shard(pl.from_arrow(pa.Table.from_batches([_batch()])).lazy())
    return loop


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every document the provider parses, in order."""
    seen: list[bytes] = []
    original = trees_module.parse_source_less

    def counting(parser, data, timeout_s):  # type: ignore[no-untyped-def]
        seen.append(data)
        return original(parser, data, timeout_s)

    monkeypatch.setattr(trees_module, "parse_source_less", counting)
    return seen


def test_only_read_trees_are_kept_each_document_parsed_once(
    parses: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = _loop(["parse", "quality", "secrets", "license", "pii"])
    held: dict[str, int] = {}
    for name in ("quality", "secrets", "license", "pii"):
        cls = REGISTRY[name]
        original = cls.annotate

        def spy(self, batch, ctx, original=original, name=name):  # type: ignore[no-untyped-def]
            held[name] = ctx.trees.cached
            return original(self, batch, ctx)

        monkeypatch.setattr(cls, "annotate", spy)
    selective = loop.annotate(_batch())
    # quality reads the Python tree, license the header file's (no SPDX line): 2 of 5 kept,
    # still held while license runs, freed after it (the last reader)
    assert held == {"quality": 2, "secrets": 2, "license": 2, "pii": 0}
    assert len(parses) == 5  # nothing parsed twice
    assert len(set(map(id, parses))) == 5

    parses.clear()
    for name in ("quality", "license"):  # the old behaviour: keep every tree
        monkeypatch.setattr(REGISTRY[name], "tree_rows", lambda self, ctx: None)
    keep_all = loop.annotate(_batch())
    assert held["license"] == 5 and len(parses) == 5
    assert [b.to_pylist() for b in selective] == [b.to_pylist() for b in keep_all]


def test_license_head_states_serve_the_batch_and_are_not_kept() -> None:
    from curate.filters.license.headers import file_license, head_state

    assert head_state(JS_SPDX) == "MIT" and head_state(JS_HEADER) is True
    assert head_state(JS_PLAIN) is False
    for text in (JS_SPDX, JS_HEADER, JS_PLAIN):  # a known state gives the same answer
        assert file_license(text, None, head_state(text)) == file_license(text)
    loop = _loop(["parse", "license"])
    license_annotator = loop.annotators[1]
    out = loop.annotate(_batch())
    assert license_annotator._heads is None  # type: ignore[attr-defined]
    assert out[1].column("license_spdx").to_pylist()[3] == "MIT"
