"""Text helpers: slugs, whitespace, wrapping and truncation."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def slugify(value, separator="-", max_length=None):
    """Turn an arbitrary title into a URL-friendly slug.

    Accents are folded to their ASCII base letter, everything that is not a
    letter or a digit becomes the separator, and runs of separators collapse.
    """
    folded = unicodedata.normalize("NFKD", value)
    ascii_only = folded.encode("ascii", "ignore").decode("ascii")
    slug = _NON_WORD.sub(separator, ascii_only.lower()).strip(separator)
    if max_length is not None and len(slug) > max_length:
        slug = slug[:max_length].rstrip(separator)
    return slug


def normalize_whitespace(text):
    """Collapse every run of whitespace into a single space and strip the ends."""
    return _SPACES.sub(" ", text).strip()


def wrap(text, width=72):
    """Greedy word wrap. Words longer than the width get a line of their own."""
    if width < 1:
        raise ValueError("width must be positive")
    lines = []
    current = []
    length = 0
    for word in text.split():
        extra = len(word) if not current else len(word) + 1
        if current and length + extra > width:
            lines.append(" ".join(current))
            current, length = [word], len(word)
        else:
            current.append(word)
            length += extra
    if current:
        lines.append(" ".join(current))
    return lines


def truncate(text, limit, ellipsis="..."):
    """Cut text to at most `limit` characters, ending in an ellipsis when cut."""
    if limit < len(ellipsis):
        raise ValueError("limit is shorter than the ellipsis")
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ellipsis)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + ellipsis
