"""Path hygiene shared by every reader: normalisation, traversal checks, path-based skips."""

from __future__ import annotations

import re

from curate.ingest.config import IngestConfig

_DRIVE = re.compile(r"^[A-Za-z]:")


def clean_name(name: str | bytes) -> str:
    """A valid-Unicode path string. Undecodable bytes become ``\\xNN`` escapes (Arrow strings
    must be valid UTF-8; surrogate-escaped names from tarfile/os would not encode)."""
    if isinstance(name, bytes):
        return name.decode("utf-8", "backslashreplace")
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def normalize_member(name: str | bytes) -> tuple[str, str | None]:
    """(clean relative posix path, problem). `problem` is a `path_traversal` detail for absolute
    paths, drive letters and ``..`` components; the path is then the cleaned original name.

    The checks look at the name as given, before `clean_name` escapes undecodable bytes: the
    escape ``\\xff`` of a name starting with a non-UTF-8 byte is not an absolute path."""
    raw = name.decode("utf-8", "surrogateescape") if isinstance(name, bytes) else name
    if is_plain(raw):  # nearly every member name: already its own normal form
        return raw, None
    name = clean_name(raw)
    if raw.startswith(("/", "\\")) or _DRIVE.match(raw):
        return name, "absolute path"
    if any(part == ".." for part in re.split(r"[/\\]", raw)):
        return name, "'..' component"
    return "/".join(p for p in name.split("/") if p not in ("", ".")), None


def is_plain(raw: str) -> bool:
    """Whether ``normalize_member`` would return ``raw`` itself without a problem: ASCII (so
    ``clean_name`` keeps it), no backslash, no ``..`` (even inside a part: the full check
    decides), not absolute, no drive letter, and no empty or ``.`` part to drop."""
    return (
        raw.isascii()
        and raw != ""
        and "\\" not in raw
        and ".." not in raw
        and "//" not in raw
        and "/./" not in raw
        and raw[1:2] != ":"
        and not raw.startswith(("/", "./"))
        and not raw.endswith(("/", "/."))
        and raw != "."
    )


class PathPolicy:
    """Path-only decisions, made before any content is read."""

    def __init__(self, cfg: IngestConfig):
        self.vcs = frozenset(cfg.vcs_dirs)
        self.vendored = frozenset(cfg.vendored_dirs) if cfg.skip_vendored else frozenset()
        self.locks = frozenset(cfg.lock_files) if cfg.skip_lock_files else frozenset()

    def dir_reason(self, name: str) -> str | None:
        """Skip reason for a whole directory with this base name (pruned, never read)."""
        if name in self.vcs:
            return "vcs_metadata"
        if name in self.vendored:
            return "vendored"
        return None

    def classify(self, path: str) -> tuple[str, str] | None:
        """(reason, root) for a file path skipped by its path alone. `root` is the pruned
        directory (`vcs_metadata`, `vendored`) or the file itself (`lock_file`)."""
        parts = path.split("/")
        for i in range(len(parts) - 1):
            reason = self.dir_reason(parts[i])
            if reason is not None:
                return reason, "/".join(parts[: i + 1])
        last = parts[-1]
        if last in self.vcs:  # a gitfile (worktree / submodule pointer)
            return "vcs_metadata", path
        if last in self.locks:
            return "lock_file", path
        return None
