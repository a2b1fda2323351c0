"""Token counts: a vectorized bytes-based estimate, or exact counts with a local tokenizer.json."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.engine import worker_cache
from curate.errors import ConfigError
from curate.mix.config import TokensConfig


class TokenCounter:
    """Counts tokens of an Arrow string array. ``exact`` uses the ``tokenizers`` library."""

    def __init__(self, cfg: TokensConfig):
        self.cfg = cfg
        self._tokenizer = None
        if cfg.tokenizer is not None:
            path = Path(cfg.tokenizer)
            if not path.is_file():
                raise ConfigError(f"mixture.tokens.tokenizer: {path}: file not found")
            self._tokenizer = worker_cache.get_or_create(
                ("tokenizer", str(path)), lambda: _load(path)
            )

    @property
    def exact(self) -> bool:
        return self._tokenizer is not None

    def describe(self) -> str:
        if self.cfg.tokenizer is None:
            return f"estimate: utf-8 bytes / {self.cfg.bytes_per_token}"
        digest = hashlib.sha256(Path(self.cfg.tokenizer).read_bytes()).hexdigest()[:16]
        return f"tokenizer: {Path(self.cfg.tokenizer).name} sha256:{digest}"

    def count(self, texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Token count per row (int64); nulls count 0."""
        if self._tokenizer is None:
            nbytes = pc.fill_null(pc.binary_length(texts), 0).to_numpy(zero_copy_only=False)
            return np.ceil(nbytes / self.cfg.bytes_per_token).astype(np.int64)
        values = [t or "" for t in texts.to_pylist()]
        encodings = self._tokenizer.encode_batch_fast(values, add_special_tokens=False)
        return np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(values))

    def count_one(self, text: str) -> int:
        return int(self.count(pa.array([text], pa.large_string()))[0])


def _load(path: Path):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_file(str(path))
    except Exception as err:  # the library raises a bare Exception on a malformed file
        raise ConfigError(
            f"mixture.tokens.tokenizer: {path}: not a tokenizer.json ({err})"
        ) from None
