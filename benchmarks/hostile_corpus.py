"""Write a hostile ingest corpus into a folder (nothing of it is committed).

    python benchmarks/hostile_corpus.py OUT_DIR [--bomb-mb 2048] [--big-mb 100]
        [--bracket-depth 100000] [--languages c,python,...]

Every top-level entry of OUT_DIR is one input case (the folder is a "collection": each
sub-folder is one repository, each file is read by its kind). ``OUT_DIR/../<name>.cases.json``
maps each entry to the number of input files it holds (documents + skipped files must add up
to it), ``null`` where a broken input makes the count unknowable (then at least one row), or
0 for an empty input (then exactly one ``empty_source`` row). benchmarks/soak_hostile.py runs
the pipeline on it and checks those counts.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import shutil
import struct
import subprocess
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ESCAPE = "curate-hostile-escape"
"""Base name every traversal / link case aims at outside the tree; the soak checks that no file
of that name appears anywhere."""

Cases = dict[str, int | None]


def _tar_add(tf: tarfile.TarFile, name: str, data: bytes = b"", **attrs: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    if info.type != tarfile.REGTYPE:
        info.size = 0
        tf.addfile(info)
    else:
        tf.addfile(info, io.BytesIO(data))


def _stream_gzip(path: Path, chunks: Callable[[], object], level: int = 1) -> None:
    with gzip.open(path, "wb", compresslevel=level) as f:
        for chunk in chunks():  # type: ignore[attr-defined]
            f.write(chunk)


def _zeros(total: int, piece: int = 1 << 20):  # type: ignore[no-untyped-def]
    zero = b"0" * piece
    for _ in range(total // piece):
        yield zero
    if total % piece:
        yield b"0" * (total % piece)


def _small_tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in files.items():
            _tar_add(tf, name, data)
    return buf.getvalue()


def _code(i: int) -> bytes:
    return f"def f{i}(x):\n    return x + {i}\n".encode()


# -- archives -----------------------------------------------------------------------------------


def archives(out: Path, cases: Cases, bomb_mb: int) -> None:
    good = _small_tar({f"proj/m{i}.py": _code(i) for i in range(200)})
    whole = gzip.compress(good)
    (out / "truncated.tar.gz").write_bytes(whole[: len(whole) // 2])
    cases["truncated.tar.gz"] = None
    (out / "truncated.tar").write_bytes(good[: len(good) // 2 + 100])
    cases["truncated.tar"] = None
    rng = random.Random(16)
    (out / "garbage.tar.gz").write_bytes(b"\x1f\x8b" + rng.randbytes(4096))
    cases["garbage.tar.gz"] = None
    (out / "garbage.zip").write_bytes(rng.randbytes(4096))
    cases["garbage.zip"] = None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(50):
            zf.writestr(f"m{i}.py", _code(i))
    data = buf.getvalue()
    (out / "truncated.zip").write_bytes(data[: len(data) - 40])  # end record cut
    cases["truncated.zip"] = None

    # zip bomb: a member that honestly inflates to bomb_mb (the header says so) ...
    with zipfile.ZipFile(out / "zipbomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("ok.py", _code(0))
        with zf.open("zeros.py", "w", force_zip64=True) as f:
            for chunk in _zeros(bomb_mb << 20):
                f.write(chunk)
    cases["zipbomb.zip"] = 2
    # ... one whose headers lie (say 100 bytes, inflate to 64 MiB) ...
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("ok.py", _code(0))
        zf.writestr("liar.py", b"0" * (64 << 20))
    (out / "zip_liar.zip").write_bytes(_zip_set_size(buf.getvalue(), b"liar.py", 100))
    cases["zip_liar.zip"] = 2
    # ... and an overlapping one: 200 central-directory entries share one local file
    (out / "zip_overlap.zip").write_bytes(_overlapping_zip(200, 32 << 20))
    cases["zip_overlap.zip"] = 200

    # tar bombs: a gzip'd tar whose member inflates to bomb_mb (honest header) ...
    with tarfile.open(out / "tarbomb.tar.gz", "w:gz", compresslevel=1) as tf:
        _tar_add(tf, "ok.py", _code(0))
        info = tarfile.TarInfo("zeros.py")
        info.size = bomb_mb << 20
        tf.addfile(info, _ZeroReader(info.size))
    cases["tarbomb.tar.gz"] = 2
    # ... and one whose header claims more than the archive holds
    raw = bytearray(_small_tar({"a.py": _code(1), "b.py": _code(2) * 50}))
    second = 1024
    raw[second + 124 : second + 136] = b"%011o\x00" % (900 << 20)
    raw[second + 148 : second + 156] = b" " * 8
    raw[second + 148 : second + 156] = b"%06o\x00 " % sum(raw[second : second + 512])
    (out / "tar_liar.tar.gz").write_bytes(gzip.compress(bytes(raw[: second + 512 + 4096])))
    cases["tar_liar.tar.gz"] = None

    # nested bombs: archives inside an archive are members (binary), never expanded
    inner_zip = (
        (out / "zipbomb.zip").read_bytes() if bomb_mb <= 256 else _overlapping_zip(20, 1 << 20)
    )
    inner_gz = gzip.compress(b"0" * (32 << 20), compresslevel=9)
    inner_tgz = (out / "tarbomb.tar.gz").read_bytes() if bomb_mb <= 256 else inner_gz
    with tarfile.open(out / "nested.tar.gz", "w:gz") as tf:
        _tar_add(tf, "inner.zip", inner_zip)
        _tar_add(tf, "inner.gz", inner_gz)
        _tar_add(tf, "inner.tar.gz", inner_tgz)
        _tar_add(tf, "main.py", _code(3))
    cases["nested.tar.gz"] = 4
    with zipfile.ZipFile(out / "nested.zip", "w") as zf:
        zf.writestr("inner.tar.gz", inner_tgz)
        zf.writestr("inner.gz", inner_gz)
        zf.writestr("main.py", _code(4))
    cases["nested.zip"] = 3

    # traversal and absolute member names
    names = [f"../../../{ESCAPE}", f"/tmp/{ESCAPE}", f"a/../../{ESCAPE}", f"C:/{ESCAPE}",
             f"..\\..\\{ESCAPE}", "ok.py"]  # fmt: skip
    with tarfile.open(out / "traversal.tar", "w") as tf:
        for name in names:
            _tar_add(tf, name, b"escaped = True\n")
    cases["traversal.tar"] = len(names)
    with zipfile.ZipFile(out / "traversal.zip", "w") as zf:
        for name in names:
            zf.writestr(zipfile.ZipInfo(name), b"escaped = True\n")
    cases["traversal.zip"] = len(names)

    # links and special members pointing out of the tree
    with tarfile.open(out / "links.tar", "w") as tf:
        _tar_add(tf, "ok.py", _code(5))
        _tar_add(tf, "passwd", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        _tar_add(tf, "up", type=tarfile.SYMTYPE, linkname="../../..")
        _tar_add(tf, "up/" + ESCAPE, b"through the link\n")
        _tar_add(tf, "hard", type=tarfile.LNKTYPE, linkname=f"../../{ESCAPE}")
        _tar_add(tf, "fifo", type=tarfile.FIFOTYPE)
        _tar_add(tf, "dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
    cases["links.tar"] = 7
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("passwd")
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
        zf.writestr("ok.py", _code(6))
    (out / "links.zip").write_bytes(buf.getvalue())
    cases["links.zip"] = 2

    # member names: newline, non-UTF-8 first byte, non-UTF-8 inside
    with tarfile.open(out / "names.tar", "w", format=tarfile.GNU_FORMAT) as tf:
        for name in ("new\nline.py", "\udcffstart.py", "dir/mid\udce9.py", "tab\tname.py", " .py"):
            _tar_add(tf, name, _code(7))
    cases["names.tar"] = 5

    # empty archives
    with tarfile.open(out / "empty.tar", "w"):
        pass
    with tarfile.open(out / "empty.tar.gz", "w:gz"):
        pass
    with zipfile.ZipFile(out / "empty.zip", "w"):
        pass
    with zipfile.ZipFile(out / "onlydirs.zip", "w") as zf:
        zf.writestr("a/b/", b"")
    for name in ("empty.tar", "empty.tar.gz", "empty.zip", "onlydirs.zip"):
        cases[name] = 0


class _ZeroReader(io.RawIOBase):
    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= n
        return b"0" * n


def _zip_set_size(data: bytes, name: bytes, size: int) -> bytes:
    out = bytearray(data)
    pos = 0
    while (pos := out.find(b"PK\x01\x02", pos)) >= 0:
        n = struct.unpack_from("<H", out, pos + 28)[0]
        if bytes(out[pos + 46 : pos + 46 + n]) == name:
            struct.pack_into("<I", out, pos + 24, size)
            local = struct.unpack_from("<I", out, pos + 42)[0]
            struct.pack_into("<I", out, local + 22, size)
        pos += 4
    return bytes(out)


def _overlapping_zip(entries: int, inflated: int) -> bytes:
    """`entries` central-directory records that all point at one deflated local file (the
    overlapping-files bomb shape): each claims to inflate to `inflated` bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("k0.py", b"0" * inflated)
    data = buf.getvalue()
    cd_at = data.find(b"PK\x01\x02")
    local, cd = data[:cd_at], data[cd_at : data.find(b"PK\x05\x06")]
    n = struct.unpack_from("<H", cd, 28)[0]
    records = []
    for i in range(entries):
        name = f"k{i}.py".encode()
        rec = bytearray(cd[:46]) + name + cd[46 + n :]
        struct.pack_into("<H", rec, 28, len(name))
        records.append(bytes(rec))
    body = b"".join(records)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(body), len(local), 0)
    return local + body + end


