"""Where a source's identity comes from: never from where the machine keeps the files.

Every source gets a ``name``: its path below the common parent folder of the run's inputs
(``dumps/a/x.tar.gz`` for inputs ``/data/dumps``), so the same inputs copied anywhere else get
the same names. ``doc_uid`` and shard ids hash names, not absolute paths.

Every repository source (checkout, bare git repository, bundle, archive; not exports, whose rows
name their repository) gets a repository identity, from what the source itself says first:

1. a git ``remote.origin.url`` (bare repositories: ``config``; checkouts: ``.git/config``),
   normalised to ``host/owner/name`` (``https://github.com/o/n.git``, ``git@github.com:o/n.git``
   and ``ssh://git@github.com/o/n`` are all ``github.com/o/n``; credentials are dropped; local
   and ``file://`` remotes are ignored — they name a place on a machine);
2. else the folder or archive name (a GitHub archive's ``name-ref`` is split by the reader);
3. then, when two sources would share an identity (two mirrors whose folders are both named
   ``repo``, two checkouts named ``src``), each gets ``<identity>~<8 hex>``, a hash of its
   ``name`` — distinct, and still the same wherever the inputs are copied.
"""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath
import re
from collections import defaultdict
from collections.abc import Sequence

from curate.ingest.fsio import basename, url_to_fs
from curate.ingest.records import SourceSpec

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[^:/\s]+):(?P<path>[^/\s].*)$")
_REMOTE = re.compile(r'^\s*\[remote\s+"origin"\]\s*$')
_SECTION = re.compile(r"^\s*\[")
_URL = re.compile(r"^\s*url\s*=\s*(?P<url>\S+)\s*$")
REPOSITORY_KINDS = ("git", "directory", "git_bundle", "tar", "zip")


def strip_scheme(uri: str) -> str:
    return _SCHEME.sub("", uri)


def common_parent(inputs: Sequence[str]) -> str:
    """The folder the given inputs' names are relative to: the common path of their parents."""
    parents = [posixpath.dirname(strip_scheme(u).rstrip("/")) for u in inputs]
    if not parents:
        return ""
    try:
        return posixpath.commonpath(parents)
    except ValueError:  # absolute and relative paths mixed
        return ""


def source_name(uri: str, parent: str) -> str:
    """``uri`` relative to ``parent`` (its basename when it is not below it)."""
    path = strip_scheme(uri).rstrip("/")
    if parent and (path == parent or path.startswith(parent.rstrip("/") + "/")):
        return posixpath.relpath(path, parent)
    return basename(path)


def normalize_remote(url: str) -> str | None:
    """``host/owner/name`` of a git remote URL; None for local or unparseable remotes."""
    url = url.strip()
    if not url or url.startswith(("/", ".", "file:")):
        return None
    scp = None if _SCHEME.match(url) else _SCP.match(url)
    if scp:
        host, path = scp["host"], scp["path"]
    elif _SCHEME.match(url):
        rest = strip_scheme(url)
        netloc, _, path = rest.partition("/")
        host = netloc.rsplit("@", 1)[-1].split(":", 1)[0]  # drop user:password@ and :port
    else:
        return None
    path = path.strip("/").removesuffix(".git").strip("/")
    if not host or not path:
        return None
    return f"{host.lower()}/{path}"


def remote_identity(uri: str, kind: str) -> str | None:
    """The normalised ``remote.origin.url`` of a bare repository or a checkout, if any."""
    config = f"{uri.rstrip('/')}/config" if kind == "git" else f"{uri.rstrip('/')}/.git/config"
    try:
        fs, path = url_to_fs(config)
        if not fs.isfile(path):
            return None
        with fs.open(path, "rb") as handle:
            text = handle.read(256 * 1024).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None
    in_origin = False
    for line in text.splitlines():
        if _REMOTE.match(line):
            in_origin = True
        elif _SECTION.match(line):
            in_origin = False
        elif in_origin and (m := _URL.match(line)):
            return normalize_remote(m["url"])
    return None


def _fallback(spec: SourceSpec) -> str:
    if spec.repo:
        return spec.repo
    name = basename(strip_scheme(spec.uri))
    if spec.kind in ("git", "git_bundle"):
        for suffix in (".git", ".bundle"):
            name = name.removesuffix(suffix)
        return name
    if spec.kind in ("tar", "zip"):
        from curate.ingest.readers.archive import archive_stem, split_codeload

        return split_codeload(archive_stem(name))[0]
    return name


def assign_identities(specs: Sequence[SourceSpec], inputs: Sequence[str]) -> list[SourceSpec]:
    """Give every source its location-independent ``name`` and every repository source a
    distinct repository identity (rules in the module docstring)."""
    parent = common_parent(inputs)
    named = [dataclasses.replace(s, name=source_name(s.uri, parent)) for s in specs]
    provisional: dict[int, str] = {}
    for i, spec in enumerate(named):
        if spec.kind not in REPOSITORY_KINDS:
            continue
        remote = remote_identity(spec.uri, spec.kind) if spec.kind in ("git", "directory") else None
        provisional[i] = remote or _fallback(spec)
    holders: dict[str, set[str]] = defaultdict(set)
    for i, identity in provisional.items():
        holders[identity].add(named[i].name)
    out: list[SourceSpec] = []
    for i, spec in enumerate(named):
        identity = provisional.get(i)
        if identity is None:
            out.append(spec)
        elif len(holders[identity]) > 1:
            digest = hashlib.blake2b(spec.name.encode("utf-8", "surrogateescape"), digest_size=4)
            out.append(dataclasses.replace(spec, repo=f"{identity}~{digest.hexdigest()}"))
        elif spec.kind in ("git", "directory") or spec.repo:
            out.append(dataclasses.replace(spec, repo=identity))
        else:
            out.append(spec)  # an archive or bundle: its reader names it (GitHub name-ref/)
    return out
