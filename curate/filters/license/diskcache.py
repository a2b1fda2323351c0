"""Moved: the disk cache is ``curate.engine.diskcache`` (one mechanism for every cached build).
This name stays so older imports keep working."""

from curate.engine.diskcache import cache_dir, cached_arrays, stats

__all__ = ["cache_dir", "cached_arrays", "stats"]
