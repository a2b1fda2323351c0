"""The one path every file takes from (name, size, bytes) to a RawFile or a SkipRecord."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from curate.ingest.config import IngestConfig
from curate.ingest.decode import Decoded, decode_bytes
from curate.ingest.hashing import git_blob_sha
from curate.ingest.paths import PathPolicy, normalize_member
from curate.ingest.records import RawFile, SkipRecord

_PRUNED = ("vcs_metadata", "vendored")


class Emitter:
    """Per-source helper. Readers call `admit` with a member name and size before reading,
    then `file` with the bytes; pruned directories are aggregated into one row each."""

    def __init__(
        self,
        cfg: IngestConfig,
        source_uri: str,
        repo: str,
        ref: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ):
        self.cfg = cfg
        self.policy = PathPolicy(cfg)
        self.source_uri = source_uri
        self.repo = repo
        self.ref = ref
        self.extra: Mapping[str, Any] = extra if extra is not None else {}
        self._pruned: dict[tuple[str, str, str], list[int]] = {}

    def skip(
        self,
        path: str | None,
        reason: str,
        detail: str | None = None,
        size: int | None = None,
        files: int = 1,
        repo: str | None = None,
    ) -> SkipRecord:
        return SkipRecord(self.source_uri, repo or self.repo, path, reason, detail, size, files)

    def admit(
        self, name: str, size: int | None, repo: str | None = None
    ) -> tuple[str | None, list[SkipRecord]]:
        """(path to read, records to emit). The path is None when the file must not be read."""
        path, problem = normalize_member(name)
        if problem is not None:
            return None, [self.skip(path, "path_traversal", problem, size, repo=repo)]
        if not path:
            return None, [self.skip(name, "path_traversal", "empty path", size, repo=repo)]
        hit = self.policy.classify(path)
        if hit is not None:
            reason, root = hit
            if reason in _PRUNED:
                return None, self.prune(reason, root, 1, size or 0, repo=repo)
            return None, [self.skip(path, reason, None, size, repo=repo)]
        if size is not None and size > self.cfg.max_file_bytes:
            return None, [self.too_large(path, size, repo=repo)]
        return path, []

    def too_large(self, path: str, size: int, repo: str | None = None) -> SkipRecord:
        return self.skip(
            path,
            "too_large",
            f"{size} bytes > max_file_bytes {self.cfg.max_file_bytes}",
            size,
            repo=repo,
        )

    def prune(
        self, reason: str, root: str, files: int, nbytes: int, repo: str | None = None
    ) -> list[SkipRecord]:
        """Count files under a pruned directory; flushes the oldest rows past the limit so
        memory stays bounded (a directory may then appear in more than one row)."""
        key = (reason, repo or self.repo, root)
        entry = self._pruned.get(key)
        if entry is None:
            self._pruned[key] = [files, nbytes]
        else:
            entry[0] += files
            entry[1] += nbytes
        if len(self._pruned) <= self.cfg.pruned_flush_limit:
            return []
        oldest = next(iter(self._pruned))
        return [self._pruned_record(oldest, self._pruned.pop(oldest))]

    def flush(self) -> Iterator[SkipRecord]:
        """Emit the pending pruned-directory rows (call once at the end of a source)."""
        pending, self._pruned = self._pruned, {}
        for key, counts in pending.items():
            yield self._pruned_record(key, counts)

    def _pruned_record(self, key: tuple[str, str, str], counts: list[int]) -> SkipRecord:
        reason, repo, root = key
        files, nbytes = counts
        return SkipRecord(
            self.source_uri, repo, root, reason, f"{files} files, {nbytes} bytes", nbytes, files
        )

    def file(
        self,
        path: str,
        data: bytes,
        *,
        content_sha: str | None = None,
        repo: str | None = None,
        ref: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> RawFile | SkipRecord:
        size = len(data)
        if size > self.cfg.max_file_bytes:
            return self.too_large(path, size, repo=repo)
        decoded = decode_bytes(data, self.cfg.binary_sniff_bytes, self.cfg.charset_fallback)
        if not isinstance(decoded, Decoded):
            return self.skip(path, decoded.reason, decoded.detail, size, repo=repo)
        return RawFile(
            repo=repo or self.repo,
            ref=ref if ref is not None else self.ref,
            path=path,
            utf8=decoded.utf8,
            encoding=decoded.encoding,
            size_bytes=size,
            content_sha=content_sha or git_blob_sha(data),
            source_uri=self.source_uri,
            extra=self.extra if extra is None else extra,
        )
