"""Span redaction, the one place content is rewritten (called by the mixer, the datatrove
``CurateRedact`` step and ``curate secrets --redact``). Annotators never change content: they
write span columns, and this module applies them.

Secrets become ``<KEY>`` (``<PASSWORD>`` for passwords), e-mail addresses ``<EMAIL>``, and IP
addresses a deterministic synthetic address of the same family (BigCode's scheme), so the
code keeps its syntax: an IPv4 literal stays a valid IPv4 literal. The synthetic address is a
keyed hash of the original (``seed``), so one address maps to the same replacement across a
dataset, and lies in a private range (10.0.0.0/8, fd00::/8) that is never personal data.

Overlapping or touching spans are merged first; the merged span takes the strongest
replacement (key > password > email > IP). Spans outside the text are clipped; empty or
malformed ones are ignored, never raised on.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa

PASSWORD_KINDS = frozenset({"password", "url_password"})
EMAIL_KINDS = frozenset({"email"})
IP_KINDS = frozenset({"ipv4", "ipv6", "ip"})
_RANK = {"key": 3, "password": 2, "email": 1, "ip": 0}


def placeholder_class(kind: str) -> str:
    if kind in IP_KINDS:
        return "ip"
    if kind in EMAIL_KINDS:
        return "email"
    if kind in PASSWORD_KINDS:
        return "password"
    return "key"


def synthetic_ip(value: str, *, seed: str = "curate") -> str:
    """A private address of ``value``'s family, derived from a keyed hash of it. Text that is
    not an IP address gets ``<IP>``."""
    digest = hashlib.blake2b(
        value.encode("utf-8", "surrogatepass"), key=seed.encode()[:64], digest_size=16
    ).digest()
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return "<IP>"
    if addr.version == 4:
        return f"10.{digest[0]}.{digest[1]}.{max(1, digest[2]) if digest[2] != 255 else 254}"
    return str(ipaddress.IPv6Address(b"\xfd" + digest[1:16]))


def _replacement(cls: str, value: str, seed: str) -> str:
    if cls == "ip":
        return synthetic_ip(value, seed=seed)
    return {"key": "<KEY>", "password": "<PASSWORD>", "email": "<EMAIL>"}[cls]


def _get(span: Any, name: str) -> Any:
    return span.get(name) if isinstance(span, Mapping) else getattr(span, name, None)


def merge_spans(length: int, spans: Sequence[Any] | None) -> list[tuple[int, int, str]]:
    """Valid spans clipped to ``[0, length)`` and merged into ``(start, end, class)``."""
    cleaned: list[tuple[int, int, str]] = []
    for span in spans or ():
        try:
            start, end = int(_get(span, "start")), int(_get(span, "end"))
        except (TypeError, ValueError):
            continue
        start, end = max(0, start), min(length, end)
        if end <= start:
            continue
        cleaned.append((start, end, placeholder_class(str(_get(span, "kind") or ""))))
    cleaned.sort()
    merged: list[tuple[int, int, str]] = []
    for start, end, cls in cleaned:
        if merged and start <= merged[-1][1]:
            s0, e0, c0 = merged[-1]
            # two distinct IPs that merely touch stay separate values only if disjoint
            if start == e0 and cls == "ip" and c0 == "ip":
                merged.append((start, end, cls))
                continue
            merged[-1] = (s0, max(e0, end), c0 if _RANK[c0] >= _RANK[cls] else cls)
        else:
            merged.append((start, end, cls))
    return merged


def apply_redactions(
    content: str,
    spans: Sequence[Mapping[str, Any]] | None,
    *,
    seed: str = "curate",
    style: str = "placeholder",
) -> str:
    """``content`` with every span replaced (see module doc). ``style="placeholder"`` is the
    only style today; it is a parameter so the mixer's config can name it."""
    if style != "placeholder":
        from curate.errors import ConfigError

        raise ConfigError(f"redaction style {style!r} is not supported (use 'placeholder')")
    if not spans:
        return content
    parts: list[str] = []
    pos = 0
    for start, end, cls in merge_spans(len(content), spans):
        parts.append(content[pos:start])
        parts.append(_replacement(cls, content[start:end], seed))
        pos = end
    parts.append(content[pos:])
    return "".join(parts)


def is_span_type(t: pa.DataType) -> bool:
    """Whether an Arrow column type is a span list (``list<struct<start, end, kind, ...>>``):
    every such column of every annotator is applied; which exist is discovered from their type,
    never hard-coded."""
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return False
    inner = t.value_type
    return pa.types.is_struct(inner) and {"start", "end", "kind"} <= {f.name for f in inner}


def redactor(style: str) -> Callable[[str, list[dict[str, Any]]], str]:
    """``(content, spans) -> redacted content`` in the given placeholder style."""
    return lambda content, spans: apply_redactions(content, spans, style=style)
