"""curate's annotators as datatrove pipeline steps.

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from curate.integrations.datatrove import CurateAnnotate, CurateRedact

    LocalPipelineExecutor([
        JsonlReader("data/in"),
        CurateAnnotate(["license", "secrets", ("quality", {"max_doc_bytes": 1_000_000})]),
        CurateRedact(),
        JsonlWriter("data/out"),
    ], tasks=4).run()

``CuratePolicyFilter(policy)`` then drops what a curate policy drops (``policy``: a pipeline TOML
whose ``[policy]`` is used, a ``PolicyConfig`` or its dict), evaluated by ``curate.policy.decide``,
the code of ``curate run``'s policy step, on the documents' metadata; a dropped document carries
``drop_rule``/``drop_reason`` in its metadata, datatrove's ``filter_reason`` = the rule, and the
filter's stats count ``dropped_<rule>``:

    CuratePolicyFilter("pipelines/demo.toml", exclusion_writer=JsonlWriter("data/dropped"))

``CurateAnnotate`` turns batches of datatrove ``Document``s into curate's documents schema (``id``
-> ``doc_uid``, ``text`` -> ``content``; ``path``, ``repo`` and ``language`` from metadata, with the
usual The Stack names accepted; a missing language is detected from the path), runs the named
annotators exactly as a curate shard would, and stores every output column in ``doc.metadata``
(spans as lists of dicts). It never changes ``text``. ``CurateRedact`` then rewrites ``text`` with
the span columns found in the metadata, like the mixer does. To read curate's own outputs with
datatrove, use ``ParquetReader(path, text_key="content", id_key="doc_uid")``.

datatrove's ``ParquetWriter`` infers its schema from the first document it sees, so a column
that is null there (``license_spdx``) or an empty span list fails on the next batch that has a
value. ``CurateAnnotate.writer_schema()`` gives the explicit schema (each curate column with the
one Arrow type its annotator declares): ``ParquetWriter(out, schema=step.writer_schema())``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.disk_base import DiskWriter

from curate.policy.config import PolicyConfig
from curate.schema import DOCUMENTS

PATH_KEYS = (
    "path",
    "max_stars_repo_path",
    "max_issues_repo_path",
    "max_forks_repo_path",
    "filepath",
)
"""Where the file path may be; datatrove readers set ``file_path`` to their input file, so it is
used as ``source_uri`` instead."""
REPO_KEYS = ("repo", "repo_name", "max_stars_repo_name", "repository")
LANGUAGE_KEYS = ("language", "lang", "programming_language")
SPAN_SUFFIX = "_spans"

AnnotatorSpec = str | tuple[str, dict[str, Any]]


def _first(meta: dict[str, Any], keys: Sequence[str]) -> Any:
    for k in keys:
        if meta.get(k) not in (None, ""):
            return meta[k]
    return None


def documents_batch(docs: Sequence[Document], shard_id: str = "datatrove") -> pa.RecordBatch:
    """datatrove Documents as a curate documents batch (``curate.schema.DOCUMENTS``)."""
    from curate.ingest.hashing import git_blob_sha
    from curate.languages.detect import detect_language

    rows = []
    for d in docs:
        meta = d.metadata or {}
        text = d.text or ""
        path = str(_first(meta, PATH_KEYS) or d.id)
        language = _first(meta, LANGUAGE_KEYS) or detect_language(path, text[:4096])
        rows.append({
            "doc_uid": str(d.id), "content_sha": meta.get("content_sha") or git_blob_sha(text.encode("utf-8", "surrogatepass")),
            "repo": str(_first(meta, REPO_KEYS) or ""), "ref": meta.get("ref"), "path": path,
            "language": language, "content": text, "size_bytes": len(text.encode("utf-8", "surrogatepass")),
            "encoding": "utf-8", "source_uri": str(meta.get("source_uri") or meta.get("file_path") or "datatrove"),
            "shard_id": shard_id,
        })  # fmt: skip
    return pa.RecordBatch.from_pylist(rows, schema=DOCUMENTS)


class CurateAnnotate(PipelineStep):
    """Run curate annotators (by registry name, optionally with config) on datatrove Documents.

    Output columns land in ``doc.metadata`` under ``metadata_prefix + column``. ``begin_shard`` of
    each annotator sees one batch at a time (repository-level logic looks within the batch)."""

    name = "curate annotate"
    type = "🏷 - ANNOTATOR"

    def __init__(
        self,
        annotators: Sequence[AnnotatorSpec],
        *,
        batch_size: int = 512,
        metadata_prefix: str = "",
    ):
        super().__init__()
        self.specs = [(s, {}) if isinstance(s, str) else (s[0], dict(s[1])) for s in annotators]
        self.batch_size = batch_size
        self.metadata_prefix = metadata_prefix
        self._loop_: Any = None
        self._check_names()

    def _check_names(self) -> None:
        from curate.engine.annotator import get
        from curate.filters import load_all

        load_all()
        for name, opts in self.specs:
            get(name).Config(**opts)  # validate now, not in a worker

    def _loop(self) -> Any:
        if self._loop_ is None:
            from curate.engine.annotate import AnnotateLoop, AnnotatorSpec, instance
            from curate.engine.annotator import get
            from curate.filters import load_all

            load_all()
            specs = [AnnotatorSpec(get(n), get(n).Config(**opts)) for n, opts in self.specs]
            self._loop_ = AnnotateLoop([instance(s) for s in specs])
        return self._loop_

    def metadata_fields(self) -> list[pa.Field]:
        """The metadata fields this step adds, with the Arrow type each annotator declares."""
        from curate.engine.annotator import get

        fields: dict[str, pa.Field] = {}
        for name, _ in self.specs:
            for f in get(name).output_schema:
                fields[self.metadata_prefix + f.name] = f.with_name(self.metadata_prefix + f.name)
        return list(fields.values())

    def writer_schema(
        self, extra_metadata: Sequence[pa.Field] = (), *, expand_metadata: bool = False
    ) -> pa.Schema:
        """Schema for datatrove's ``ParquetWriter(schema=...)``: ``text``, ``id`` and the
        metadata (a struct, or top-level columns with ``expand_metadata``), one type per column.
        ``extra_metadata``: the reader's own metadata keys to keep (``file_path`` is added)."""
        meta = {f.name: f for f in (pa.field("file_path", pa.string()), *extra_metadata)}
        meta |= {f.name: f.with_nullable(True) for f in self.metadata_fields()}
        base = [pa.field("text", pa.string()), pa.field("id", pa.string())]
        if expand_metadata:
            return pa.schema([*base, *meta.values()])
        return pa.schema([*base, pa.field("metadata", pa.struct(list(meta.values())))])

    def annotate(self, docs: list[Document]) -> None:
        """Annotate ``docs`` in place (metadata only), exactly as a curate shard would."""
        import polars as pl

        batch = documents_batch(docs)
        loop = self._loop()
        loop.begin_shard(pl.from_arrow(batch).lazy())
        with self.track_time("batch"):
            outputs = loop.annotate(batch)
        for annotator, out in zip(loop.annotators, outputs, strict=True):
            for column in out.schema.names:
                values = out.column(column).to_pylist()
                for doc, value in zip(docs, values, strict=True):
                    doc.metadata[self.metadata_prefix + column] = value
            self.stat_update(annotator.key(), value=len(docs))

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        batch: list[Document] = []
        for doc in data or ():
            batch.append(doc)
            if len(batch) >= self.batch_size:
                yield from self._flush(batch)
                batch = []
        if batch:
            yield from self._flush(batch)

    def _flush(self, batch: list[Document]) -> Iterator[Document]:
        self.annotate(batch)
        for doc in batch:
            self.update_doc_stats(doc)
            yield doc


