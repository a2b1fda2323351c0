"""Write small run directories from Python rows, in the documented schemas.

Used by the tests, the benchmark and the docs of the mixer and the card, so they exercise the real
Parquet layout (``documents/``, ``skipped/``, ``attributes/<key>/``, ``decisions/<policy>/``)
without running the whole pipeline.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from curate.rundir import RunDir, write_table_atomic
from curate.schema import DOCUMENTS, MANIFEST, SKIPPED, SPANS


def git_blob_sha(content: str) -> str:
    data = content.encode("utf-8", "surrogatepass")
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def document(
    repo: str,
    path: str,
    content: str,
    language: str | None,
    shard_id: str = "0000000000000000",
    **extra: Any,
) -> dict[str, Any]:
    """One documents row with derived ids (``doc_uid`` from repo + path + content hash)."""
    sha = git_blob_sha(content)
    row = {
        "doc_uid": hashlib.sha1(f"{repo}\x00{path}\x00{sha}".encode()).hexdigest()[:16],
        "content_sha": sha,
        "repo": repo,
        "ref": None,
        "path": path,
        "language": language,
        "content": content,
        "size_bytes": len(content.encode("utf-8", "surrogatepass")),
        "encoding": "utf-8",
        "source_uri": f"synthetic://{repo}",
        "shard_id": shard_id,
    }
    row.update(extra)
    return row


def _infer(rows: list[dict[str, Any]], name: str) -> pa.DataType | None:
    for r in rows:
        v = r.get(name)
        if v is None:
            continue
        if isinstance(v, list):
            return SPANS
        return pa.scalar(v).type
    return None


def write_run(
    root: str | Path,
    documents: Iterable[Mapping[str, Any]],
    *,
    attributes: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    decisions: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    skipped: Iterable[Mapping[str, Any]] = (),
    schemas: Mapping[str, pa.Schema] | None = None,
) -> RunDir:
    """Write a run directory. Attribute and decision rows carry ``doc_uid`` and are split into the
    documents' shards; list-valued attribute columns are span lists (``curate.schema.SPANS``).
    ``schemas`` may give an attribute key's exact Arrow schema (else types are inferred)."""
    run = RunDir.at(root)
    docs = [dict(d) for d in documents]
    shard_of = {d["doc_uid"]: d["shard_id"] for d in docs}
    by_shard: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in docs:
        by_shard[d["shard_id"]].append(d)
    for sid, rows in by_shard.items():
        write_table_atomic(
            pa.Table.from_pylist(rows, schema=DOCUMENTS), RunDir.shard_file(run.documents, sid)
        )
    manifest = pa.table(
        {
            "shard_id": sorted(by_shard),
            "source_uris": [
                sorted({r["source_uri"] for r in by_shard[s]}) for s in sorted(by_shard)
            ],
            "source_kinds": [["synthetic"] for _ in by_shard],
            "input_bytes": [sum(r["size_bytes"] for r in by_shard[s]) for s in sorted(by_shard)],
            "source_names": [
                sorted({r["source_uri"] for r in by_shard[s]}) for s in sorted(by_shard)
            ],
        },
        schema=MANIFEST,
    )
    write_table_atomic(manifest, run.manifest)
    skipped = [dict(s) for s in skipped]
    skip_schema_rows = [
        {
            "shard_id": "discovery",
            "repo": None,
            "path": None,
            "detail": None,
            "size_bytes": None,
            "files": 1,
            **s,
        }
        for s in skipped
    ]
    write_table_atomic(
        pa.Table.from_pylist(skip_schema_rows, schema=SKIPPED),
        RunDir.shard_file(run.skipped, "discovery"),
    )

    def split(folder: Path, rows: Iterable[Mapping[str, Any]], schema: pa.Schema | None) -> None:
        rows = [dict(r) for r in rows]
        names = list(schema.names) if schema else list(dict.fromkeys(k for r in rows for k in r))
        if schema is None:
            fields = [pa.field("doc_uid", pa.string(), nullable=False)]
            for n in names:
                if n != "doc_uid":
                    fields.append(pa.field(n, _infer(rows, n) or pa.string()))
            schema = pa.schema(fields)
        parts: dict[str, list[dict[str, Any]]] = {s: [] for s in by_shard}
        for r in rows:
            parts[shard_of[r["doc_uid"]]].append({n: r.get(n) for n in names})
        for sid, part in parts.items():
            write_table_atomic(
                pa.Table.from_pylist(part, schema=schema), RunDir.shard_file(folder, sid)
            )

    for key, rows in (attributes or {}).items():
        split(run.attributes(key), rows, (schemas or {}).get(key))
    for policy, rows in (decisions or {}).items():
        split(run.decisions(policy), rows, None)
    return run
