"""The ``[mixture]`` section of a pipeline recipe (frozen, unknown keys are errors)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokensConfig(_Strict):
    """How tokens are counted: a fast bytes-based estimate, or exact with a local tokenizer."""

    tokenizer: str | None = None
    """Path to a Hugging Face ``tokenizer.json``; never downloaded. Unset = estimate."""
    bytes_per_token: float = Field(3.5, gt=0)
    """Estimate: UTF-8 bytes per token (code BPE tokenizers average about 3-4)."""


class RepoConfig(_Strict):
    """Repository-level samples: a repository's kept files, dependency-ordered, in one sample."""

    enabled: bool = False
    order: Literal["dependencies", "path"] = "dependencies"
    repo_header: str = "<repo_name>{repo}\n"
    """Written once at the start of the sample; ``{repo}`` is replaced by the repository name."""
    file_header: str = "<file_sep>{path}\n"
    """Written before each file; ``{path}`` is its path relative to the repository root."""
    file_separator: str = "\n"
    """Written after each file's content (before the next header)."""
    sample_suffix: str = ""
    max_sample_bytes: int | None = Field(None, gt=0)
    """Split a repository into several samples when its concatenation exceeds this size."""
    max_parse_bytes: int = Field(1024 * 1024, gt=0)
    """Files larger than this are not parsed for imports (they still appear, with no edges)."""
    parse_timeout_s: float = Field(1.0, gt=0)
    """Per-file parse budget for import extraction; a file over it gets no edges."""


class FimConfig(_Strict):
    """Fill-in-the-middle: reorder part of a sample as prefix/suffix/middle with sentinels."""

    rate: float = Field(0.0, ge=0.0, le=1.0)
    """Fraction of samples transformed."""
    spm_rate: float = Field(0.5, ge=0.0, le=1.0)
    """Among transformed samples, the fraction written suffix-prefix-middle (else PSM)."""
    boundary: Literal["char", "node"] = "char"
    """``char``: split points at any character; ``node``: only at tree-sitter leaf boundaries, so no
    lexical token is ever split (falls back to line starts where no grammar parses the file)."""
    prefix_token: str = "<fim_prefix>"
    middle_token: str = "<fim_middle>"
    suffix_token: str = "<fim_suffix>"


class MixtureConfig(_Strict):
    """``[mixture]``: which documents go into the training mixture, how often, in which form."""

    enabled: bool = True
    name: str = Field("default", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    policy: str = "default"
    """Decisions folder to apply (``decisions/<policy>/``); absent folder = keep every document."""
    seed: int = 0

    strategy: Literal["natural", "uniform", "budget", "scaling_law"] = "natural"
    total_tokens: int | None = Field(None, gt=0)
    """Mixture size for ``uniform``, ``scaling_law`` and ``budget`` with ``shares``; also rescales
    ``natural``. Unset = the kept tokens of the selected languages."""
    languages: tuple[str, ...] = ()
    """Languages to include (empty = all). Documents without a language count as ``unknown``."""
    weights: dict[str, float] = Field(default_factory=dict)
    """``natural``: multiplier per language (2.0 = two epochs, 0.5 = half); default 1."""
    budgets: dict[str, int] = Field(default_factory=dict)
    """``budget``: tokens per language; unlisted languages are left out."""
    shares: dict[str, float] = Field(default_factory=dict)
    """``budget``: fraction of ``total_tokens`` per language (alternative to ``budgets``)."""
    exponents: dict[str, float] = Field(default_factory=dict)
    """``scaling_law``: per-language scaling exponent; each language's budget is proportional to it.
    Unlisted languages get ``default_exponent``."""
    default_exponent: float = Field(1.0, ge=0.0)
    max_epochs: float = Field(5.0, gt=0.0)
    """Upsampling cap: no document is repeated more often than this (BigCode used about 5)."""

    columns: tuple[str, ...] = ("license_category",)
    """Extra annotation columns copied into the mixture when some annotator wrote them."""
    redact: bool = True
    """Replace every span column's findings (secrets, PII) with placeholders, in ``content`` and
    in the ``repo``/``path`` values. ``false`` writes raw content (recorded in the manifest)."""
    required_spans: tuple[str, ...] = ("secrets",)
    """Annotators whose span columns must cover every kept document when redacting (any other
    annotator that wrote span columns, such as ``pii``, must cover them too when it ran)."""
    allow_unredacted: bool = False
    """Write the mixture even when required span annotations are missing (``curate mix
    --allow-unredacted``); the manifest then says ``redaction.status = "unredacted"``."""
    redaction_style: str = "placeholder"
    target_file_bytes: int = Field(256 * 1024 * 1024, gt=0)
    """Start a new part file once the current one reaches about this size on disk."""
    row_group_bytes: int = Field(64 * 1024 * 1024, gt=0)
    """Content bytes per Parquet row group."""
    compression_level: int = Field(3, ge=1, le=22)

    tokens: TokensConfig = TokensConfig()
    repo: RepoConfig = RepoConfig()
    fim: FimConfig = FimConfig()

    @model_validator(mode="after")
    def _check_strategy(self) -> MixtureConfig:
        if self.strategy == "budget":
            if bool(self.budgets) == bool(self.shares):
                raise ValueError("strategy 'budget' needs exactly one of 'budgets' or 'shares'")
            if self.shares and self.total_tokens is None:
                raise ValueError("'shares' needs 'total_tokens'")
            if self.shares and abs(sum(self.shares.values()) - 1.0) > 1e-6:
                raise ValueError("'shares' must add up to 1")
        return self
