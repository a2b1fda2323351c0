"""``secrets@1`` and ``pii@1``: spans of secrets and personal data per document.

Both get nulls (and ``*_scan_status = "too_large"``, from the engine's size guard) for documents over ``max_doc_bytes``;
the secret scan also stops at ``time_budget_s`` per document and keeps what it found
(status ``"timeout"``). ``secret_density`` is findings per KiB of UTF-8 content.

``secrets@1`` also scans each document's metadata values (``repo``, ``path``: an export's
columns or a remote URL can carry a token) with the same scanner, into
``secret_metadata_spans`` (``METADATA_SPANS``: a ``field`` member naming the column, offsets
into that value). Always a list, also for ``too_large`` documents.
"""

from __future__ import annotations

import bisect
import logging
from typing import ClassVar

import pyarrow as pa
from pydantic import Field, field_validator

from curate.engine import worker_cache
from curate.engine.annotator import Annotator, AnnotatorConfig, BatchContext, register
from curate.filters.secrets.pii import PII_DETECTORS, PiiScanner
from curate.filters.secrets.scanner import SecretScanner
from curate.schema import SPAN, SPANS

log = logging.getLogger(__name__)

METADATA_FIELDS = ("repo", "path")
"""Document columns whose values the secrets annotator scans besides ``content``."""
METADATA_SPAN = pa.struct([pa.field("field", pa.string(), nullable=False), *SPAN])
METADATA_SPANS = pa.list_(METADATA_SPAN)
"""A finding inside a metadata value: ``field`` names the column, ``start``/``end`` are 0-based
code-point offsets into that column's value (half-open), as for content spans."""


class SecretsConfig(AnnotatorConfig):
    detect_secrets: bool = True
    """Run detect-secrets' plugins (on pre-filtered lines) besides our own rules."""
    prefilter: bool = True
    """Only scan candidate lines; False scans every line with every plugin (slow, for checks)."""
    false_positive_filters: bool = True
    time_budget_s: float = Field(default=5.0, gt=0)
    """Per-document time guard for the detect-secrets pass."""
    max_line_chars: int = Field(default=10_000, gt=0)
    """Longer lines (minified bundles) get our rules only, not detect-secrets (whose regexes
    are quadratic in the line length)."""


class PiiConfig(AnnotatorConfig):
    detectors: tuple[str, ...] = ("email", "ip")
    """Names from ``curate.filters.secrets.pii.PII_DETECTORS``."""

    @field_validator("detectors")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [d for d in value if d not in PII_DETECTORS]
        if unknown:
            raise ValueError(f"unknown detector(s) {unknown}; known: {sorted(PII_DETECTORS)}")
        return value


SECRETS_SCHEMA = pa.schema(
    [
        ("secret_spans", SPANS),
        ("secret_count", pa.int64()),
        ("secret_density", pa.float64()),
        ("secret_scan_status", pa.string()),
        ("secret_metadata_spans", METADATA_SPANS),
    ]
)
PII_SCHEMA = pa.schema(
    [
        ("pii_spans", SPANS),
        ("pii_email_count", pa.int64()),
        ("pii_ip_count", pa.int64()),
        ("pii_scan_status", pa.string()),
    ]
)


