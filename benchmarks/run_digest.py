"""A digest of a run directory's results, to check that a refactor changed no output.

For documents, every attribute folder, every decisions folder and every mixture it prints the
row count and a SHA-256 over the rows sorted by their own values (so shard layout, row-group
boundaries and file names do not matter, the values do). Two runs of the same recipe on the same
inputs, before and after a change, must print the same lines.

    .venv/bin/python benchmarks/run_digest.py runs/demo > before.txt
    ... change the code, rerun ...
    .venv/bin/python benchmarks/run_digest.py runs/demo | diff before.txt -

``--drop COL`` leaves columns out (e.g. timing or version columns that differ by design).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import polars as pl


def table_digest(files: list[Path], drop: set[str]) -> tuple[int, str]:
    frame = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")
    frame = frame.drop([c for c in frame.columns if c in drop])
    frame = frame.select(sorted(frame.columns))
    # One hash per row over its JSON form, then a hash of the sorted row hashes.
    rows = sorted(
        hashlib.sha256(line.encode()).hexdigest() for line in frame.write_ndjson().splitlines()
    )
    return frame.height, hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def folders(run: Path) -> list[tuple[str, list[Path]]]:
    out: list[tuple[str, list[Path]]] = []
    docs = sorted((run / "documents").glob("*.parquet"))
    if docs:
        out.append(("documents", docs))
    for parent in ("attributes", "decisions", "mixtures"):
        root = run / parent
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            files = sorted(f for f in folder.rglob("*.parquet") if not f.name.startswith("."))
            if files:
                out.append((f"{parent}/{folder.name}", files))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--drop", action="append", default=[], help="column to leave out")
    args = parser.parse_args(argv)
    for name, files in folders(args.run):
        rows, digest = table_digest(files, set(args.drop))
        print(f"{name}\t{rows}\t{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
