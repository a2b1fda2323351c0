"""Span redaction for the mixer: every span column (``list<struct<start, end, kind, ...>>``) of
every annotator is applied; which columns exist is discovered from their type, never hard-coded.
The replacement itself is ``curate.filters.redact.apply_redactions`` (the secrets area's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa


def is_span_type(t: pa.DataType) -> bool:
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return False
    inner = t.value_type
    return pa.types.is_struct(inner) and {"start", "end", "kind"} <= {f.name for f in inner}


def redactor(style: str) -> Callable[[str, list[dict[str, Any]]], str]:
    from curate.filters.redact import apply_redactions

    return lambda content, spans: apply_redactions(content, spans, style=style)
