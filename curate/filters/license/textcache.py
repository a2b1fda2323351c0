"""Results of pure functions of one text, remembered by the text's digest, not the text.

Repositories ship the same license files, README sections and header comments word for
word; matching one again costs a template scan or a diff. The key is the text's length and
128-bit XXH3 digest, so a cache of long license texts holds ~40 bytes a text, not the text.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import xxhash

T = TypeVar("T")

_MISSING = object()


def by_text_digest(size: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """Decorator: remember the ``size`` most recently used results (``cache_clear`` empties)."""

    def wrap(function: Callable[[str], T]) -> Callable[[str], T]:
        results: OrderedDict[tuple[int, bytes], T] = OrderedDict()

        @functools.wraps(function)
        def cached(text: str) -> T:
            key = (len(text), xxhash.xxh3_128_digest(text.encode("utf-8", "surrogatepass")))
            found = results.get(key, _MISSING)
            if found is not _MISSING:
                results.move_to_end(key)
                return found  # type: ignore[return-value]
            result = results[key] = function(text)
            if len(results) > size:
                results.popitem(last=False)
            return result

        cached.cache_clear = results.clear  # type: ignore[attr-defined]
        return cached

    return wrap
