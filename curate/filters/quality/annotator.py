"""``quality@1``: one column per quality signal, computed for a whole batch at once.

The policy (``curate.policy``) turns these columns into keep/drop decisions; this annotator never
decides anything. Column meanings are documented in ``docs/quality.md``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import polars as pl
import pyarrow as pa

from curate.engine.annotator import Annotator, AnnotatorConfig, BatchContext, register
from curate.filters.quality import lang_signals, markers, text_stats
from curate.languages.budget import BudgetExceeded, TreeBudget, find_budget
from curate.languages.grammars import DEFAULT_TIMEOUT_S, get_parser

MINIFIED_MIN_LINE = 500
MINIFIED_MAX_WHITESPACE = 0.10


class QualityConfig(AnnotatorConfig):
    long_line_chars: int = text_stats.LONG_LINE_CHARS
    """A line longer than this counts towards ``long_line_fraction``."""
    ngram: int = text_stats.NGRAM
    """Word n-gram size of ``repeated_ngram_fraction`` (0: skip that signal, it stays null)."""
    language_signals: bool = True
    """Compute tree-based language signals (uses the shared tree-sitter parse)."""


SCHEMA = pa.schema(
    [
        ("line_count", pa.int64()),
        ("mean_line_length", pa.float64()),
        ("max_line_length", pa.int64()),
        ("long_line_fraction", pa.float64()),
        ("alnum_fraction", pa.float64()),
        ("alpha_fraction", pa.float64()),
        ("digit_fraction", pa.float64()),
        ("whitespace_fraction", pa.float64()),
        ("non_ascii_fraction", pa.float64()),
        ("replacement_char_fraction", pa.float64()),
        ("repeated_line_fraction", pa.float64()),
        ("repeated_ngram_fraction", pa.float64()),
        ("encoded_data_fraction", pa.float64()),
        ("data_literal_fraction", pa.float64()),
        ("generated_marker", pa.string()),
        ("is_generated", pa.bool_()),
        ("is_lock_file", pa.bool_()),
        ("is_package_metadata", pa.bool_()),
        ("is_minified", pa.bool_()),
        ("is_test_file", pa.bool_()),
        ("is_example_file", pa.bool_()),
        ("is_test_expectation", pa.bool_()),
        ("xml_header", pa.bool_()),
        ("html_visible_text_chars", pa.int64()),
        ("html_visible_text_fraction", pa.float64()),
        ("import_only", pa.bool_()),
        ("pass_only_function_fraction", pa.float64()),
        ("main_function_count", pa.int64()),
        ("tree_signals_status", pa.string()),
    ]
)

_TREE_COLUMNS = ("import_only", "pass_only_function_fraction", "main_function_count")
_ROW_COLUMNS = (
    "html_visible_text_chars",
    "html_visible_text_fraction",
    *_TREE_COLUMNS,
    "tree_signals_status",
)
"""The columns ``_html`` and ``_tree_signals`` fill row by row (null elsewhere)."""
TREE_OK, TREE_NONE, TREE_TIMEOUT = "ok", "no_tree", "timeout"
"""``tree_signals_status`` (null where no tree signal applies): computed; no tree (no grammar,
over the parse size guard); over the document's tree time budget (parse, or the signals'
queries and walks). The tree columns are null unless it is ``ok``."""


def _frac(num: np.ndarray, den: np.ndarray) -> pa.Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = num / den
    return pa.array(values, pa.float64(), mask=den == 0)


def text_signals(
    content: pa.Array | pa.ChunkedArray,
    paths: list[str | None] | pa.Array,
    *,
    long_line_chars: int = text_stats.LONG_LINE_CHARS,
    ngram: int = text_stats.NGRAM,
) -> pl.DataFrame:
    """All content/path signals (no tree) for a batch; usable on plain lists of files."""
    content = text_stats.as_large_string(content)
    view = text_stats.ByteView.of(content)
    counts = text_stats.char_class_counts(content, view)
    chars = counts["chars"]
    lines = text_stats.line_stats(content, long_line_chars, view)
    frame = pl.DataFrame(
        {
            "alnum_fraction": _frac(counts["alnum"], chars),
            "alpha_fraction": _frac(counts["alpha"], chars),
            "digit_fraction": _frac(counts["digit"], chars),
            "whitespace_fraction": _frac(counts["space"], chars),
            "non_ascii_fraction": _frac(counts["non_ascii"], chars),
            "replacement_char_fraction": _frac(counts["replacement"], chars),
        }
    )
    patterns = text_stats.pattern_fractions(content, counts["bytes"], view)
    ngrams = text_stats.repeated_ngram_fraction(content, ngram, view)
    marks = markers.path_and_header_signals(
        pl.DataFrame({"content": view.series, "path": pl.Series(paths, dtype=pl.String)}), view
    )
    out = pl.concat([lines, frame, patterns, marks], how="horizontal").with_columns(ngrams)
    return out.with_columns(
        pl.col("generated_marker").is_not_null().alias("is_generated"),
        (
            pl.col("minified_path")
            | (
                (pl.col("max_line_length") >= MINIFIED_MIN_LINE)
                & (pl.col("whitespace_fraction") < MINIFIED_MAX_WHITESPACE)
            ).fill_null(False)
        ).alias("is_minified"),
    ).drop("minified_path")


@register
class QualityAnnotator(Annotator):
    """Line, character, repetition, encoded-data, generated/minified/lock-file, HTML/XML and
    language-specific (tree-sitter) signals."""

    name = "quality"
    version = 1
    uses_trees = True
    Config = QualityConfig
    output_schema: ClassVar[pa.Schema] = SCHEMA

    def setup(self) -> None:
        # numba: only where quality@1 runs
        from curate.filters.quality import html_kernel, kernels

        kernels.warm_up()  # the JIT (or numba's cache load) is setup cost, not a batch's
        html_kernel.warm_up()
        text_stats.pattern_prefilter()  # and so is compiling the Hyperscan database

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        cfg: QualityConfig = self.config  # type: ignore[assignment]
        content = text_stats.as_large_string(batch.column("content"))
        paths = batch.column("path")
        frame = text_signals(content, paths, long_line_chars=cfg.long_line_chars, ngram=cfg.ngram)
        # The columns filled row by row below are Python lists; the rest stay Arrow arrays.
        columns: dict[str, list] = {name: [None] * len(frame) for name in _ROW_COLUMNS}
        self._html(batch, ctx, content, columns)
        if cfg.language_signals and "language" in batch.schema.names:
            self._tree_signals(ctx, columns)
        arrays = [
            pa.array(columns[f.name], f.type)
            if f.name in columns
            else frame[f.name].to_arrow().cast(f.type)
            for f in SCHEMA
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)

    @staticmethod
    def _html(
        batch: pa.RecordBatch,
        ctx: BatchContext,
        content: pa.LargeStringArray,
        columns: dict,
    ) -> None:
        paths = ctx.column("path")
        languages = (
            ctx.column("language") if "language" in batch.schema.names else [None] * len(paths)
        )
        rows = [
            i
            for i, (path, language) in enumerate(zip(paths, languages, strict=True))
            if markers.is_html(path, language)
        ]
        if not rows:
            return
        from curate.filters.quality import html_kernel  # numba: only where quality@1 runs

        view = text_stats.ByteView.of(content)
        visible, chars = html_kernel.html_visible(view.data, view.offsets, np.array(rows))
        for i, seen, total in zip(rows, visible.tolist(), chars.tolist(), strict=True):
            if seen < 0:  # a page the kernel leaves to the Python definition
                seen, frac = markers.html_visible_text(content[i].as_py())
            else:
                frac = seen / total if total else None
            columns["html_visible_text_chars"][i] = seen
            columns["html_visible_text_fraction"][i] = frac

    def tree_rows(self, ctx: BatchContext) -> list[int]:
        """The Python and C-family files (the tree-based signals)."""
        cfg: QualityConfig = self.config  # type: ignore[assignment]
        if not cfg.language_signals or "language" not in ctx.batch.schema.names:
            return []
        return [i for i, lang in enumerate(ctx.column("language")) if lang_signals.needs_tree(lang)]

    @staticmethod
    def _tree_signals(ctx: BatchContext, columns: dict) -> None:
        """The tree columns from the source-less tree that ``parse@1`` already built (no
        re-attach of the source: ``lang_signals`` reads the bytes; see its module doc)."""
        for i, language in enumerate(ctx.column("language")):
            if not lang_signals.needs_tree(language):
                continue
            data = ctx.content_bytes(i)
            tree = ctx.tree(i, need_source=False)
            parser = get_parser(language)
            budget = find_budget(parser, data) if parser is not None else None
            if tree is None:
                over = budget is not None and budget.exceeded
                columns["tree_signals_status"][i] = TREE_TIMEOUT if over else TREE_NONE
                continue
            try:
                values = lang_signals.language_signals(
                    language, tree, budget or TreeBudget(DEFAULT_TIMEOUT_S), data
                )
            except BudgetExceeded:
                columns["tree_signals_status"][i] = TREE_TIMEOUT
                continue
            for name, value in values.items():
                columns[name][i] = value
            columns["tree_signals_status"][i] = TREE_OK
