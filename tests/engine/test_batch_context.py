"""BatchContext hands annotators each row's content as str and as UTF-8 bytes."""

from __future__ import annotations

import pyarrow as pa
import pytest

from curate.engine.annotator import BatchContext


@pytest.mark.parametrize("string_type", [pa.string(), pa.large_string()])
def test_content_bytes_are_the_utf8_of_contents(string_type: pa.DataType) -> None:
    texts = ["plain ascii\n", "ünïcode → ✓ 🐍\n", "", None]
    batch = pa.RecordBatch.from_arrays([pa.array(texts, string_type)], names=["content"])
    ctx = BatchContext(batch, None)
    for i, text in enumerate(texts):
        expected = (text or "").encode("utf-8")
        assert ctx.content_bytes(i) == expected
        assert isinstance(ctx.content_bytes(i), bytes)
    assert ctx.contents == texts
    # the bytes of a sliced batch are those of its own rows
    sliced = BatchContext(batch.slice(1, 2), None)
    assert sliced.content_bytes(0) == texts[1].encode("utf-8")
    assert sliced.content_bytes(1) == b""
