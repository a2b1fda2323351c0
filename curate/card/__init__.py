"""Dataset cards: a Hugging Face ``README.md`` with YAML front matter, tables and plots."""

from __future__ import annotations

from curate.card.card import metadata, write_card
from curate.card.config import CardConfig

__all__ = ["CardConfig", "metadata", "write_card"]
