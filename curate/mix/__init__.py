"""Training mixtures: weighted, redacted, sharded Parquet with a manifest (``run_mix``)."""

from __future__ import annotations

from curate.mix.config import FimConfig, MixtureConfig, RepoConfig, TokensConfig
from curate.mix.mixer import output_schema, run_mix

__all__ = ["FimConfig", "MixtureConfig", "RepoConfig", "TokensConfig", "output_schema", "run_mix"]
