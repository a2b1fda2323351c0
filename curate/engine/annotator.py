"""The annotator contract: filters add columns, they never change content.

An annotator is registered under a versioned name (``secrets@1``). For each shard the segment
calls ``begin_shard`` once with a lazy view of the shard's documents (so repository-level logic,
e.g. a repo's LICENSE file, can look across the shard), then ``annotate`` once per Arrow batch.
It returns one row per input row, in input order, with exactly the columns of ``output_schema``;
``doc_uid`` is added by the engine. Missing values are nulls, never magic numbers.

Heavy state (parsers, models) is built in ``setup``; the engine calls it once per worker process.
Tree-sitter trees are shared between annotators of one batch through ``BatchContext.tree``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import polars as pl
import pyarrow as pa
from pydantic import BaseModel, ConfigDict


class AnnotatorConfig(BaseModel):
    """Base for annotator configs: frozen, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    enabled: bool = True
    max_doc_bytes: int = 4 * 1024 * 1024
    """Size guard: larger documents get null annotations instead of being processed."""


class BatchContext:
    """Per-batch state shared by the annotators of one fused segment."""

    def __init__(self, batch: pa.RecordBatch, tree_provider: Callable[[str, bytes], Any] | None):
        self.batch = batch
        self._tree_provider = tree_provider
        self._columns: dict[str, list[Any]] = {}
        self._bytes: list[bytes | None] | None = None
        self._trees: dict[int, Any] = {}
        self.attributes: dict[str, pa.RecordBatch] = {}
        """Outputs of the annotators that already ran on this batch, by registry key."""

    def __len__(self) -> int:
        return self.batch.num_rows

    def column(self, name: str) -> list[Any]:
        """A documents column as a Python list (cached)."""
        if name not in self._columns:
            self._columns[name] = self.batch.column(name).to_pylist()
        return self._columns[name]

    @property
    def contents(self) -> list[str]:
        return self.column("content")

    def content_bytes(self, i: int) -> bytes:
        """Row ``i``'s content as UTF-8 bytes, copied straight from the Arrow buffer (a string
        column is valid UTF-8), so byte-level annotators never pay a decode and an encode."""
        if self._bytes is None:
            column = self.batch.column("content")
            binary = pa.large_binary() if pa.types.is_large_string(column.type) else pa.binary()
            self._bytes = column.cast(binary).to_pylist()
        data = self._bytes[i]
        return b"" if data is None else data

    def tree(self, i: int) -> Any | None:
        """The tree-sitter tree of row ``i`` (parsed once per batch), or None when the language
        has no grammar, the file is over the parse size guard, or the parse timed out."""
        if i not in self._trees:
            language = self.column("language")[i]
            tree = None
            if self._tree_provider is not None and language:
                tree = self._tree_provider(language, self.content_bytes(i))
            self._trees[i] = tree
        return self._trees[i]


class Annotator(ABC):
    name: ClassVar[str]
    version: ClassVar[int] = 1
    Config: ClassVar[type[AnnotatorConfig]] = AnnotatorConfig
    output_schema: ClassVar[pa.Schema]
    uses_trees: ClassVar[bool] = False
    """True when ``annotate`` reads ``ctx.tree(i)``: the segment keeps a batch's parse trees
    for later annotators only when one of them does (holding them costs memory and time)."""

    def __init__(self, config: AnnotatorConfig | None = None):
        self.config = config if config is not None else self.Config()

    @classmethod
    def key(cls) -> str:
        return f"{cls.name}@{cls.version}"

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Load models/parsers. Called once per worker process before any batch."""

    def begin_shard(self, documents: pl.LazyFrame) -> None:  # noqa: B027 - optional hook
        """Called once per shard before its batches, with all of the shard's documents."""

    @abstractmethod
    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        """Return ``output_schema`` columns, one row per input row, same order."""


REGISTRY: dict[str, type[Annotator]] = {}


def register(cls: type[Annotator]) -> type[Annotator]:
    """Class decorator: make an annotator available to pipelines by its ``name``."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"annotator name {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def empty_like(schema: pa.Schema, n: int) -> pa.RecordBatch:
    """A batch of ``n`` all-null rows: what a disabled or skipped annotator returns."""
    return pa.RecordBatch.from_arrays([pa.nulls(n, f.type) for f in schema], schema=schema)
