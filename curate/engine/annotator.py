"""The annotator contract: filters add columns, they never change content.

An annotator is registered under a versioned name (``secrets@1``). For each shard the engine
calls ``begin_shard`` once with a lazy view of the shard's documents (so repository-level logic,
e.g. a repo's LICENSE file, can look across the shard), then ``annotate`` once per Arrow batch.
It returns one row per input row, in input order, with exactly the columns of ``output_schema``;
``doc_uid`` is added by the engine. Missing values are nulls, never magic numbers.

The engine (``curate.engine.annotate``) owns what every annotator would otherwise repeat: the
size guard (documents whose ``size_bytes`` exceed the config's ``max_doc_bytes`` never reach
``annotate``; they get ``annotate_oversize``'s rows, nulls and ``too_large`` in the
``status_column``), output checks and null filling, timing and statistics. Heavy state (parsers,
models) is built in ``setup``, once per worker process. Tree-sitter trees are shared between the
annotators of one batch through ``BatchContext.tree``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import polars as pl
import pyarrow as pa
from pydantic import BaseModel, ConfigDict

from curate.errors import ConfigError

if TYPE_CHECKING:
    from curate.engine.trees import TreeGuards, TreeProvider

TOO_LARGE = "too_large"


class AnnotatorConfig(BaseModel):
    """Base for annotator configs: frozen, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    enabled: bool = True
    max_doc_bytes: int = 4 * 1024 * 1024
    """Size guard: documents larger than this (``size_bytes``) get null annotations instead of
    being processed (enforced by the engine)."""


class BatchContext:
    """Per-batch state shared by the annotators of one fused segment."""

    def __init__(self, batch: pa.RecordBatch, trees: TreeProvider | None = None):
        self.batch = batch
        self.trees = trees
        """The batch's tree provider (None: no trees, ``tree(i)`` is None)."""
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

    def tree(self, i: int, *, need_source: bool = True) -> Any | None:
        """The tree-sitter tree of row ``i`` (parsed once per batch), or None when the language
        has no grammar, the file is over the parse size guard, or the parse timed out.

        ``need_source=False`` is for readers of node types and byte offsets only: the source-less
        tree ``parse@1`` already built is handed out as it is, where a tree with its source costs
        a second parse (``TreeProvider``). A plain ``(language, data) -> Tree`` callable gives
        its usual trees."""
        from curate.engine.trees import TreeProvider

        if not need_source and isinstance(self.trees, TreeProvider):
            language = self.column("language")[i]
            if not language:
                return None
            return self.trees.parse(language, self.content_bytes(i), need_source=False)[0]
        if i not in self._trees:
            language = self.column("language")[i]
            tree = None
            if self.trees is not None and language:
                tree = self.trees(language, self.content_bytes(i))
            self._trees[i] = tree
        return self._trees[i]

    def subset(self, rows: Sequence[int]) -> BatchContext:
        """A context over some rows of this batch that shares its bytes and trees (so a row's
        tree is parsed once, whichever annotator asks)."""
        return _SubsetContext(self, list(rows))


class _SubsetContext(BatchContext):
    def __init__(self, parent: BatchContext, rows: list[int]):
        super().__init__(parent.batch.take(pa.array(rows, pa.int64())), parent.trees)
        self._parent = parent
        self._rows = rows
        self.attributes = {
            k: v.take(pa.array(rows, pa.int64())) for k, v in parent.attributes.items()
        }

    def content_bytes(self, i: int) -> bytes:
        return self._parent.content_bytes(self._rows[i])

    def tree(self, i: int, *, need_source: bool = True) -> Any | None:
        return self._parent.tree(self._rows[i], need_source=need_source)


class Annotator(ABC):
    name: ClassVar[str]
    version: ClassVar[int] = 1
    Config: ClassVar[type[AnnotatorConfig]] = AnnotatorConfig
    output_schema: ClassVar[pa.Schema]
    uses_trees: ClassVar[bool] = False
    """True when ``annotate`` reads ``ctx.tree(i)``: the engine keeps a batch's parse trees
    for later annotators only when one of them does (holding them costs memory and time)."""
    status_column: ClassVar[str | None] = None
    """A string column that says why a row has no values; the engine writes ``too_large`` there
    for documents over the size guard."""

    on_demand: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({})
    """Boolean config options that may be ``"auto"`` -> the output columns each one fills. A
    recipe resolves ``"auto"`` to true only when something it configures reads one of those
    columns (``curate.recipe_check.resolve_on_demand``: policy rules and overrides, mixture
    columns, the dedup keep column), so costly columns nobody reads are not computed."""

    @classmethod
    def provided_columns(cls, config: AnnotatorConfig) -> set[str]:
        """The output columns that ``config`` fills (a column an option turns off is null and
        not offered to policy rules; an ``"auto"`` option's columns are provided, since a
        recipe that reads them turns the option on)."""
        columns = set(cls.output_schema.names)
        for option, option_columns in cls.on_demand.items():
            if getattr(config, option) is False:
                columns -= set(option_columns)
        return columns

    def __init__(self, config: AnnotatorConfig | None = None):
        self.config = config if config is not None else self.Config()

    @classmethod
    def key(cls) -> str:
        return f"{cls.name}@{cls.version}"

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Load models/parsers. Called once per worker process before any batch."""

    def begin_shard(self, documents: pl.LazyFrame) -> None:  # noqa: B027 - optional hook
        """Called once per shard before its batches, with all of the shard's documents."""

    def tree_rows(self, ctx: BatchContext) -> Iterable[int] | None:
        """The rows of ``ctx`` whose trees ``annotate`` will read (only asked when
        ``uses_trees``); None: any row. The engine keeps only those rows' trees after
        ``parse@1`` built them (trees take 20-80x their source: holding a 2 MiB batch's trees
        was most of a worker's peak); a tree asked for outside them is parsed again."""
        return None

    def tree_guards(self) -> TreeGuards | None:
        """The guards of every tree handed out in a segment with this annotator (``parse@1``
        sets them from its config); None: no opinion."""
        return None

    @abstractmethod
    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        """Return ``output_schema`` columns, one row per input row, same order."""

    def annotate_oversize(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        """Rows for documents over the size guard: nulls, ``too_large`` in ``status_column``."""
        out = empty_like(self.output_schema, batch.num_rows)
        if self.status_column is None:
            return out
        index = self.output_schema.get_field_index(self.status_column)
        status = pa.array([TOO_LARGE] * batch.num_rows, self.output_schema.field(index).type)
        return out.set_column(index, self.output_schema.field(index), status)


REGISTRY: dict[str, type[Annotator]] = {}


def register(cls: type[Annotator]) -> type[Annotator]:
    """Class decorator: make an annotator available to pipelines by its ``name``."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"annotator name {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls
    return cls


def get(name: str, *, where: str = "annotators") -> type[Annotator]:
    """The registered annotator ``name``; a ConfigError listing the available names if none.
    (Annotators register when their module is imported: ``curate.filters.load_all()``.)"""
    try:
        return REGISTRY[name]
    except KeyError:
        available = ", ".join(sorted(REGISTRY)) or "none registered"
        raise ConfigError(f"{where}.{name}: unknown annotator (available: {available})") from None


def empty_like(schema: pa.Schema, n: int) -> pa.RecordBatch:
    """A batch of ``n`` all-null rows: what a disabled or skipped annotator returns."""
    return pa.RecordBatch.from_arrays([pa.nulls(n, f.type) for f in schema], schema=schema)
