"""Typed config of the ``[dedup]`` pipeline section (frozen, unknown keys are errors)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KeepConfig(_Frozen):
    """Which member of a duplicate group is kept: the smallest key, compared in this order.

    1. license rank: position of the document's ``license_category`` in ``license_order``
       (unlisted or missing categories rank after all listed ones);
    2. ``quality_column`` (higher is better when ``quality_descending``; missing ranks last);
    3. ``stars_column`` (higher is better; missing ranks last);
    4. smallest ``doc_uid``.
    Columns are looked up in documents first, then in every attribute folder of the run.
    """

    license_column: str = "license_category"
    license_order: tuple[str, ...] = (
        "permissive",
        "public_domain",
        "no_license",
        "weak_copyleft",
        "strong_copyleft",
        "non_commercial",
        "proprietary",
        "unknown",
    )
    quality_column: str | None = "auto"
    """``"auto"``: the first column of ``curate.dedup.keep.AUTO_QUALITY_COLUMNS``
    (``quality_score``, written by ``quality_fasttext@1``) that a table of the run has, else no
    quality ranking; a column name: that column; None: no quality ranking."""
    quality_descending: bool = True
    stars_column: str | None = "repo_stars"


class ExactConfig(_Frozen):
    enabled: bool = True
    normalize_whitespace: bool = False
    """Group on content with every run of whitespace collapsed (and ends stripped) instead of
    on ``content_sha``."""


class NearConfig(_Frozen):
    enabled: bool = True
    tokenizer: Literal["words", "code", "tree_sitter"] = "words"
    """``words``: ``[A-Za-z_0-9]+`` lowercased (BigCode). ``tree_sitter``: syntax-tree leaves
    with comments dropped, literals as ``<s>``/``<n>`` and identifiers numbered by first
    occurrence inside each shingle, for renamed-variable clones (falls back to ``words`` without
    a grammar or on a failed/timed-out parse; recommended ``threshold = 0.8``). ``code``: a
    regex lexer with identifiers as ``ID`` (merges template-like files: see docs/dedup.md)."""
    parse_timeout_s: float = Field(2.0, gt=0)
    """``tree_sitter`` only: per-document parse budget; over it the document uses ``words``."""
    parse_max_bytes: int = Field(1 << 20, ge=1)
    """``tree_sitter`` only: larger documents use ``words`` (the tree walk is not budgeted)."""
    ngram: int = Field(5, ge=1, le=64)
    num_perm: int = Field(256, ge=8, le=1024)
    seed: int = 1
    threshold: float = Field(0.7, gt=0.0, lt=1.0)
    bands: int | None = Field(None, ge=1)
    """``bands``/``rows``: override the (bands, rows) derived from ``threshold``."""
    rows: int | None = Field(None, ge=1)
    min_recall: float | None = Field(0.99, gt=0.0, lt=1.0)
    """Derive (bands, rows) so a pair at ``threshold`` is a candidate with at least this
    probability (fewest false candidates subject to it; 42x6 at 0.7/256). ``None``: minimise
    ``fp_weight``/``fn_weight`` of the S-curve instead (25x10 at 0.7/256, recall 0.51 there)."""
    fp_weight: float = 0.5
    fn_weight: float = 0.5
    band_partitions: int | None = Field(None, ge=1, le=4096)
    """Minimum band-hash partitions (more when the memory budget needs them); None:
    ``BAND_PARTITIONS``, at most the runner's workers (:func:`minimum_partitions`)."""
    memory_budget_mb: int = Field(512, ge=16)
    """Budget per clustering task; the number of edge partitions is derived from it."""
    min_partitions: int | None = Field(None, ge=1, le=4096)
    """Minimum edge (node) partitions; None: ``NODE_PARTITIONS`` (not capped at the runner's
    workers: the verify steps hold a node partition's shingle sets)."""
    max_cc_rounds: int = Field(64, ge=1)
    verify: bool = True
    """Keep a candidate edge only if the exact Jaccard of the shingle sets >= ``threshold``,
    and split each component into clusters around its kept documents (``chain_floor``)."""
    chain_floor: float = Field(0.5, gt=0.0, lt=1.0)
    """With ``verify``: a member joins a cluster (seeded by its first member in keep order,
    the kept one) when it reaches ``threshold`` with some member and ``chain_floor`` with
    every member, so clusters chain through verified edges but every pair in a cluster has
    exact Jaccard >= ``min(chain_floor, threshold)``. ``chain_floor >= threshold``: no
    chaining, every pair >= ``threshold``."""
    repos: bool = False
    """Also dedup whole repositories (repo signature = min over its files' signatures)."""
    repo_threshold: float = Field(0.7, gt=0.0, lt=1.0)


class LicenseMixConfig(_Frozen):
    """Clusters mixing permissive and copyleft files flag their permissive members."""

    permissive: tuple[str, ...] = ("permissive", "public_domain")
    copyleft: tuple[str, ...] = ("weak_copyleft", "strong_copyleft", "network_copyleft", "copyleft")


class DedupConfig(_Frozen):
    enabled: bool = True
    exact: ExactConfig = ExactConfig()
    near: NearConfig = NearConfig()
    keep: KeepConfig = KeepConfig()
    license_mix: LicenseMixConfig = LicenseMixConfig()
    exact_partitions: int | None = Field(None, ge=1, le=4096)
    """Partitions of the exact step's shuffle; None: ``EXACT_PARTITIONS``, at most the
    runner's workers."""


EXACT_PARTITIONS = 16
BAND_PARTITIONS = 16
NODE_PARTITIONS = 4
"""The partition counts a dedup shuffle uses, unless configured: exact and band partitions on a
runner of that many workers or more (fewer workers: one partition per worker); node partitions
whatever the workers."""


def minimum_partitions(configured: int | None, default: int, workers: int | None) -> int:
    """A shuffle's partition count before the memory budget adds any: ``configured``, else
    ``default`` capped at the runner's ``workers`` (None: not capped). Partitions beyond the
    runner's parallelism only cost: each is a task in every step reading the shuffle, ~4 ms of
    CPU for its Parquet footers, row groups and markers (on the e2e corpus, 16/16/4 partitions
    instead of 1/1/1 cost the local runner's dedup step 0.6 of 3.6 CPU-s)."""
    if configured is not None:
        return configured
    return default if workers is None else max(1, min(default, workers))
