"""Mixture weights: how many copies of each sample unit (a file, or a repository) to write.

Every strategy produces a per-language token target. A language's units are then written
``floor(target / available)`` times in whole repeats (capped at ``max_epochs``), and the
fractional rest is a seeded, deterministic sample: units ordered by a hash of (seed, unit id) are
taken until their tokens reach the rest. A share is therefore met to within one unit's tokens.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
import xxhash

from curate.errors import ConfigError
from curate.mix.config import MixtureConfig

UNKNOWN = "unknown"


@dataclass(frozen=True)
class LanguagePlan:
    language: str
    available_tokens: int
    units: int
    requested_tokens: float
    requested_share: float
    target_tokens: float
    epochs: float
    """target / available after the epoch cap (0 when nothing is available)."""
    capped: bool

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def sample_key(seed: int, unit_id: str) -> int:
    """Deterministic 63-bit ordering key of a unit (same on every machine and run)."""
    return xxhash.xxh64_intdigest(f"{seed}\x00{unit_id}".encode("utf-8", "surrogatepass")) >> 1


def sample_keys(seed: int, unit_ids: list[str]) -> list[int]:
    """``sample_key`` of each id (the same values, without a call per unit)."""
    prefix = f"{seed}\x00".encode()
    digest = xxhash.xxh64_intdigest
    return [digest(prefix + u.encode("utf-8", "surrogatepass")) >> 1 for u in unit_ids]


def requested_targets(available: dict[str, int], cfg: MixtureConfig) -> dict[str, float]:
    """Tokens each language should contribute, before the epoch cap."""
    langs = sorted(available)
    natural_total = float(sum(available.values()))
    total = float(cfg.total_tokens) if cfg.total_tokens is not None else natural_total
    if cfg.strategy == "natural":
        raw = {lang: available[lang] * cfg.weights.get(lang, 1.0) for lang in langs}
        if cfg.total_tokens is None:
            return raw
        return _scale(raw, total)
    if cfg.strategy == "uniform":
        return {lang: total / len(langs) for lang in langs} if langs else {}
    if cfg.strategy == "scaling_law":
        raw = {lang: cfg.exponents.get(lang, cfg.default_exponent) for lang in langs}
        return _scale(raw, total)
    if cfg.budgets:
        return {lang: float(b) for lang, b in cfg.budgets.items()}
    return {lang: s * total for lang, s in cfg.shares.items()}


def _scale(raw: dict[str, float], total: float) -> dict[str, float]:
    denom = sum(raw.values())
    if denom <= 0:
        raise ConfigError("mixture: every selected language has weight 0")
    return {k: v / denom * total for k, v in raw.items()}


def plan_languages(
    available: dict[str, int], units: dict[str, int], cfg: MixtureConfig
) -> dict[str, LanguagePlan]:
    requested = requested_targets(available, cfg)
    req_total = sum(requested.values()) or 1.0
    plans = {}
    for lang in sorted(set(requested) | set(available)):
        have = available.get(lang, 0)
        want = requested.get(lang, 0.0)
        cap = have * cfg.max_epochs
        target = min(want, cap)
        plans[lang] = LanguagePlan(
            language=lang,
            available_tokens=have,
            units=units.get(lang, 0),
            requested_tokens=want,
            requested_share=want / req_total,
            target_tokens=target,
            epochs=target / have if have else 0.0,
            capped=want > cap + 1e-9,
        )
    return plans


def assign_copies(units: pl.DataFrame, plans: dict[str, LanguagePlan], seed: int) -> pl.DataFrame:
    """``units`` has ``unit_id``, ``language``, ``tokens``; returns it with ``copies`` (int32)."""
    if units.is_empty():
        return units.with_columns(pl.lit(0, pl.Int32).alias("copies"))
    keys = np.array(sample_keys(seed, units["unit_id"].to_list()), dtype=np.int64)
    frame = units.with_columns(pl.Series("_key", keys)).sort("language", "_key", "unit_id")
    parts = []
    for (lang,), group in frame.group_by("language", maintain_order=True):
        plan = plans.get(lang)
        if plan is None or plan.available_tokens == 0 or plan.target_tokens <= 0:
            parts.append(group.with_columns(pl.lit(0, pl.Int32).alias("copies")))
            continue
        whole = math.floor(plan.epochs + 1e-12)
        rest = plan.target_tokens - whole * plan.available_tokens
        before = group["tokens"].cum_sum() - group["tokens"]
        extra = (before < rest) if rest > 0 else pl.Series([False] * group.height)
        copies = (extra.cast(pl.Int32) + whole).alias("copies")
        parts.append(group.with_columns(copies))
    return pl.concat(parts).drop("_key")
