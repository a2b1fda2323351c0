"""One reader per source kind; each yields RawFile | SkipRecord and never raises for bad data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from curate.ingest.records import RawFile, SkipRecord


def nonempty(
    items: Iterable[RawFile | SkipRecord], uri: str, repo: str | None, detail: str
) -> Iterator[RawFile | SkipRecord]:
    """`items`, or one `empty_source` row (files=0) when the source yields nothing at all, so
    an empty archive or a zero-row export never disappears from the run silently."""
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        yield SkipRecord(uri, repo, None, "empty_source", detail, 0, 0)