@register
class SecretsAnnotator(Annotator):
    """Credentials and keys: our token/key/password rules plus detect-secrets (docs/pii.md)."""

    name = "secrets"
    version = 1
    Config = SecretsConfig
    status_column = "secret_scan_status"
    output_schema: ClassVar[pa.Schema] = SECRETS_SCHEMA

    def setup(self) -> None:
        cfg: SecretsConfig = self.config  # type: ignore[assignment]
        key = (
            "secrets.scanner",
            cfg.detect_secrets,
            cfg.prefilter,
            cfg.false_positive_filters,
            cfg.max_line_chars,
        )
        self._scanner = worker_cache.get_or_create(
            key,
            lambda: SecretScanner(
                use_detect_secrets=cfg.detect_secrets,
                prefilter=cfg.prefilter,
                false_positive_filters=cfg.false_positive_filters,
                max_line_chars=cfg.max_line_chars,
            ),
        )

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        cfg: SecretsConfig = self.config  # type: ignore[assignment]
        if not hasattr(self, "_scanner"):
            self.setup()
        paths = ctx.column("path") if "path" in batch.schema.names else [""] * len(ctx)
        meta = self._metadata_spans(batch, ctx)
        spans, counts, density, status = [], [], [], []
        for i in range(len(ctx)):
            text = ctx.contents[i] or ""
            data = ctx.content_bytes(i)  # the batch's UTF-8 bytes: no encode per document
            result = self._scanner.scan(
                text, paths[i] or "", data=data, time_budget_s=cfg.time_budget_s
            )
            if result.status != "ok":
                log.warning("secrets: %s in %s", result.status, paths[i])
            n = len(result.findings)
            kib = len(data) / 1024 if n else 1.0
            spans.append([f.as_span() for f in result.findings])
            counts.append(n)
            density.append(n / kib if kib > 0 else 0.0)
            status.append(result.status)
        return pa.RecordBatch.from_arrays(
            [
                pa.array(spans, SPANS),
                pa.array(counts, pa.int64()),
                pa.array(density, pa.float64()),
                pa.array(status, pa.string()),
                pa.array(meta, METADATA_SPANS),
            ],
            schema=SECRETS_SCHEMA,
        )

    def annotate_oversize(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        """Content over the size guard is not scanned (nulls, ``too_large``), but the short
        metadata values still are."""
        out = super().annotate_oversize(batch, ctx)
        if not hasattr(self, "_scanner"):
            self.setup()
        index = SECRETS_SCHEMA.get_field_index("secret_metadata_spans")
        meta = pa.array(self._metadata_spans(batch, ctx), METADATA_SPANS)
        return out.set_column(index, SECRETS_SCHEMA.field(index), meta)

    def _metadata_spans(self, batch: pa.RecordBatch, ctx: BatchContext) -> list[list[dict]]:
        """Findings in each row's ``repo`` and ``path`` values. A value is scanned once per batch
        (a repository's name repeats on all its files), without the path-based false-positive
        rules: a token in a fixture's file name still leaks through the name. One pre-filter
        pass over all of a column's values (one a line) picks the few that need a scan."""
        out: list[list[dict]] = [[] for _ in range(len(ctx))]
        budget = self.config.time_budget_s  # type: ignore[attr-defined]
        for name in METADATA_FIELDS:
            if name not in batch.schema.names:
                continue
            column = ctx.column(name)
            values = list(dict.fromkeys(v for v in column if v))
            found: dict[str, list[dict]] = {}
            for value in _candidate_values(self._scanner, values):
                findings = self._scanner.scan(value, "", time_budget_s=budget).findings
                found[value] = [{"field": name, **f.as_span()} for f in findings]
            for i, value in enumerate(column):
                if value in found:
                    out[i].extend(found[value])
        return out


def _candidate_values(scanner: SecretScanner, values: list[str]) -> list[str]:
    """The ``values`` on whose lines the scanner's pre-filter fires when they are scanned as
    one text, one value a line (or several, for a value with newlines). The pre-filter works
    line by line and no trigger matches a newline, so a value outside this list has no
    candidate line alone either: its scan would find nothing."""
    if not values:
        return []
    cands = scanner.candidates("\n".join(values))
    if not cands:
        return []
    first_lines = []  # the index of each value's first line
    line = 0
    for value in values:
        first_lines.append(line)
        line += value.count("\n") + 1
    hot = {bisect.bisect_right(first_lines, idx) - 1 for idx in cands}
    return [values[k] for k in sorted(hot)]


@register
class PiiAnnotator(Annotator):
    """E-mail and IP addresses that are personal data (docs/pii.md)."""

    name = "pii"
    version = 1
    Config = PiiConfig
    status_column = "pii_scan_status"
    output_schema: ClassVar[pa.Schema] = PII_SCHEMA

    def setup(self) -> None:
        cfg: PiiConfig = self.config  # type: ignore[assignment]
        self._scanner = worker_cache.get_or_create(
            ("pii.scanner", cfg.detectors), lambda: PiiScanner(cfg.detectors)
        )

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        if not hasattr(self, "_scanner"):
            self.setup()
        paths = ctx.column("path") if "path" in batch.schema.names else [""] * len(ctx)
        spans, emails, ips, status = [], [], [], []
        for i in range(len(ctx)):
            found = self._scanner.scan(ctx.contents[i] or "", paths[i] or "", ctx.content_bytes(i))
            spans.append([f.as_span() for f in found])
            emails.append(sum(f.kind == "email" for f in found))
            ips.append(sum(f.kind in ("ipv4", "ipv6") for f in found))
            status.append("ok")
        return pa.RecordBatch.from_arrays(
            [
                pa.array(spans, SPANS),
                pa.array(emails, pa.int64()),
                pa.array(ips, pa.int64()),
                pa.array(status, pa.string()),
            ],
            schema=PII_SCHEMA,
        )
