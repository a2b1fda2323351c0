"""Make an N-times corpus from tar.gz archives for memory/scaling runs: copy ``k`` of each
archive gets a renamed top folder and archive name (``-copyK``), and every regular file gets
one trailing line ``copy K`` so no file is an exact duplicate of another copy's (they are
still near-duplicates: near-dedup clusters them, which is part of the work measured).

    .venv/bin/python benchmarks/make_copies.py /work/main/.bench/e2e/archives /tmp/x4 --copies 4
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tarfile
from pathlib import Path


def copy_archive(src: Path, dst: Path, k: int) -> None:
    stem = src.name.removesuffix(".tar.gz").removesuffix(".tgz")
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz", compresslevel=1) as tout:
        for member in tin:
            head, sep, rest = member.name.partition("/")
            member.name = f"{head}-copy{k}{sep}{rest}"
            if member.isfile():
                data = tin.extractfile(member).read() + f"\ncopy {k}\n".encode()  # type: ignore[union-attr]
                member.size = len(data)
                tout.addfile(member, io.BytesIO(data))
            elif not (member.issym() or member.islnk()):
                tout.addfile(member)
    print(f"{dst.name} <- {stem}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args(argv)
    args.dst.mkdir(parents=True, exist_ok=True)
    for archive in sorted(args.src.iterdir()):
        shutil.copy(archive, args.dst / archive.name)  # copy 0: the original
        stem = archive.name.removesuffix(".tar.gz").removesuffix(".tgz")
        for k in range(1, args.copies):
            copy_archive(archive, args.dst / f"{stem}-copy{k}.tar.gz", k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
