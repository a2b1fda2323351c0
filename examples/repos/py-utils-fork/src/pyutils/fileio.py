"""File helpers: atomic writes and reading lines without surprises."""

import os
import tempfile
from contextlib import contextmanager


@contextmanager
def atomic_write(path, mode="w", encoding="utf-8"):
    """Write to a temporary file next to `path` and rename it into place.

    Readers never observe a half-written file: either the old content or the
    new content is visible. The temporary file is removed on error.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    binary = "b" in mode
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def read_lines(path, strip=True, skip_blank=True, comment=None, encoding="utf-8"):
    """Return the lines of a text file, optionally dropping blanks and comments."""
    result = []
    with open(path, encoding=encoding) as handle:
        for raw in handle:
            line = raw.strip() if strip else raw.rstrip("\n")
            if skip_blank and not line.strip():
                continue
            if comment and line.lstrip().startswith(comment):
                continue
            result.append(line)
    return result


def file_size_human(num_bytes):
    """Format a byte count with a binary unit, e.g. 1536 -> '1.5 KiB'."""
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