class CurateRedact(PipelineStep):
    """Replace the spans found in metadata (every ``*_spans`` list, or ``columns``) in ``text``."""

    name = "curate redact"
    type = "✂️ - FORMATTER"

    def __init__(self, columns: Sequence[str] | None = None, *, style: str = "placeholder"):
        super().__init__()
        self.columns = list(columns) if columns is not None else None
        self.style = style

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from curate.mix.redact import redactor

        apply = redactor(self.style)
        for doc in data or ():
            keys = (
                self.columns
                if self.columns is not None
                else [k for k in doc.metadata if k.endswith(SPAN_SUFFIX)]
            )
            spans = [s for k in keys for s in (doc.metadata.get(k) or [])]
            if spans:
                doc.text = apply(doc.text, spans)
                self.stat_update("redacted_docs")
                self.stat_update("redacted_spans", value=len(spans))
            yield doc


@cache
def curate_column_types() -> dict[str, pa.DataType]:
    """The Arrow type of every column curate writes: documents, every registered annotator's
    outputs and the dedup attributes (a metadata value is converted to its column's type)."""
    from curate.dedup import exact, near, repos
    from curate.engine.annotator import REGISTRY
    from curate.filters import load_all

    load_all()
    schemas = [DOCUMENTS, *(a.output_schema for a in REGISTRY.values())]
    schemas += [exact.SCHEMA, near.SCHEMA, repos.SCHEMA]
    return {f.name: f.type for schema in schemas for f in schema}


