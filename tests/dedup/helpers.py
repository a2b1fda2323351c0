"""Generated test data for dedup tests: source files, near copies and run directories."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from curate.rundir import RunDir, write_table_atomic
from curate.schema import DOCUMENTS, MANIFEST

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "value",
    "index",
    "count",
    "total",
    "buffer",
    "result",
    "parse",
    "token",
    "node",
    "tree",
    "left",
    "right",
    "item",
    "key",
    "size",
    "data",
    "cache",
    "read",
    "write",
    "open",
    "close",
    "error",
    "state",
    "queue",
    "stack",
    "path",
    "name",
    "line",
]


def make_function(rng: random.Random, n_lines: int = 30) -> str:
    """A random Python-like source file (distinct files share almost no 5-grams)."""
    lines = [f"def {rng.choice(WORDS)}_{rng.randrange(10**6)}(x, y):"]
    for _ in range(n_lines):
        a, b, c = rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS)
        lines.append(
            f"    {a}_{rng.randrange(1000)} = {b}(x) + {c}_{rng.randrange(1000)} * {rng.randrange(100)}"
        )
    lines.append("    return x")
    return "\n".join(lines) + "\n"


def mutate(rng: random.Random, text: str, fraction: float) -> str:
    """Replace ``round(fraction * lines)`` randomly chosen body lines with new random lines."""
    lines = text.split("\n")
    body = list(range(1, len(lines) - 2))
    for i in rng.sample(body, min(len(body), round(fraction * len(lines)))):
        lines[i] = f"    {rng.choice(WORDS)}_{rng.randrange(10**6)} = {rng.randrange(10**6)}"
    return "\n".join(lines)


def new_line(rng: random.Random) -> str:
    """A random code line that shares no 5-gram with other generated lines."""
    return f"    {rng.choice(WORDS)}_{rng.randrange(10**6)} = {rng.choice(WORDS)}(x) + 1"


def grow(rng: random.Random, text: str, fraction: float) -> str:
    """A later release that appended new code (the file grew by ``fraction`` of its lines)."""
    n = max(1, round(fraction * text.count("\n")))
    return text + "\n".join(new_line(rng) for _ in range(n)) + "\n"


def next_release(rng: random.Random, text: str) -> str:
    """The next release of a file: 0-26% of its lines rewritten, and 30% of the time grown by
    0-40% (consecutive releases spread over true word-5-gram Jaccard ~0.3-1.0)."""
    later = mutate(rng, text, rng.uniform(0.0, 0.26))
    if rng.random() < 0.3:
        later = grow(rng, later, rng.uniform(0.0, 0.4))
    return later


def release_series(rng: random.Random, releases: int = 3, n_lines: int = 60) -> list[str]:
    """``releases`` consecutive releases of one generated file, each edited from the previous
    one, so non-consecutive releases are further apart and chains form."""
    out = [make_function(rng, n_lines)]
    while len(out) < releases:
        out.append(next_release(rng, out[-1]))
    return out


def doc_row(
    shard: str, repo: str, path: str, content: str, language: str | None = "Python"
) -> dict:
    sha = hashlib.sha1(content.encode()).hexdigest()
    uid = hashlib.sha1(f"{repo}\0{path}\0{sha}".encode()).hexdigest()[:16]
    return {
        "doc_uid": uid,
        "content_sha": sha,
        "repo": repo,
        "ref": None,
        "path": path,
        "language": language,
        "content": content,
        "size_bytes": len(content.encode()),
        "encoding": "utf-8",
        "source_uri": f"file:///{repo}/{path}",
        "shard_id": shard,
    }


def write_run(root: Path, rows: Sequence[dict], n_shards: int) -> RunDir:
    """Spread ``rows`` over ``n_shards`` document shards (round robin) of a new run dir."""
    run = RunDir.at(root)
    shards = [f"{i:016x}" for i in range(n_shards)]
    for i, shard in enumerate(shards):
        part = [dict(r, shard_id=shard) for r in rows[i::n_shards]]
        write_table_atomic(
            pa.Table.from_pylist(part, schema=DOCUMENTS), RunDir.shard_file(run.documents, shard)
        )
    manifest = pa.table(
        {
            "shard_id": shards,
            "source_uris": [[s] for s in shards],
            "source_kinds": [["dir"] for _ in shards],
            "input_bytes": [1 for _ in shards],
            "source_names": [[s] for s in shards],
        },
        schema=MANIFEST,
    )
    write_table_atomic(manifest, run.manifest)
    return run
