"""Reading a run's tables for the mixer and the card: attribute shards and decisions, on the
calling thread. Which shards and attribute folders exist is ``RunDir``'s job (one rule for
versions and column clashes, see ``curate.rundir``)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from curate.errors import UserError
from curate.rundir import RunDir


def folder_schema(folder: Path) -> pa.Schema | None:
    for path in sorted(folder.glob("*.parquet")):
        return pq.read_schema(path)
    return None


def read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    """Read Parquet on the calling thread: a mixer worker is one core (the runner gives each
    task ``num_cpus=1``), so Arrow's thread pool only adds hand-off cost (measured: 20-25%
    more CPU time to read the content column of a shard)."""
    return pq.read_table(path, columns=columns, use_threads=False)


def read_attribute_shard(folder: Path, shard_id: str, columns: list[str]) -> pa.Table | None:
    path = RunDir.shard_file(folder, shard_id)
    if not path.is_file():
        return None
    return read_table(path, columns=["doc_uid", *columns])


def decisions_present(run: RunDir, policy: str) -> bool:
    folder = run.decisions(policy)
    return folder.is_dir() and any(folder.glob("*.parquet"))


def read_decisions(
    run: RunDir, policy: str, shard_id: str, columns: list[str] | None = None
) -> pa.Table:
    path = RunDir.shard_file(run.decisions(policy), shard_id)
    if not path.is_file():
        raise UserError(f"{path}: missing decisions for shard {shard_id} (rerun the policy step)")
    return read_table(path, columns=columns)
