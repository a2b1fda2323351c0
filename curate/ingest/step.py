"""The ingest step: one unit per shard, reading its sources into ``documents/`` and
``skipped/`` (``curate.ingest.stage.ingest_shard``), its reader statistics in the counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from curate.engine.shards import ShardSpec
from curate.engine.step import WHOLE, Step, UnitContext

STEP = "ingest"


@dataclass(frozen=True)
class IngestStep(Step):
    shards: tuple[ShardSpec, ...]
    config: Any
    config_fingerprint: str
    batch_rows: int
    batch_bytes: int
    name: str = STEP

    def units(self) -> Sequence[str]:
        return tuple(s.shard_id for s in self.shards)

    def unit_weight(self, unit: str) -> int:
        """The shard's expected uncompressed bytes (compressed sizes differ 2-10x in ratio)."""
        return next((s.work_bytes for s in self.shards if s.shard_id == unit), 0)

    def shard_fingerprint(self, shard_id: str) -> str:
        """What a shard's documents depend on: the ingest config and (through the content-
        derived shard id) its sources."""
        return f"{self.config_fingerprint}:{shard_id}"

    def parts(self, unit: str) -> Mapping[str, str]:
        return {WHOLE: self.shard_fingerprint(unit)}

    def for_unit(self, unit: str) -> Step:
        shards = tuple(s for s in self.shards if s.shard_id == unit)
        return IngestStep(
            shards, self.config, self.config_fingerprint, self.batch_rows, self.batch_bytes
        )

    def run_unit(self, ctx: UnitContext) -> dict[str, Any]:
        from curate.ingest.stage import ingest_shard

        (shard,) = (s for s in self.shards if s.shard_id == ctx.unit)
        stats = ingest_shard(
            ctx.run, shard, self.config, batch_rows=self.batch_rows, batch_bytes=self.batch_bytes
        ).to_dict()
        stats.pop("seconds", None)  # the engine times every unit
        ctx.stats.update(stats)
        ctx.stats.add("files", stats["documents"] + stats["skipped"])
        ctx.stats.add("bytes", stats["document_bytes"])
        return {"documents": stats["documents"], "skipped": stats["skipped"]}
