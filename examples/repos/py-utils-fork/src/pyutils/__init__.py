"""pyutils: small helpers for text, files, retries and caching."""

from pyutils.cache import LRUCache
from pyutils.retry import retry
from pyutils.text import dedent_block, normalize_whitespace, slugify, truncate, wrap

__all__ = ["LRUCache", "dedent_block", "normalize_whitespace", "retry", "slugify", "truncate", "wrap"]
__version__ = "0.5.0"
