"""Files named on the command line, read the way ingest reads them, for the commands that work
on loose inputs (`curate secrets`, `curate decontam`): one ``(repo, path, text)`` per readable
file, ``path`` relative to its repository root, so every command prints the same two fields.

A plain file that is not an archive or export is its own input: ``repo`` is None and ``path`` is
the path as given. Directories, archives, git repositories and exports go through
``curate.ingest`` (binary, undecodable and oversized files are skipped with a logged reason).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from curate.errors import UserError

log = logging.getLogger("curate.cli")


def iter_texts(
    paths: list[str], max_file_bytes: int, *, keep_all: bool = True
) -> Iterator[tuple[str | None, str, str]]:
    """``(repo, path, text)`` for every readable file under ``paths``. ``keep_all``: also
    lock files and vendored folders (which a pipeline's ingest would skip)."""
    from curate.ingest import IngestConfig, RawFile, decode_bytes, discover_sources, read_source
    from curate.ingest.discover import kind_for_name

    cfg = IngestConfig(
        max_file_bytes=max_file_bytes, skip_lock_files=not keep_all, skip_vendored=not keep_all
    )
    for given in paths:
        p = Path(given)
        if p.is_file() and kind_for_name(p.name) is None:
            if p.stat().st_size > max_file_bytes:
                log.warning("skipped %s: larger than %d bytes", given, max_file_bytes)
                continue
            decoded = decode_bytes(p.read_bytes())
            text = getattr(decoded, "text", None)
            if text is None:
                log.warning("skipped %s: %s", given, getattr(decoded, "reason", "undecodable"))
                continue
            yield None, given, text
            continue
        if not p.exists() and "://" not in given:
            raise UserError(f"input path not found: {given}")
        specs, skips = discover_sources([given], cfg)
        for spec in specs:
            for item in read_source(spec, cfg):
                if isinstance(item, RawFile):
                    yield item.repo, item.path, item.text
                else:
                    skips.append(item)
        for skip in skips:
            # A whole input that could not be read is worth a warning; single files are not.
            level = logging.INFO if skip.path else logging.WARNING
            where = f"{skip.repo}/{skip.path}" if skip.path else skip.source_uri
            detail = f" ({skip.detail})" if skip.detail else ""
            log.log(level, "skipped %s: %s%s", where, skip.reason, detail)


def display_name(repo: str | None, path: str) -> str:
    """``repo:path`` (the form `curate explain` accepts too), or the path of a loose file."""
    return f"{repo}:{path}" if repo else path
