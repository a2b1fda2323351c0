"""Shard planning: group sources into units of work whose ids derive from their content.

Sources are sorted by name (their path below the inputs' common parent, never the absolute
location: ``curate.ingest.identity``) and cut into shards at *content-defined* boundaries: a
shard closes when it reaches the byte target, or, once it holds a quarter of the target, before
any source whose name hash falls in a fixed 1-in-8 class. Adding a source therefore only changes
the shard it lands in (and at most its neighbours until the next boundary), and a shard's id is
a hash of its members' names, parts and sizes — never of a rank, a position or a folder.

Every core busy: the byte target shrinks for small inputs so that the input is cut into at least
``min_shards`` shards (never below ``MIN_SHARD_BYTES``). ``min_shards`` is a fixed fan-out
(``max(DEFAULT_FAN_OUT, 2 x workers)``), so for up to ``DEFAULT_FAN_OUT / 2`` workers the plan,
and hence every shard id, is the same whatever the worker count: resume keeps working.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ShardSpec:
    shard_id: str
    sources: tuple[Any, ...]  # curate.ingest.SourceSpec

    @property
    def input_bytes(self) -> int:
        return sum(s.size_bytes for s in self.sources)

    @property
    def work_bytes(self) -> int:
        """Expected uncompressed bytes of the sources (``SourceSpec.work_bytes``; a source
        kind without that estimate counts its size): the shard unit's weight."""
        return sum(getattr(s, "work_bytes", s.size_bytes) for s in self.sources)


def _source_key(source: Any) -> str:
    """A source's location-independent name (its URI for specs without one) and part."""
    part = "" if source.part is None else f"#{source.part[0]}-{source.part[1]}"
    return f"{getattr(source, 'name', '') or source.uri}{part}"


def _boundary(source: Any) -> bool:
    digest = hashlib.blake2b(_source_key(source).encode(), digest_size=8).digest()
    return digest[0] % 8 == 0


def shard_id_for(sources: Sequence[Any]) -> str:
    h = hashlib.blake2b(digest_size=8)
    for s in sources:
        h.update(f"{_source_key(s)}\x00{s.size_bytes}\x01".encode())
    return h.hexdigest()


MIN_SHARD_BYTES = 8 << 20
"""A shard this small still amortises the per-task set-up; 2 per worker from N x 16 MB."""
DEFAULT_FAN_OUT = 64


def fan_out(workers: int | None) -> int:
    """Shards the planner aims for: 2 per worker, at least the fixed default fan-out."""
    return max(DEFAULT_FAN_OUT, 2 * (workers or 0))


def effective_target(total_bytes: int, target_bytes: int, min_shards: int) -> int:
    """`target_bytes`, lowered so `total_bytes` makes >= `min_shards` shards (when each can
    still hold `MIN_SHARD_BYTES`). The lowered target is a power of two, so adding a few
    sources rarely moves it (a moved target would re-cut, and re-id, every shard)."""
    spread = total_bytes // max(1, min_shards)
    if spread >= target_bytes:
        return target_bytes
    lowered = 1 << max(0, spread.bit_length() - 1)  # largest power of two <= spread
    return max(1, min(target_bytes, max(MIN_SHARD_BYTES, lowered)))


def plan_shards(
    sources: Sequence[Any], target_bytes: int, min_shards: int = DEFAULT_FAN_OUT
) -> list[ShardSpec]:
    target_bytes = effective_target(sum(s.size_bytes for s in sources), target_bytes, min_shards)
    ordered = sorted(sources, key=_source_key)
    groups: list[list[Any]] = []
    current: list[Any] = []
    current_bytes = 0
    for source in ordered:
        if current and (
            current_bytes + source.size_bytes > target_bytes
            or (current_bytes >= target_bytes // 4 and _boundary(source))
        ):
            groups.append(current)
            current, current_bytes = [], 0
        current.append(source)
        current_bytes += source.size_bytes
    if current:
        groups.append(current)
    return [ShardSpec(shard_id_for(g), tuple(g)) for g in groups]