# -- directories (one repository each) ----------------------------------------------------------


def directories(out: Path, cases: Cases, big_mb: int) -> None:
    enc = out / "encodings"
    enc.mkdir()
    (enc / "invalid_utf8.py").write_bytes(b"x = '\xff\xfe\xfa broken \xc3('\n" * 20)
    (enc / "utf16_bom.py").write_bytes("# -*- utf16 -*-\nprint('héllo')\n".encode("utf-16"))
    (enc / "utf16_bom_broken.py").write_bytes(b"\xff\xfea\x00b")
    (enc / "utf32.py").write_bytes("x = 'ü'\n".encode("utf-32"))
    (enc / "latin1.py").write_bytes("# café crème déjà\nx = 'où'\n".encode("latin-1") * 5)
    (enc / "nul.c").write_bytes(b"int x;\x00\x00\x00")
    (enc / "README").write_bytes(b"hostile encodings\n")
    cases["encodings"] = 7

    big = out / "big"
    big.mkdir()
    with open(big / "one_line.js", "wb") as f:  # never read: over max_file_bytes by its size
        for chunk in _zeros(big_mb << 20):
            f.write(chunk)
    (big / "million_lines.txt").write_bytes(b"\n" * 1_000_000)  # 1 MB: under the 1 MiB cap
    (big / "many_short.py").write_bytes(b"x\n" * 500_000)
    cases["big"] = 3

    links = out / "links_dir"
    links.mkdir()
    (links / "ok.py").write_bytes(_code(8))
    os.symlink("/etc/passwd", links / "passwd")
    os.symlink("../..", links / "up")
    outside = out.parent / f"{out.name}.outside.txt"
    outside.write_bytes(b"outside the tree\n")
    os.link(outside, links / "hardlink_out.txt")  # a hard link is a regular file here
    os.mkfifo(links / "fifo")
    cases["links_dir"] = 5

    names = out / "names_dir"
    names.mkdir()
    (names / "README").write_bytes(b"odd names\n")
    for raw in (b"\xffstart.py", b"mid\xe9.py", b"new\nline.py", b"\xfe\xff"):
        with open(os.path.join(os.fsencode(names), raw), "wb") as f:
            f.write(_code(9))
    cases["names_dir"] = 5

    (out / "emptydir").mkdir()
    cases["emptydir"] = 0


