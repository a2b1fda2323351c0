"""Read one repository from a tar (any compression, streamed) or zip archive."""

from __future__ import annotations

import re
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from typing import Any

from curate.ingest.config import IngestConfig
from curate.ingest.emit import Emitter
from curate.ingest.fsio import (
    STREAM_ERRORS,
    basename,
    display_uri,
    open_decompressed,
    url_to_fs,
)
from curate.ingest.paths import clean_name, is_plain, normalize_member
from curate.ingest.readers import nonempty
from curate.ingest.records import RawFile, SkipRecord
from curate.ingest.streams import ForwardReader
from curate.ingest.tarheaders import FastTarInfo

ARCHIVE_SUFFIXES = (
    ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.zstd",
    ".tgz", ".tbz2", ".tbz", ".txz", ".tzst", ".tar", ".zip",
)  # fmt: skip
_SHA = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")
_VERSION = re.compile(r"^v?\d+(\.\d+)*([.+-]?[A-Za-z0-9]+)*$")
_BRANCHES = ("main", "master", "develop", "dev", "trunk", "stable", "HEAD")
WRAPPER_FOLDERS = ("package",)
"""Top folders a packaging tool uses whatever the archive's name (``npm pack``: ``package/``);
stripped, with repo and ref taken from the archive name (``lodash-4.17.21.tgz``)."""


def archive_stem(path: str) -> str:
    name = basename(path)
    lower = name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def split_codeload(folder: str) -> tuple[str, str | None]:
    """GitHub codeload top folders are ``<name>-<ref>``: a commit sha, a version tag or a
    common branch name is split off; an ambiguous folder is kept whole as the repo name."""
    for sep in range(len(folder) - 1, 0, -1):
        if folder[sep] != "-":
            continue
        name, ref = folder[:sep], folder[sep + 1 :]
        if _SHA.match(ref) or ref in _BRANCHES:
            return name, ref
    head, _, tail = folder.partition("-")
    while tail:  # versions may hold dashes (1.0-rc1): take the earliest version-like split
        if (_VERSION.match(tail) and tail[0].isdigit()) or (
            tail[:1] == "v" and tail[1:2].isdigit()
        ):
            return head, tail
        more, _, tail = tail.partition("-")
        head = f"{head}-{more}"
    return folder, None


def _strip_top(top: str | None, stem: str, git_comment: str | None) -> bool:
    """Strip a single top folder when it is the archive's own name (``name.tar.gz`` holding
    ``name/``), a packaging wrapper (``WRAPPER_FOLDERS``) or a git archive (codeload) wrote
    the archive."""
    if not top:
        return False
    return (
        bool(git_comment)
        or top in WRAPPER_FOLDERS
        or top == stem
        or stem.startswith(top)
        or top.startswith(stem)
    )


def _git_commit(comment: str | bytes | None) -> str | None:
    if isinstance(comment, bytes):
        comment = comment.decode("ascii", "replace")
    comment = (comment or "").strip()
    return comment if _SHA.match(comment) else None


def _identity(
    cfg: IngestConfig, uri: str, spec: Any, stem: str, top: str | None, commit: str | None
) -> tuple[Emitter, str | None]:
    strip = _strip_top(top, stem, commit)
    if strip and top:
        repo, ref = split_codeload(stem if top in WRAPPER_FOLDERS else top)
    else:
        repo, ref = stem, None
    extra = {"commit": commit} if commit else {}
    out = Emitter(cfg, uri, spec.repo or repo, ref or commit, extra)
    return out, (top if strip else None)


def _relative(name: str, top: str | None) -> str:
    """`name` without the stripped top folder, still as given: `Emitter.admit` checks and
    cleans it once (a cleaned name would turn a non-UTF-8 first byte into a ``\\`` escape)."""
    if is_plain(name):  # nearly every member: its parts are its "/"-separated pieces
        head, sep, rest = name.partition("/")
        return rest if sep and head == top else name
    if normalize_member(name)[1] is not None:
        return name
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if top is not None and len(parts) > 1 and clean_name(parts[0]) == top:
        parts = parts[1:]
    return "/".join(parts)


def _nonempty_whole(
    spec: Any, items: Iterator[RawFile | SkipRecord], uri: str, stem: str
) -> Iterator[RawFile | SkipRecord]:
    """An empty whole archive gets its `empty_source` row; a member range of a split archive
    may hold only directories and is no empty source."""
    if spec.part is not None:
        return items
    return nonempty(items, uri, spec.repo or stem, "no files")


