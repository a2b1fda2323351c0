"""Language detection from a path and (optionally) the head of the file.

Order: exact file name, file-name prefix (``Dockerfile.dev``), extension (with content
heuristics only for extensions several languages share), then the shebang line when the name
said nothing. Everything but the heuristics is a dict lookup, so this is cheap enough to call
for every file.

>>> detect_language("src/main.rs")
'Rust'
>>> detect_language("include/util.h", "@interface Foo : NSObject\\n@end\\n")
'Objective-C'
>>> detect_language("bin/tool", "#!/usr/bin/env python3\\nprint(1)\\n")
'Python'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from curate.languages.registry import Heuristic, registry

_SHEBANG = re.compile(r"#!\s*(\S+)(?:[ \t]+(.*))?")
_VERSION_SUFFIX = re.compile(r"[\d.]+$")
HEURISTIC_HEAD_CHARS = 16_384
"""Heuristics look at most at this many characters of ``head``."""


@dataclass(frozen=True, slots=True)
class _Tables:
    filenames: dict[str, str]
    prefixes: tuple[tuple[str, str], ...]
    extensions: dict[str, str]
    interpreters: dict[str, str]
    heuristics: dict[str, Heuristic]


@cache
def _tables() -> _Tables:
    reg = registry()
    filenames: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    extensions: dict[str, str] = {}
    interpreters: dict[str, str] = {}
    for lang in reg.languages:
        for name in lang.filenames:
            filenames.setdefault(name, lang.name)
        prefixes.extend((p, lang.name) for p in lang.filename_prefixes)
        for ext in lang.extensions:
            extensions.setdefault(ext, lang.name)
        for interp in lang.interpreters:
            interpreters.setdefault(interp, lang.name)
    return _Tables(filenames, tuple(prefixes), extensions, interpreters, reg.heuristics)


def _basename(path: str) -> str:
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[cut + 1 :] if cut >= 0 else path


def interpreter_of(head: str) -> str | None:
    """The interpreter a ``#!`` line names (``env``, ``env -S`` and versions resolved)."""
    if not head.startswith("#!"):
        return None
    match = _SHEBANG.match(head.split("\n", 1)[0])
    if match is None:
        return None
    program = _basename(match.group(1))
    if program == "env":
        args = [a for a in (match.group(2) or "").split() if not a.startswith("-") and "=" not in a]
        if not args:
            return None
        program = _basename(args[0])
    return program


def _from_shebang(head: str, tables: _Tables) -> str | None:
    program = interpreter_of(head)
    if program is None:
        return None
    found = tables.interpreters.get(program)
    if found is None:
        found = tables.interpreters.get(_VERSION_SUFFIX.sub("", program))
    return found


def _apply_heuristic(heuristic: Heuristic, head: str | None) -> str | None:
    if head:
        text = head[:HEURISTIC_HEAD_CHARS]
        for rule in heuristic.rules:
            if rule.pattern.search(text):
                return rule.language
    return heuristic.default


def detect_language(path: str, head: str | None = None) -> str | None:
    """The canonical language name for ``path`` or None when unknown.

    ``head`` is the decoded start of the file (a few KB); without it, shared extensions fall
    back to their default language and shebangs are not read.
    """
    tables = _tables()
    name = _basename(path)
    found = tables.filenames.get(name)
    if found is not None:
        return found
    for prefix, lang in tables.prefixes:
        if name.startswith(prefix):
            return lang
    dot = name.rfind(".")
    if dot > 0:
        ext = name[dot:].lower()
        heuristic = tables.heuristics.get(ext)
        if heuristic is not None:
            return _apply_heuristic(heuristic, head)
        found = tables.extensions.get(ext)
        if found is not None:
            return found
    if head:
        return _from_shebang(head, tables)
    return None