def brackets(out: Path, cases: Cases, depth: int, only: set[str] | None) -> None:
    """100k (depth) unclosed nested brackets for every language with a bundled grammar, one
    repository per language so that each file is timed on its own."""
    from curate.languages.registry import all_languages

    seen: set[str] = set()
    for lang in all_languages():
        if not lang.grammar or not lang.extensions:
            continue
        if only is not None and lang.name.lower() not in only and lang.grammar not in only:
            continue
        ext = next((e for e in lang.extensions if e not in seen), None)
        if ext is None:
            continue
        seen.add(ext)
        repo = out / f"brackets-{lang.grammar}{ext.replace('.', '_')}"
        repo.mkdir()
        body = b"{" * (depth // 2) + b"(" * (depth // 4) + b"[" * (depth - depth // 2 - depth // 4)
        (repo / f"nested{ext}").write_bytes(body)
        cases[repo.name] = 1


# -- exports ------------------------------------------------------------------------------------


def exports(out: Path, cases: Cases, bomb_mb: int) -> None:
    def row(i: int) -> bytes:
        return json.dumps({"path": f"m{i}.py", "content": _code(i).decode()}).encode()

    lines = [row(0), b"{broken", b"[1, 2]", b'{"path": "no_content.py"}',
             b'{"path": "int.py", "content": 5}', b'{"path": ["x"], "content": "y"}',
             b"\xff\xfe not utf-8", b"", b"   ", row(1), b'{"content": "no path"}', row(2)]  # fmt: skip
    (out / "malformed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    cases["malformed.jsonl"] = sum(1 for line in lines if line.strip())
    deep = [row(i) for i in range(101)]
    deep.insert(50, b"[" * 100_000 + b"]" * 100_000)
    (out / "deep.jsonl").write_bytes(b"\n".join(deep) + b"\n")
    cases["deep.jsonl"] = 102
    # one line that inflates to bomb_mb: must be skipped while streaming, never held
    prefix = b'{"path": "bomb.py", "content": "'

    def bomb():  # type: ignore[no-untyped-def]
        yield row(0) + b"\n" + prefix
        yield from _zeros(bomb_mb << 20)
        yield b'"}\n' + row(1) + b"\n"

    _stream_gzip(out / "bomb.jsonl.gz", bomb)
    cases["bomb.jsonl.gz"] = 3
    whole = gzip.compress(b"\n".join(row(i) for i in range(3000)) + b"\n")
    (out / "truncated.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    cases["truncated.jsonl.gz"] = None
    (out / "empty.jsonl").write_bytes(b"")
    (out / "blank.jsonl").write_bytes(b"\n\n  \n")
    cases["empty.jsonl"] = cases["blank.jsonl"] = 0

    (out / "notparquet.parquet").write_bytes(b"PAR1" + random.Random(1).randbytes(2000) + b"PAR1")
    cases["notparquet.parquet"] = None
    table = pa.Table.from_pylist(
        [{"path": f"f{i}.py", "content": _code(i).decode(), "repo": "pq"} for i in range(1000)]
    )
    path = out / "corrupt_page.parquet"
    pq.write_table(table, path, row_group_size=100)
    meta = pq.ParquetFile(path).metadata.row_group(4)
    col = next(
        meta.column(c)
        for c in range(meta.num_columns)
        if meta.column(c).path_in_schema == "content"
    )
    data = bytearray(path.read_bytes())
    data[col.data_page_offset : col.data_page_offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    cases["corrupt_page.parquet"] = 1000
    pq.write_table(table.slice(0, 0), out / "empty.parquet")
    cases["empty.parquet"] = 0


# -- git ----------------------------------------------------------------------------------------


def git_cases(out: Path, cases: Cases) -> None:
    (out / "corrupt.bundle").write_bytes(
        b"# v2 git bundle\n" + b"deadbeef" * 5 + b" HEAD\n\nPACKgarbage"
    )
    cases["corrupt.bundle"] = None
    if shutil.which("git") is None:
        return
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "HOME": str(out.parent), "GIT_CONFIG_NOSYSTEM": "1",
           "PATH": os.environ.get("PATH", "/usr/bin:/bin")}  # fmt: skip
    work = out.parent / f"{out.name}.gitwork"
    work.mkdir()

    def git(*args: str, cwd: Path = work) -> None:
        subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (work / "a.py").write_bytes(_code(1))
    (work / "b.py").write_bytes(_code(2))
    git("add", ".")
    git("commit", "-qm", "x")
    bare = out / "corrupt_git.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=out.parent)
    objects = sorted(
        p for p in (bare / "objects").rglob("*") if p.is_file() and len(p.parent.name) == 2
    )
    for obj in objects[:2]:  # two loose objects overwritten with garbage
        obj.chmod(0o644)
        obj.write_bytes(b"not a zlib stream")
    cases["corrupt_git.git"] = None
    shutil.rmtree(work)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("out", type=Path)
    ap.add_argument("--bomb-mb", type=int, default=2048, help="inflated size of the bombs")
    ap.add_argument("--big-mb", type=int, default=100, help="size of the single-line file")
    ap.add_argument("--bracket-depth", type=int, default=100_000)
    ap.add_argument("--languages", default=None, help="comma list (default: every grammar)")
    args = ap.parse_args()
    write_corpus(args.out, args.bomb_mb, args.big_mb, args.bracket_depth, args.languages)


def write_corpus(
    out: Path, bomb_mb: int, big_mb: int, bracket_depth: int, languages: str | None
) -> Cases:
    out.mkdir(parents=True, exist_ok=False)
    cases: Cases = {}
    only = {x.strip().lower() for x in languages.split(",")} if languages else None
    archives(out, cases, bomb_mb)
    directories(out, cases, big_mb)
    brackets(out, cases, bracket_depth, only)
    exports(out, cases, bomb_mb)
    git_cases(out, cases)
    (out.parent / f"{out.name}.cases.json").write_text(json.dumps(cases, indent=1, sort_keys=True))
    return cases


if __name__ == "__main__":
    main()
