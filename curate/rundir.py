"""Layout of a run directory (shared/DESIGN.md section 4), the one reader of what it holds,
and atomic writes into it.

Every writer goes through ``write_table_atomic`` / ``write_json_atomic`` /
``AtomicParquetWriter`` / ``place``: the file is written under a temporary name and renamed, so
a killed run never leaves a half-written table behind. A run directory on an object store
(``RunDir.url``) is worked on through a local mirror, and ``place`` also PUTs the final object
(``curate.objstore``): one mechanism, the same code path for local and remote runs.

Every reader (notebooks, policy, dedup, mixer, card) finds shards and attribute folders through
``RunDir.shard_ids`` / ``attribute_folders`` / ``attribute_columns``, which apply ONE rule:

- of the folders ``attributes/<name>@<version>/`` that hold output, each annotator *name* is
  represented by its highest version (unless the caller names the keys it wants, e.g.
  ``policy.attributes``);
- a column name belongs to exactly one table: a column of the documents table, or of exactly one
  chosen attribute folder. A column that two of them provide is a ``ConfigError`` naming both
  (pick the folders explicitly to resolve it); nothing is silently shadowed.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate import objstore
from curate.errors import ConfigError, UserError

_KEY = re.compile(r"^(?P<name>.+)@(?P<version>\d+)$")
_SHARD = re.compile(r"^[0-9a-zA-Z_.-]+$")

PARQUET_COMPRESSION = "zstd"
PARQUET_COMPRESSION_LEVEL = 3


@dataclass(frozen=True)
class RunDir:
    root: Path
    url: str | None = None
    """The run directory's URL on an object store (s3://, gs://, ...); ``root`` is then its local
    mirror (``curate.objstore``): readers read the mirror, every write is also PUT on the store."""

    def __post_init__(self) -> None:
        if self.url is not None:
            objstore.mount(self.url, str(self.root))

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt through __init__ so that a worker process mounts the mirror too, with the
        # storage options the driver was given (``--storage-option``)
        if self.url is None:
            return (RunDir, (self.root,))
        return (_remote_run_dir, (self.root, self.url, objstore.storage_config(self.url)))

    @property
    def location(self) -> str:
        """Where the run directory is, as the user named it (its URL, or the local path)."""
        return self.url or str(self.root)

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> RunDir:
        """The run directory at ``path``; a UserError if it, or the nearest existing folder
        above it, is a file (so ``--output`` naming a file fails in one line, not a traceback).
        A URL (s3://, gs://, ...) gives a run directory on that store, worked on through its
        local mirror (``curate.objstore.mirror_root``; nothing is downloaded until
        ``curate.objstore.Mirror.checkout``)."""
        if objstore.is_remote(str(path)):
            url = str(path).rstrip("/")
            return cls(Path(objstore.mirror_root(url)), url)
        root = Path(path)
        for existing in (root, *root.parents):
            if existing.exists():
                if not existing.is_dir():
                    where = "" if existing == root else f" ({existing} is a file)"
                    raise UserError(f"{path}: not a directory{where}")
                break
        return cls(root)

    @property
    def name(self) -> str:
        """The run directory's own name (the last part of its path or URL)."""
        return self.location.rstrip("/").rsplit("/", 1)[-1]

    @property
    def mirror(self) -> objstore.Mirror | None:
        return objstore.mount(self.url, str(self.root)) if self.url is not None else None

    # --- tables -------------------------------------------------------------------------
    @property
    def manifest(self) -> Path:
        return self.root / "manifest.parquet"

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def skipped(self) -> Path:
        return self.root / "skipped"

    def attributes(self, key: str) -> Path:
        """Folder of one annotator's output, ``key`` = ``name@version``."""
        return self.root / "attributes" / key

    @property
    def attributes_root(self) -> Path:
        return self.root / "attributes"

    def decisions(self, policy: str = "default") -> Path:
        return self.root / "decisions" / policy

    @property
    def dedup(self) -> Path:
        return self.root / "dedup"

    def mixture(self, name: str) -> Path:
        return self.root / "mixtures" / name

    @property
    def stats(self) -> Path:
        return self.root / "stats"

    @property
    def card(self) -> Path:
        return self.root / "card"

    @property
    def markers(self) -> Path:
        return self.root / "_markers"

    @property
    def tmp(self) -> Path:
        return self.root / "_tmp"

    @property
    def work(self) -> Path:
        """Hand-offs between a whole-run step and its tasks (the mixture plan and its parts
        before they are published). Unlike ``tmp``, stored on an object store, so tasks on
        other nodes read and write it; the step that made a folder here removes it."""
        return self.root / "_work"

    @property
    def config_copy(self) -> Path:
        return self.root / "pipeline.toml"

    def key(self, path: str | os.PathLike[str]) -> str:
        """``path`` (inside this run directory) as a key relative to its root: what a task
        carries instead of a path, because a worker on another node has its own copy of the run
        under another root (``path`` turns it back)."""
        return Path(path).relative_to(self.root).as_posix()

    def path(self, key: str) -> Path:
        """The file or folder of ``key`` (``RunDir.key``) in this process's copy of the run."""
        return self.root.joinpath(*key.split("/"))

    @staticmethod
    def shard_file(folder: Path, shard_id: str) -> Path:
        return folder / f"{shard_id}.parquet"

    # --- reading ------------------------------------------------------------------------
    def shard_ids(self) -> list[str]:
        """Shards that have documents, sorted; a UserError if this is no run directory."""
        if not self.documents.is_dir():
            raise UserError(
                f"{self.root}: not a run directory with documents (run `curate ingest` first)"
            )
        return sorted(p.stem for p in self.documents.glob("*.parquet") if _SHARD.match(p.stem))

    def document_rows(self, shards: Sequence[str]) -> int:
        """Documents in ``shards``, from their Parquet footers (no data read)."""
        return sum(pq.read_metadata(self.shard_file(self.documents, s)).num_rows for s in shards)

    def attribute_folders(
        self, only: Sequence[str] | None = None, *, exclude: Sequence[str] = ()
    ) -> dict[str, Path]:
        """``name@version`` -> folder, by the rule in the module docstring. ``only``: exactly
        these keys (a ConfigError names any that has no output); ``exclude``: annotator names
        to leave out (e.g. dedup's own attributes when dedup reads its keep key)."""
        present = {
            p.name: p
            for p in sorted(self.attributes_root.iterdir() if self.attributes_root.is_dir() else [])
            if p.is_dir() and _KEY.match(p.name) and any(p.glob("*.parquet"))
        }
        if only is not None:
            missing = [k for k in only if k not in present]
            if missing:
                raise ConfigError(
                    f"attributes {', '.join(missing)} not found under {self.attributes_root} "
                    f"(have: {', '.join(present) or 'none'})"
                )
            return {k: present[k] for k in only}
        best: dict[str, tuple[int, str]] = {}
        for key in present:
            m = _KEY.match(key)
            assert m is not None
            name, version = m["name"], int(m["version"])
            if name not in exclude and (name not in best or version > best[name][0]):
                best[name] = (version, key)
        return {key: present[key] for _, key in sorted(best.values(), key=lambda v: v[1])}

    def source_names(self) -> dict[str, str]:
        """Source URI -> its location-independent name (``manifest.parquet``): what anything
        published (card, mixture manifest) shows instead of the machine's folders."""
        if not self.manifest.is_file():
            return {}
        table = pq.read_table(self.manifest)
        if "source_names" not in table.column_names:
            return {}
        out: dict[str, str] = {}
        for uris, names in zip(
            table.column("source_uris").to_pylist(),
            table.column("source_names").to_pylist(),
            strict=True,
        ):
            out.update(zip(uris, names or uris, strict=True))
        return out

    def documents_schema(self) -> pa.Schema | None:
        """The documents table's schema (None when no shard is ingested yet)."""
        first = next(iter(sorted(self.documents.glob("*.parquet"))), None)
        return pq.read_schema(first) if first is not None else None

    def attribute_columns(
        self, only: Sequence[str] | None = None, *, exclude: Sequence[str] = ()
    ) -> dict[str, tuple[str, pa.Field]]:
        """Every attribute column -> (attribute key, Arrow field), by the module's rule."""
        owner: dict[str, str] = {}
        documents = self.documents_schema()
        for name in documents.names if documents is not None else []:
            owner[name] = "documents"
        out: dict[str, tuple[str, pa.Field]] = {}
        for key, folder in self.attribute_folders(only, exclude=exclude).items():
            first = next(iter(sorted(folder.glob("*.parquet"))))
            for f in pq.read_schema(first):
                if f.name == "doc_uid":
                    continue
                if f.name in owner:
                    where = owner[f.name]
                    raise ConfigError(
                        f"column {f.name!r} is provided by both "
                        f"{where if where == 'documents' else 'attributes/' + where} and "
                        f"attributes/{key}; name the attribute folders to use "
                        "(e.g. policy.attributes)"
                    )
                owner[f.name] = key
                out[f.name] = (key, f)
        return out


def _remote_run_dir(root: Path, url: str, options: dict[str, Any]) -> RunDir:
    """The run directory a driver sent to a worker: its mirror is THIS node's
    (``objstore.mirror_root`` under this process's ``CURATE_MIRROR_DIR``), not the driver's
    ``root``, which on another node is a different disk. Every task a worker gets carries its
    run directory, so refreshing the mirror here (``objstore.refresh``: one LIST of the
    markers when nothing is new) gives every task, whatever its kind, what other nodes
    committed before it was sent."""
    if options:
        objstore.configure([url.split("://", 1)[0]], options)
    run = RunDir(Path(objstore.mirror_root(url)), url)
    mirror = run.mirror
    if mirror is not None and not mirror.checked_out:
        mirror.worker = True
        objstore.refresh(str(run.root))
    return run


def place(tmp: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Put a finished temp file into place: THE way every run-directory output is committed.
    Locally an atomic rename; in the mirror of a run directory on an object store, first one PUT
    of the final key (atomic on the store), then the rename. Markers are written after their
    outputs, so the marker stays the commit point on both."""
    objstore.place(str(tmp), str(path))


def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Give a committed output another name in the same run directory (the mixer's parts):
    locally a rename; in the mirror of a run directory on an object store a server-side copy
    and a delete on the store, also when the file was written on another node and this one
    never had it."""
    objstore.move(str(src), str(dst))


def fetch(path: str | os.PathLike[str]) -> Path:
    """``path`` in this node's copy of the run directory, downloaded first when the mirror
    lacks it or holds another version than the store's: for a file a task reads that no
    marker announces (the mixture plan). A local run directory: ``path`` as it is."""
    objstore.fetch(str(path))
    return Path(path)


def remove(path: str | os.PathLike[str]) -> None:
    """Remove an output (a file or a folder; nothing if absent): the counterpart of ``place``.
    In the mirror of a run directory on an object store, its key (or every key under the
    folder) is deleted on the store at once, not only at the next flush."""
    import shutil

    target = Path(path)
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink(missing_ok=True)
    objstore.unpublish(str(target))


def write_bytes_atomic(data: bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    place(tmp, path)


def write_table_atomic(table: pa.Table, path: Path, *, row_group_size: int | None = None) -> None:
    """Write ``table`` as zstd Parquet at ``path`` through a temp file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(
        table,
        tmp,
        compression=PARQUET_COMPRESSION,
        compression_level=PARQUET_COMPRESSION_LEVEL,
        row_group_size=row_group_size,
    )
    place(tmp, path)


class AtomicParquetWriter:
    """Streaming version of ``write_table_atomic`` for batches of one schema."""

    def __init__(
        self,
        path: Path,
        schema: pa.Schema,
        *,
        row_group_size: int | None = None,
        write_statistics: bool = True,
        use_dictionary: bool | list[str] = True,
        uncompressed: Sequence[str] = (),
    ):
        """``write_statistics=False`` drops column min/max from the footer (a file read by its
        own index, not by predicate, such as a dedup shuffle file); ``use_dictionary`` names
        the columns worth dictionary-encoding (not random hashes); ``uncompressed`` the columns
        zstd cannot shrink (hash sets), written as they are."""
        self.path = path
        self.schema = schema
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        compression: str | dict[str, str] = PARQUET_COMPRESSION
        level: int | dict[str, int] = PARQUET_COMPRESSION_LEVEL
        if uncompressed:  # flat columns only: a per-column codec is keyed by the leaf's path
            compression = {n: "none" if n in uncompressed else compression for n in schema.names}
            level = {n: level for n in schema.names if n not in uncompressed}
        self._writer = pq.ParquetWriter(
            self._tmp,
            schema,
            compression=compression,
            compression_level=level,
            write_statistics=write_statistics,
            use_dictionary=use_dictionary,
        )
        self._row_group_size = row_group_size

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        if batch.num_rows == 0:
            return
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        self._writer.write_table(table.cast(self.schema), row_group_size=self._row_group_size)
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file and move it into place (an empty table is still written)."""
        self._writer.close()
        place(self._tmp, self.path)

    def abort(self) -> None:
        self._writer.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicParquetWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_json_atomic(data: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    place(tmp, path)