# -- member ranges (splitting one large archive into several sources) ---------------------------


def member_sizes(fs: Any, path: str, kind: str) -> list[int]:
    """Uncompressed size of every member in archive order (directories and links count 0).
    A zip reads its central directory; a tar streams its headers (no member data is kept)."""
    with fs.open(path, "rb") as raw:
        if kind == "zip":
            return [0 if i.is_dir() else i.file_size for i in zipfile.ZipFile(raw).infolist()]
        return [m.size if m.isreg() else 0 for m in _open_tar(raw)]


def member_ranges(sizes: list[int], parts: int) -> list[tuple[int, int]]:
    """Consecutive member ranges [a, b) covering every member once, of roughly equal bytes."""
    total, n = sum(sizes), len(sizes)
    parts = max(1, min(parts, n))
    if parts == 1 or total == 0:
        return [(0, n)]
    ranges: list[tuple[int, int]] = []
    start, acc, cut = 0, 0, 1
    for i, size in enumerate(sizes):
        acc += size
        if cut < parts and acc >= total * cut / parts and i + 1 < n:
            ranges.append((start, i + 1))
            start, cut = i + 1, cut + 1
    ranges.append((start, n))
    return ranges


# -- tar ----------------------------------------------------------------------------------------


def read_tar(spec: Any, cfg: IngestConfig) -> Iterator[RawFile | SkipRecord]:
    fs, path = url_to_fs(spec.uri)
    uri = display_uri(fs, path)
    stem = archive_stem(path)
    try:
        raw = fs.open(path, "rb")
    except Exception as err:
        yield SkipRecord(uri, spec.repo or stem, None, "unreadable", str(err), spec.size_bytes, 0)
        return
    with raw:
        items = _read_tar_stream(spec, cfg, uri, stem, raw)
        yield from _nonempty_whole(spec, items, uri, stem)


def _read_tar_stream(
    spec: Any, cfg: IngestConfig, uri: str, stem: str, raw: Any
) -> Iterator[RawFile | SkipRecord]:
    out: Emitter | None = None
    try:
        tf = _open_tar(raw)  # closed with `raw` by read_tar
        first = tf.next()
    except (tarfile.TarError, *STREAM_ERRORS) as err:
        yield SkipRecord(
            uri, spec.repo or stem, None, "corrupt_archive", _err(err), spec.size_bytes, 0
        )
        return
    commit = _git_commit(tf.pax_headers.get("comment"))
    top = None
    if first is not None:
        # The top folder comes from the first member: its directory entry, or (for archives
        # written without directory entries) the first path component of its first file.
        first_path, problem = normalize_member(first.name)
        if problem is None and first_path:
            if first.isdir() and "/" not in first_path:
                top = first_path
            elif not first.isdir() and "/" in first_path:
                top = first_path.split("/", 1)[0]
    out, top = _identity(cfg, uri, spec, stem, top, commit)
    member, index = first, 0
    start, end = spec.part if spec.part is not None else (0, None)
    try:
        while member is not None and (end is None or index < end):
            if index >= start:
                yield from _tar_member(tf, member, out, top)
            tf.members.clear()  # read forward only: keep no TarInfo of earlier members
            member, index = tf.next(), index + 1
        if member is None and _truncated(tf):
            yield out.skip(None, "corrupt_archive", "truncated: no end-of-archive marker", None, 0)
    except (tarfile.TarError, *STREAM_ERRORS) as err:
        if index >= start:  # a failure before this part's range is the earlier part's record
            yield out.skip(None, "corrupt_archive", _err(err), None, 0)
    yield from out.flush()


def _open_tar(raw: Any) -> tarfile.TarFile:
    """A tar reader of `raw` (any compression) that only reads forward, so memory stays flat.
    Not tarfile's stream mode ("r|"): its buffer is re-joined on every header read, while
    `ForwardReader` slices one buffer (module doc of curate.ingest.streams); members are read
    in order, so `TarFile` never seeks back."""
    return tarfile.TarFile(
        fileobj=ForwardReader(open_decompressed(raw)), mode="r", tarinfo=FastTarInfo
    )


def _truncated(tf: tarfile.TarFile) -> bool:
    """tarfile ends silently on a short header after the first member; a clean archive ends
    with a full zero block, so the stream has moved a whole block past the last offset."""
    try:
        return tf.fileobj.tell() < tf.offset + tarfile.BLOCKSIZE  # type: ignore[union-attr]
    except Exception:
        return False


