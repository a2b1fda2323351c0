"""Language detection from a path and (optionally) the head of the file.

Order: exact file name, file-name prefix (``Dockerfile.dev``; a known extension after a
``Name.`` prefix wins: ``Makefile.toml`` is TOML), extension (with content heuristics only for
extensions several languages share or that are ambiguous alone), a template suffix dropped
(``config.h.in`` is C), then the shebang line when the name said nothing, and last the
document file names (``LICENSE``, ``CHANGELOG``) in any case and with a suffix
(``LICENSE-MIT``, ``license``). Everything but the heuristics is a dict lookup, so this is cheap
enough to call for every file.

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
TEMPLATE_SUFFIXES = (".in", ".dist", ".example", ".sample", ".template", ".tmpl")
"""Suffixes of a file that is a template or example of another: detected by the rest of the
name (``config.h.in`` -> C, ``phpunit.xml.dist`` -> XML), unless the full name is known."""
_STEM_CUT = re.compile(r"[.\-]")


@dataclass(frozen=True, slots=True)
class _Tables:
    filenames: dict[str, str]
    prefixes: tuple[tuple[str, str], ...]
    extensions: dict[str, str]
    interpreters: dict[str, str]
    heuristics: dict[str, Heuristic]
    prose_names: dict[str, str]
    """Case-folded file names of prose languages (``license`` -> Text)."""


@cache
def _tables() -> _Tables:
    reg = registry()
    filenames: dict[str, str] = {}
    prefixes: list[tuple[str, str]] = []
    extensions: dict[str, str] = {}
    interpreters: dict[str, str] = {}
    prose_names: dict[str, str] = {}
    for lang in reg.languages:
        for name in lang.filenames:
            filenames.setdefault(name, lang.name)
            if lang.kind == "prose":
                prose_names.setdefault(name.casefold(), lang.name)
        prefixes.extend((p, lang.name) for p in lang.filename_prefixes)
        for ext in lang.extensions:
            extensions.setdefault(ext, lang.name)
        for interp in lang.interpreters:
            interpreters.setdefault(interp, lang.name)
    return _Tables(
        filenames, tuple(prefixes), extensions, interpreters, reg.heuristics, prose_names
    )


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
        # A leading newline lets patterns anchor on "\n" (a literal the regex engine scans for
        # quickly) instead of a multiline "^", and still see the first line.
        text = "\n" + head[:HEURISTIC_HEAD_CHARS]
        for rule in heuristic.rules:
            if rule.matches(text):
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
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    known_ext = ext in tables.heuristics or ext in tables.extensions
    for prefix, lang in tables.prefixes:
        # `Dockerfile.dev` is a Dockerfile, but `Makefile.toml` (cargo-make) is TOML.
        if name.startswith(prefix) and not (prefix.endswith(".") and known_ext):
            return lang
    if ext:
        heuristic = tables.heuristics.get(ext)
        if heuristic is not None:
            return _apply_heuristic(heuristic, head)
        found = tables.extensions.get(ext)
        if found is not None:
            return found
        if ext in TEMPLATE_SUFFIXES:
            found = detect_language(name[:dot], head)
            if found is not None:
                return found
    if head:
        found = _from_shebang(head, tables)
        if found is not None:
            return found
    return _prose_name(name, tables)


def _prose_name(name: str, tables: _Tables) -> str | None:
    """``license``, ``Changelog``, ``LICENSE-MIT``, ``LICENSE.apache2``: a document file name in
    any case, or one with a suffix after ``-`` / ``.``. Prose only: a lower-case ``build``
    is not a Bazel BUILD file."""
    folded = name.casefold()
    found = tables.prose_names.get(folded)
    if found is None and not name.startswith("."):
        found = tables.prose_names.get(_STEM_CUT.split(folded, 1)[0])
    return found
