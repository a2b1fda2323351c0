"""Per-process cache for heavy objects (parsers, models, detectors).

Ray reuses worker processes between tasks, so caching here gives each worker a one-time setup
without actors or global state shared across processes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
_CACHE: dict[Hashable, Any] = {}


def get_or_create(key: Hashable, factory: Callable[[], T]) -> T:
    if key not in _CACHE:
        _CACHE[key] = factory()
    return _CACHE[key]


def clear() -> None:
    _CACHE.clear()
