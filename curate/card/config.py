"""The ``[card]`` section of a pipeline recipe."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CardConfig(BaseModel):
    """``[card]``: the Hugging Face dataset card written to ``RUN/card/README.md``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    mixture: str | None = None
    """Mixture the card describes (default: ``default`` if written, else the first one)."""
    policy: str = "default"
    pretty_name: str | None = None
    description: str = ""
    """Free text placed under the title."""
    license: str | None = None
    """Front-matter license id; unset = derived from the kept files' licenses."""
    task_categories: tuple[str, ...] = ("text-generation",)
    tags: tuple[str, ...] = ("code",)
    data_files: str | None = None
    """``configs`` data path, relative to README.md like the plots; default
    ``../mixtures/<name>/part-*.parquet`` so ``load_dataset(RUN/card)`` works. For the Hub use
    ``curate publish`` (its folder has the parts under ``data/``)."""
    sources: tuple[str, ...] = ()
    """Human description of the sources (URLs, snapshot dates); the ingested sources are listed too."""
    optout_version: str | None = None
    """Version of the opt-out list applied; also read from any ``optout_*version*`` column."""
    plots: bool = True
    histograms: tuple[str, ...] = ()
    """Numeric columns to plot; empty = the first ``max_histograms`` numeric attribute columns."""
    max_histograms: int = Field(6, ge=0)
    max_rows: int = Field(30, ge=1)
    """Rows per table (languages, licenses, sources) before the rest is summarized."""
