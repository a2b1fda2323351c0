"""Secrets and personal data (issue 4). Importing this package registers the ``secrets`` and
``pii`` annotators. Rules, false-positive controls and measured accuracy: docs/pii.md."""

from __future__ import annotations

from curate.filters.secrets.annotators import (
    PiiAnnotator,
    PiiConfig,
    SecretsAnnotator,
    SecretsConfig,
)
from curate.filters.secrets.findings import Finding, value_hash
from curate.filters.secrets.pii import PII_DETECTORS, PiiScanner
from curate.filters.secrets.scanner import ScanResult, SecretScanner
from curate.filters.secrets.stats import kind_counts

__all__ = [
    "PII_DETECTORS",
    "Finding",
    "PiiAnnotator",
    "PiiConfig",
    "PiiScanner",
    "ScanResult",
    "SecretScanner",
    "SecretsAnnotator",
    "SecretsConfig",
    "kind_counts",
    "value_hash",
]
