"""Span redaction for the mixer: every span column (``list<struct<start, end, kind, ...>>``) of
every annotator is applied; which columns exist is discovered, never hard-coded.

The replacement itself belongs to the secrets owner (``curate.filters.redact.apply_redactions``).
When that module is not installed, a minimal placeholder replacement is used so a run without it
still never leaks a flagged span.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pyarrow as pa


def is_span_type(t: pa.DataType) -> bool:
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return False
    inner = t.value_type
    return pa.types.is_struct(inner) and {"start", "end", "kind"} <= {f.name for f in inner}


def redactor(style: str) -> Callable[[str, list[dict[str, Any]]], str]:
    try:
        module = importlib.import_module("curate.filters.redact")
        apply = module.apply_redactions
    except (ImportError, AttributeError):
        return placeholder_redact
    return lambda content, spans: apply(content, spans, style=style)


def placeholder_redact(content: str, spans: list[dict[str, Any]]) -> str:
    """Replace each (merged) span by ``<KIND>``; overlapping spans merge into the first's kind."""
    merged: list[list[Any]] = []
    for s in sorted(spans, key=lambda s: (s["start"], -s["end"])):
        start, end = max(0, int(s["start"])), min(len(content), int(s["end"]))
        if end <= start:
            continue
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, str(s["kind"])])
    out, pos = [], 0
    for start, end, kind in merged:
        out.append(content[pos:start])
        out.append(f"<{kind.upper()}>")
        pos = end
    out.append(content[pos:])
    return "".join(out)