_ARROW_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError)


def _column(values: list[Any], dtype: pa.DataType | None) -> tuple[pa.Array, int]:
    """``values`` as an Arrow array of ``dtype``, and how many values did not fit it: a value
    that does not convert to a curate column's type becomes null; a column curate does not know
    (``dtype`` None) whose values have no common type becomes strings."""
    try:
        return pa.array(values, type=dtype), 0
    except _ARROW_ERRORS:
        pass
    if dtype is None:
        strings = [None if v is None else str(v) for v in values]
        return pa.array(strings, pa.string()), sum(v is not None for v in values)
    out: list[Any] = []
    for v in values:
        try:
            out.append(pa.scalar(v, type=dtype).as_py())
        except _ARROW_ERRORS:
            out.append(None)
    return pa.array(out, type=dtype), sum(v is not None for v in values) - sum(
        v is not None for v in out
    )


def load_policy_spec(policy: PolicyConfig | Mapping[str, Any] | str | Path) -> PolicyConfig:
    """A ``PolicyConfig`` from itself, its dict, or a pipeline TOML path (its ``[policy]``)."""
    from curate.policy.config import load_policy, policy_from_dict

    if isinstance(policy, PolicyConfig):
        return policy
    if isinstance(policy, Mapping):
        return policy_from_dict(dict(policy))
    return load_policy(policy)


class CuratePolicyFilter(BaseFilter):
    """Keep the documents a curate policy keeps; drop the others with the failing rule's name.

    The policy is evaluated by ``curate.policy.decide`` (the code of ``curate run``'s policy
    step) on a frame built per batch from the documents (``documents_batch``: path, repo,
    language, size_bytes, ...) and the metadata columns the rules read (``metadata_prefix`` +
    column, as ``CurateAnnotate`` wrote them, converted to curate's column types). As in a
    run, a non-optional rule over a column no document of the batch has is a ``ConfigError``,
    an optional one is skipped. A dropped document gets ``drop_rule`` and ``drop_reason`` in its
    metadata (and datatrove's ``filter_reason`` = the rule when an ``exclusion_writer`` is
    given); stats count ``dropped_<rule>``, and ``invalid_metadata_<column>`` for values that do
    not convert to the column's type (evaluated as null)."""

    name = "curate policy"

    def __init__(
        self,
        policy: PolicyConfig | Mapping[str, Any] | str | Path,
        *,
        exclusion_writer: DiskWriter | None = None,
        batch_size: int = 512,
        metadata_prefix: str = "",
    ):
        from curate.policy.evaluate import compile_policy

        super().__init__(exclusion_writer=exclusion_writer, batch_size=batch_size)
        self.policy = load_policy_spec(policy)
        self.metadata_prefix = metadata_prefix
        rules = compile_policy(self.policy)  # no schema: syntax only, columns come per batch
        self.columns = sorted({c for r in rules for c in r.columns})
        """Columns the rules, their overrides and reason templates read."""

    def policy_frame(self, docs: Sequence[Document]) -> pa.Table:
        """The policy's input for ``docs``: documents columns (no content, as ``documents_batch``
        maps them) and every other column the rules read from the metadata, where some document
        has it; a documents column ``documents_batch`` leaves null (``repo_stars``) is filled from
        the metadata."""
        table = pa.Table.from_batches([documents_batch(docs)]).drop_columns(["content"])
        types = curate_column_types()
        for column in self.columns:
            key = self.metadata_prefix + column
            if not any(key in (d.metadata or {}) for d in docs):
                continue
            values, bad = _column([(d.metadata or {}).get(key) for d in docs], types.get(column))
            if bad:
                self.stat_update(f"invalid_metadata_{column}", value=bad)
            if column in table.column_names:  # documents_batch's value first, as in a run
                i = table.column_names.index(column)
                table = table.set_column(i, column, pc.coalesce(table.column(i), values))
            else:
                table = table.append_column(column, values)
        return table

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        import polars as pl

        from curate.policy.evaluate import decide

        frame = pl.from_arrow(self.policy_frame(batch))
        out = decide(frame, self.policy).select("keep", "drop_rule", "drop_reason").collect()
        results: list[bool | tuple[bool, str]] = []
        for doc, (keep, rule, reason) in zip(batch, out.iter_rows(), strict=True):
            if keep:
                results.append(True)
                continue
            doc.metadata[self.metadata_prefix + "drop_rule"] = rule
            doc.metadata[self.metadata_prefix + "drop_reason"] = reason
            results.append((False, rule))
        return results

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]
