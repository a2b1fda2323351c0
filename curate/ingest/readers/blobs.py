"""Content-addressed inputs: fetch file contents by blob id from a blob store (the way The Stack
v2 is distributed: an index table plus ``s3://bucket/content/{blob_id}``, gzip'd objects).

``BlobFetcher.fetch`` takes many blob ids at once and reads them with a bounded thread pool
(fsspec ``cat``), retrying transient errors with exponential backoff. Every id gets a result:
the bytes (gunzipped when the object starts with the gzip magic), or a reason —
``blob_missing`` (the store has no such object; not retried) or ``blob_fetch_failed`` (still
failing after the retries). The export reader uses it for index exports without a content
column (``curate.ingest.readers.export``, docs/ingest.md).
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_GZIP_MAGIC = b"\x1f\x8b"


class BlobStoreConfig(BaseModel):
    """``[ingest.export] blob_url`` and how the store is read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    blob_url: str = Field(
        description='URL template with "{blob_id}", e.g. s3://b/content/{blob_id}'
    )
    storage_options: dict[str, Any] = Field(default_factory=dict)
    concurrency: int = Field(default=16, gt=0, le=256)
    retries: int = Field(default=3, ge=0)
    backoff_s: float = Field(default=0.2, ge=0)

    @field_validator("blob_url")
    @classmethod
    def _has_placeholder(cls, value: str) -> str:
        if "{blob_id}" not in value:
            raise ValueError('blob_url must contain "{blob_id}"')
        return value


@dataclass(frozen=True)
class BlobResult:
    data: bytes | None
    reason: str | None = None
    """None on success, else ``blob_missing`` or ``blob_fetch_failed``."""
    detail: str | None = None


class BlobFetcher:
    def __init__(self, config: BlobStoreConfig, fs: Any | None = None):
        import fsspec

        self.config = config
        protocol = config.blob_url.split("://", 1)[0] if "://" in config.blob_url else "file"
        self.fs = fs or fsspec.filesystem(protocol, **config.storage_options)
        self.attempts = 0
        self._lock = threading.Lock()
        """Reads issued, retries included (tests check the retry bound with it)."""

    def url(self, blob_id: str) -> str:
        return self.config.blob_url.format(blob_id=blob_id)

    def fetch(self, blob_ids: Iterable[str]) -> dict[str, BlobResult]:
        """One result per distinct id; at most ``concurrency`` reads in flight."""
        ids = list(dict.fromkeys(blob_ids))
        if not ids:
            return {}
        workers = min(self.config.concurrency, len(ids))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="blob") as pool:
            return dict(zip(ids, pool.map(self._one, ids), strict=True))

    def _one(self, blob_id: str) -> BlobResult:
        url = self.url(blob_id)
        error: Exception | None = None
        for attempt in range(self.config.retries + 1):
            if attempt:
                time.sleep(self.config.backoff_s * 2 ** (attempt - 1))
            with self._lock:
                self.attempts += 1
            try:
                return _decoded(self.fs.cat_file(url))
            except FileNotFoundError:
                return BlobResult(None, "blob_missing", url)
            except (gzip.BadGzipFile, zlib.error, EOFError) as err:  # corrupt object: no retry
                return BlobResult(None, "blob_fetch_failed", f"{url}: {type(err).__name__}: {err}")
            except Exception as err:  # network / server errors: retried
                error = err
        detail = f"{url}: {type(error).__name__}: {error} (after {self.config.retries} retries)"
        return BlobResult(None, "blob_fetch_failed", detail[:500])


def _decoded(data: bytes) -> BlobResult:
    if data[:2] == _GZIP_MAGIC:
        data = gzip.decompress(data)
    return BlobResult(data)
