"""Quality signals (issue 5). Importing this package registers the ``quality`` annotator."""

from __future__ import annotations

from curate.filters.quality.annotator import QualityAnnotator, QualityConfig, text_signals

__all__ = ["QualityAnnotator", "QualityConfig", "text_signals"]
