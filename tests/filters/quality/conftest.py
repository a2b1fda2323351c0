"""Fixtures for the quality annotator: run it on in-memory files with real tree-sitter trees."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pyarrow as pa
import pytest

from curate.engine.annotate import annotate_batch
from curate.filters.quality import QualityAnnotator, QualityConfig


def annotate_files(files: list[tuple[str, str | None, str]], **config: object) -> pl.DataFrame:
    """(path, language, content) rows -> documents columns + quality columns, annotated as the
    engine does (size guard, shared trees)."""
    batch = pa.RecordBatch.from_pylist(
        [
            {
                "doc_uid": f"d{i}",
                "path": p,
                "language": lang,
                "content": c,
                "size_bytes": len(c.encode()),
            }
            for i, (p, lang, c) in enumerate(files)
        ],
        schema=pa.schema(
            [
                ("doc_uid", pa.string()),
                ("path", pa.string()),
                ("language", pa.string()),
                ("content", pa.large_string()),
                ("size_bytes", pa.int64()),
            ]
        ),
    )
    annotator = QualityAnnotator(QualityConfig(**config))
    (out,) = annotate_batch([annotator], batch)
    assert out.schema == QualityAnnotator.output_schema
    assert out.num_rows == batch.num_rows
    docs = pl.from_arrow(pa.Table.from_batches([batch]))
    return docs.hstack(pl.from_arrow(pa.Table.from_batches([out])))


@pytest.fixture
def annotate() -> Callable[..., pl.DataFrame]:
    return annotate_files
