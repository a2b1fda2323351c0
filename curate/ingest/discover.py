"""Turn input paths into SourceSpecs (one repository or export part each).

Rules (also in docs/ingest.md):
- a file: its kind follows from its suffix (archives, ``.bundle``, JSONL, Parquet); a
  ``.bundle`` or git-bundle signature file is a git bundle; anything else is skipped as
  ``unsupported_source``.
- a directory that is a bare git repository (``HEAD``, ``objects/``, ``refs/``): kind ``git``.
- a directory that is one checkout: it has a ``.git`` entry, or a regular file at its top
  level that is not itself a source file (hidden files do not count): kind ``directory``.
- any other directory is a collection: each sub-folder is one repository (a bare repository
  or a checkout, never split further) and each source file in it is read by its kind.
``directory_layout = "checkout" | "collection"`` overrides the auto rule for input directories.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from curate.errors import UserError
from curate.ingest.config import IngestConfig
from curate.ingest.expected import expected_bytes
from curate.ingest.fsio import basename, display_uri, is_local, url_to_fs
from curate.ingest.identity import assign_identities
from curate.ingest.readers.archive import ARCHIVE_SUFFIXES
from curate.ingest.readers.export import EXPORT_SUFFIXES
from curate.ingest.records import SkipRecord, SourceSpec

_SUFFIX_KINDS: dict[str, str] = {
    **{s: ("zip" if s == ".zip" else "tar") for s in ARCHIVE_SUFFIXES},
    **EXPORT_SUFFIXES,
    ".bundle": "git_bundle",
}
_BUNDLE_SIGNATURES = (b"# v2 git bundle", b"# v3 git bundle")


def kind_for_name(name: str) -> str | None:
    lower = name.lower()
    for suffix in sorted(_SUFFIX_KINDS, key=len, reverse=True):
        if lower.endswith(suffix):
            return _SUFFIX_KINDS[suffix]
    return None


def discover_sources(
    paths: Sequence[str], cfg: IngestConfig
) -> tuple[list[SourceSpec], list[SkipRecord]]:
    """Sources and discovery-time skips for the given paths or URLs. Raises UserError when an
    input path does not exist."""
    specs: list[SourceSpec] = []
    skips: list[SkipRecord] = []
    roots: list[str] = []
    for given in paths:
        fs, path = url_to_fs(given)
        roots.append(display_uri(fs, path))
        try:
            info = fs.info(path)
        except FileNotFoundError:
            raise UserError(f"input path not found: {given}") from None
        except OSError as err:
            raise UserError(f"cannot read input path {given}: {err}") from None
        found = len(specs) + len(skips)
        if info.get("type") == "directory":
            _discover_dir(fs, path, cfg, specs, skips)
        else:
            _discover_file(fs, info, cfg, specs, skips)
        if len(specs) + len(skips) == found:  # an empty folder: say so rather than nothing
            uri = display_uri(fs, path)
            skips.append(SkipRecord(uri, None, None, "empty_source", "no files", 0, 0))
    return assign_identities(specs, roots), skips


def _discover_dir(
    fs: Any, path: str, cfg: IngestConfig, specs: list[SourceSpec], skips: list[SkipRecord]
) -> None:
    try:
        entries = fs.ls(path, detail=True)
    except OSError as err:
        raise UserError(f"cannot list input directory {path}: {err}") from None
    if _is_bare_git(entries):
        size = _tree_size(fs, path)
        expected = expected_bytes(fs, path, "git", size)
        specs.append(SourceSpec(display_uri(fs, path), "git", size, expected_bytes=expected))
        return
    layout = cfg.directory_layout
    if layout == "checkout" or (layout == "auto" and _is_checkout(entries, cfg)):
        specs.append(
            SourceSpec(display_uri(fs, path), "directory", _tree_size(fs, path), basename(path))
        )
        return
    for entry in sorted(entries, key=lambda e: e["name"]):
        name = basename(entry["name"])
        uri = display_uri(fs, entry["name"])
        if entry.get("islink"):
            skips.append(
                SkipRecord(uri, None, None, "symlink", f"-> {entry.get('destination', '?')}", None)
            )
        elif entry.get("type") == "directory":
            try:
                sub = fs.ls(entry["name"], detail=True)
            except OSError as err:
                skips.append(
                    SkipRecord(uri, name, None, "unreadable", f"cannot list: {err}", None, 0)
                )
                continue
            kind = "git" if _is_bare_git(sub) else "directory"
            repo = name.removesuffix(".git") if kind == "git" else name
            size = _tree_size(fs, entry["name"])
            expected = expected_bytes(fs, entry["name"], kind, size)
            specs.append(SourceSpec(uri, kind, size, repo, expected_bytes=expected))
        elif entry.get("type") == "file":
            _discover_file(fs, entry, cfg, specs, skips)
        else:
            skips.append(
                SkipRecord(uri, None, None, "special_file", f"type {entry.get('type')}", None)
            )


def _discover_file(
    fs: Any,
    info: dict[str, Any],
    cfg: IngestConfig,
    specs: list[SourceSpec],
    skips: list[SkipRecord],
) -> None:
    path = info["name"]
    uri = display_uri(fs, path)
    size = int(info.get("size") or 0)
    kind = kind_for_name(basename(path)) or _sniff_bundle(fs, path)
    if kind is None:
        skips.append(SkipRecord(uri, None, None, "unsupported_source", "unknown file type", size))
    elif kind in ("tar", "zip") and cfg.split_archives and size > cfg.export_part_bytes:
        specs.extend(_archive_parts(fs, path, uri, size, kind, cfg))
    elif kind == "parquet":
        specs.extend(_parquet_parts(fs, path, uri, size, cfg))
    elif kind == "jsonl" and size > cfg.export_part_bytes and _is_plain(fs, path):
        step = cfg.export_part_bytes
        specs.extend(
            SourceSpec(uri, kind, min(step, size - a), None, (a, min(a + step, size)))
            for a in range(0, size, step)
        )
    else:
        specs.append(
            SourceSpec(uri, kind, size, expected_bytes=expected_bytes(fs, path, kind, size))
        )


def _archive_parts(
    fs: Any, path: str, uri: str, size: int, kind: str, cfg: IngestConfig
) -> list[SourceSpec]:
    """A large archive as member ranges of about `export_part_bytes` (compressed) each, so one
    big dump is several workers' job. Each part's size is its share of the archive's bytes,
    its expected bytes those of its members."""
    from curate.ingest.readers.archive import member_ranges, member_sizes

    try:
        sizes = member_sizes(fs, path, kind)
    except Exception:  # the reader records it as corrupt_archive / unreadable
        return [SourceSpec(uri, kind, size, expected_bytes=expected_bytes(fs, path, kind, size))]
    ranges = member_ranges(sizes, -(-size // cfg.export_part_bytes))
    if len(ranges) == 1:
        return [SourceSpec(uri, kind, size, expected_bytes=sum(sizes))]
    total = sum(sizes) or 1
    return [
        SourceSpec(
            uri,
            kind,
            max(1, size * sum(sizes[a:b]) // total),
            None,
            (a, b),
            expected_bytes=sum(sizes[a:b]),
        )
        for a, b in ranges
    ]


def _sniff_bundle(fs: Any, path: str) -> str | None:
    try:
        with fs.open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    return "git_bundle" if head.startswith(_BUNDLE_SIGNATURES) else None


def _is_plain(fs: Any, path: str) -> bool:
    from curate.ingest.fsio import compression_of

    try:
        with fs.open(path, "rb") as f:
            return compression_of(f.read(6)) is None
    except OSError:  # the reader will record it as unreadable
        return False


def _parquet_parts(fs: Any, path: str, uri: str, size: int, cfg: IngestConfig) -> list[SourceSpec]:
    """Consecutive row groups packed up to `export_part_bytes` (compressed) per part; each
    part's expected bytes are its row groups' uncompressed sizes."""
    import pyarrow.parquet as pq

    try:
        with fs.open(path, "rb") as f:
            meta = pq.ParquetFile(f).metadata
    except Exception:  # the reader records it as corrupt_archive
        return [SourceSpec(uri, "parquet", size)]
    sizes = [
        sum(meta.row_group(g).column(c).total_compressed_size for c in range(meta.num_columns))
        for g in range(meta.num_row_groups)
    ]
    raw = [meta.row_group(g).total_byte_size for g in range(meta.num_row_groups)]
    if sum(sizes) <= cfg.export_part_bytes:
        return [SourceSpec(uri, "parquet", size, expected_bytes=sum(raw))]
    parts: list[SourceSpec] = []
    start, acc = 0, 0
    for g, nbytes in enumerate(sizes):
        if acc and acc + nbytes > cfg.export_part_bytes:
            expected = sum(raw[start:g])
            parts.append(SourceSpec(uri, "parquet", acc, None, (start, g), expected_bytes=expected))
            start, acc = g, 0
        acc += nbytes
    expected = sum(raw[start:])
    parts.append(
        SourceSpec(uri, "parquet", acc, None, (start, len(sizes)), expected_bytes=expected)
    )
    return parts


def _is_bare_git(entries: list[dict[str, Any]]) -> bool:
    names = {basename(e["name"]): e.get("type") for e in entries}
    return (
        names.get("HEAD") == "file"
        and names.get("objects") == "directory"
        and names.get("refs") == "directory"
    )


def _is_checkout(entries: list[dict[str, Any]], cfg: IngestConfig) -> bool:
    for e in entries:
        name = basename(e["name"])
        if name in cfg.vcs_dirs:
            return True
        regular = e.get("type") == "file" and not e.get("islink")
        if regular and not name.startswith(".") and kind_for_name(name) is None:
            return True
    return False


def _tree_size(fs: Any, path: str) -> int:
    """Total bytes under a directory (for shard planning); local trees use os.scandir."""
    if is_local(fs):
        import os

        total, stack = 0, [path]
        while stack:
            try:
                with os.scandir(stack.pop()) as it:
                    for e in it:
                        if e.is_dir(follow_symlinks=False):
                            stack.append(e.path)
                        elif e.is_file(follow_symlinks=False):
                            total += e.stat(follow_symlinks=False).st_size
            except OSError:
                continue
        return total
    return int(sum(int(i.get("size") or 0) for i in fs.find(path, detail=True).values()))


__all__ = ["discover_sources", "kind_for_name"]
