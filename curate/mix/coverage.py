"""Which span annotations a redacting mixture needs, and whether they cover its documents.

The rule (docs/mixing.md, "Redaction is required"): when ``redact`` is on, every annotator named
in ``required_spans`` (default ``secrets``) and every other annotator that wrote span columns
(``pii`` when it ran) must have a row with non-null span lists for every document the mixture
keeps, and the ``repo``/``path`` values must have been scanned (a metadata span column). Anything
missing refuses the mixture before a part is written, unless ``allow_unredacted`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from curate.mix import inputs
from curate.mix.redact import is_span_type
from curate.rundir import RunDir

OVERRIDE_HINT = (
    "pass --allow-unredacted (or set mixture.allow_unredacted = true) to write it anyway"
)


def is_metadata_span_type(t: pa.DataType) -> bool:
    """Spans into a metadata value (``secret_metadata_spans``): a span struct with a ``field``."""
    return is_span_type(t) and "field" in {f.name for f in t.value_type}


@dataclass(frozen=True)
class SpanFolder:
    """One annotator folder whose span columns must cover the mixture's documents."""

    key: str  # name@version
    path: str
    """The folder relative to the run directory: a task resolves it in its own node's copy."""
    columns: tuple[str, ...]  # every span column of the folder (content and metadata)


@dataclass(frozen=True)
class Requirements:
    folders: tuple[SpanFolder, ...]
    problems: tuple[str, ...]
    """Run-level gaps found before reading any shard (missing annotators or columns)."""


def requirements(run: RunDir, required: tuple[str, ...]) -> Requirements:
    """The span folders to check and the gaps visible from their schemas alone."""
    folders: list[SpanFolder] = []
    names: set[str] = set()
    has_metadata = False
    for key, folder in run.attribute_folders().items():
        schema = inputs.folder_schema(folder)
        cols = tuple(f.name for f in schema or [] if is_span_type(f.type))
        if not cols:
            continue
        names.add(key.split("@")[0])
        has_metadata |= any(is_metadata_span_type(schema.field(c).type) for c in cols)  # type: ignore[union-attr]
        folders.append(SpanFolder(key, run.key(folder), cols))
    problems = [
        f"no {name} annotations (attributes/{name}@*/ with span columns)"
        for name in required
        if name not in names
    ]
    if required and folders and not has_metadata:
        problems.append(
            "repo/path values were not scanned for secrets (no secret_metadata_spans column: "
            "rerun the secrets annotator)"
        )
    return Requirements(tuple(folders), tuple(problems))


def uncovered(run: RunDir, folder: SpanFolder, shard_id: str, kept: pl.Series) -> int:
    """How many of the ``kept`` doc_uids of one shard lack a row, or have a null span list, in
    ``folder``."""
    if kept.is_empty():
        return 0
    table = inputs.read_attribute_shard(run.path(folder.path), shard_id, list(folder.columns))
    if table is None:
        return kept.len()
    attr = pl.from_arrow(table).unique("doc_uid", keep="first")
    complete = attr.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in folder.columns))
    return int((~kept.is_in(complete["doc_uid"].implode())).sum())


def document_problems(folders: tuple[SpanFolder, ...], counts: list[dict[str, int]],
                      kept: int) -> list[str]:  # fmt: skip
    """One line per folder that misses documents, from the per-shard ``{key: uncovered}``."""
    out = []
    for f in folders:
        per_shard = [c.get(f.key, 0) for c in counts]
        missing = sum(per_shard)
        if missing:
            shards = sum(1 for n in per_shard if n)
            out.append(
                f"{f.key} has no spans for {missing} of {kept} kept documents "
                f"({shards} shard{'s' * (shards != 1)})"
            )
    return out