def _tar_member(
    tf: tarfile.TarFile, m: tarfile.TarInfo, out: Emitter, top: str | None
) -> Iterator[RawFile | SkipRecord]:
    if m.isdir():
        return
    rel = _relative(m.name, top)
    if m.issym() or m.islnk():
        reason = "symlink" if m.issym() else "hardlink"
        yield out.skip(rel, reason, f"-> {m.linkname}", None)
        return
    if not m.isreg():
        yield out.skip(rel, "special_file", f"tar type {m.type!r}", None)
        return
    path, records = out.admit(rel, m.size)
    yield from records
    if path is None:
        return
    try:  # m.size was checked by admit: at most max_file_bytes are read
        data = _member_bytes(tf, m)
    except (tarfile.TarError, *STREAM_ERRORS) as err:
        yield out.skip(path, "corrupt_archive", f"member truncated: {_err(err)}", m.size)
        raise
    yield out.file(path, data)


def _member_bytes(tf: tarfile.TarFile, m: tarfile.TarInfo) -> bytes:
    """``tf.extractfile(m).read()`` of a regular member, read straight from the tar's forward
    stream: the same bytes and the same ``ReadError`` on a short member, without the two file
    objects ``extractfile`` builds per member. Sparse members take ``extractfile``."""
    if m.sparse is not None:
        f = tf.extractfile(m)
        return f.read() if f is not None else b""
    tf.fileobj.seek(m.offset_data)  # type: ignore[union-attr]
    data = tf.fileobj.read(m.size)  # type: ignore[union-attr]
    if len(data) != m.size:
        raise tarfile.ReadError("unexpected end of data")
    return data


def _err(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}"


# -- zip ----------------------------------------------------------------------------------------


def read_zip(spec: Any, cfg: IngestConfig) -> Iterator[RawFile | SkipRecord]:
    fs, path = url_to_fs(spec.uri)
    uri = display_uri(fs, path)
    stem = archive_stem(path)
    try:
        raw = fs.open(path, "rb")
    except Exception as err:
        yield SkipRecord(uri, spec.repo or stem, None, "unreadable", str(err), spec.size_bytes, 0)
        return
    with raw:
        items = _read_zip(spec, cfg, uri, stem, raw)
        yield from _nonempty_whole(spec, items, uri, stem)


def _read_zip(
    spec: Any, cfg: IngestConfig, uri: str, stem: str, raw: Any
) -> Iterator[RawFile | SkipRecord]:
    try:
        zf = zipfile.ZipFile(raw)
        infos = zf.infolist()
    except (zipfile.BadZipFile, *STREAM_ERRORS) as err:
        yield SkipRecord(
            uri, spec.repo or stem, None, "corrupt_archive", _err(err), spec.size_bytes, 0
        )
        return
    tops = {normalize_member(i.filename)[0].split("/", 1)[0] for i in infos}
    single = len(tops) == 1 and all("/" in i.filename.strip("/") or i.is_dir() for i in infos)
    top = next(iter(tops)) if single else None
    out, top = _identity(cfg, uri, spec, stem, top, _git_commit(zf.comment))
    start, end = spec.part if spec.part is not None else (0, len(infos))
    for info in infos[start:end]:
        yield from _zip_member(zf, info, out, top)
    yield from out.flush()


def _zip_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, out: Emitter, top: str | None
) -> Iterator[RawFile | SkipRecord]:
    if info.is_dir():
        return
    rel = _relative(info.filename.replace("\\", "/"), top)
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_IFMT(mode):  # unix mode with a file type
        if stat.S_ISLNK(mode):
            yield out.skip(rel, "symlink", None, info.file_size)
            return
        if not stat.S_ISREG(mode):
            yield out.skip(rel, "special_file", f"mode {oct(mode)}", info.file_size)
            return
    path, records = out.admit(rel, info.file_size)
    yield from records
    if path is None:
        return
    if info.flag_bits & 0x1:
        yield out.skip(path, "encrypted", None, info.file_size)
        return
    try:
        with zf.open(info) as f:
            data = f.read(out.cfg.max_file_bytes + 1)
    except (zipfile.BadZipFile, NotImplementedError, *STREAM_ERRORS) as err:
        yield out.skip(path, "corrupt_archive", f"member unreadable: {_err(err)}", info.file_size)
        return
    yield out.file(path, data)
