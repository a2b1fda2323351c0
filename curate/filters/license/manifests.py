"""License declarations in package manifests.

Each reader takes the manifest's text and returns the declared license strings (raw, as the
author wrote them); ``declared_license`` turns them into one SPDX expression. Parsers are
forgiving: a broken manifest yields nothing, never an exception.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from configparser import ConfigParser
from configparser import Error as ConfigParserError
from dataclasses import dataclass
from email.parser import HeaderParser
from posixpath import basename

from curate.filters.license.expression import is_vague_name, normalise, to_spdx


def _package_json(text: str) -> list[str]:
    data = json.loads(text)
    out: list[str] = []
    lic = data.get("license")
    if isinstance(lic, str):
        out.append(lic)
    elif isinstance(lic, dict) and isinstance(lic.get("type"), str):
        out.append(lic["type"])
    for item in data.get("licenses") or []:
        if isinstance(item, dict) and isinstance(item.get("type"), str):
            out.append(item["type"])
        elif isinstance(item, str):
            out.append(item)
    return out


def _composer_json(text: str) -> list[str]:
    lic = json.loads(text).get("license")
    if isinstance(lic, list):  # composer: a list means "any of these"
        return [" OR ".join(x for x in lic if isinstance(x, str))] if lic else []
    return [lic] if isinstance(lic, str) else []


def _pyproject(text: str) -> list[str]:
    data = tomllib.loads(text)
    out: list[str] = []
    for table in (data.get("project", {}), data.get("tool", {}).get("poetry", {})):
        lic = table.get("license")
        if isinstance(lic, str):
            out.append(lic)
        elif isinstance(lic, dict) and isinstance(lic.get("text"), str):
            out.append(lic["text"])
        out += [c for c in table.get("classifiers", []) if str(c).startswith("License ::")]
    return out


def _setup_cfg(text: str) -> list[str]:
    parser = ConfigParser(interpolation=None)
    parser.read_string(text)
    if not parser.has_section("metadata"):
        return []
    out = []
    for key in ("license_expression", "license"):
        if parser.has_option("metadata", key):
            out.append(parser.get("metadata", key))
    if parser.has_option("metadata", "classifiers"):
        out += [
            c.strip()
            for c in parser.get("metadata", "classifiers").splitlines()
            if c.strip().startswith("License ::")
        ]
    return out


_SETUP_LICENSE = re.compile(r"""\blicen[sc]e(?:_expression)?\s*=\s*(['"])(.{1,120}?)\1""")
_CLASSIFIER = re.compile(r"""(['"])(License\s*::[^'"]{1,150})\1""")


def _setup_py(text: str) -> list[str]:
    return [m.group(2) for m in _SETUP_LICENSE.finditer(text)] + [
        m.group(2) for m in _CLASSIFIER.finditer(text)
    ]


def _pkg_info(text: str) -> list[str]:
    msg = HeaderParser().parsestr(text.split("\n\n", 1)[0])
    out = []
    if msg.get("License-Expression"):
        out.append(msg["License-Expression"])
    lic = msg.get("License")
    if lic and "\n" not in lic.strip() and lic.strip().upper() != "UNKNOWN":
        out.append(lic)
    out += [c for c in msg.get_all("Classifier") or [] if c.startswith("License ::")]
    return out


def _cargo_toml(text: str) -> list[str]:
    lic = tomllib.loads(text).get("package", {}).get("license")
    return [lic] if isinstance(lic, str) else []


_GEMSPEC = re.compile(r"""\.licen[sc]es?\s*=\s*(?:\[([^\]]*)\]|(['"])([^'"]+)\2)""")


def _gemspec(text: str) -> list[str]:
    out = []
    for m in _GEMSPEC.finditer(text):
        if m.group(3):
            out.append(m.group(3))
        else:
            names = re.findall(r"""['"]([^'"]+)['"]""", m.group(1) or "")
            if names:
                out.append(" OR ".join(names))
    return out


_XML_NAME = re.compile(r"<license>\s*(?:<[^>]*>\s*)*?<name>([^<]{1,150})</name>", re.S)
_NUSPEC = re.compile(r"<license\s+type=\"expression\"\s*>([^<]{1,200})</license>")


def _pom_xml(text: str) -> list[str]:
    names = [n.strip() for n in _XML_NAME.findall(text)]
    return [" OR ".join(names)] if names else []


def _nuspec(text: str) -> list[str]:
    return [m.strip() for m in _NUSPEC.findall(text)]


READERS: dict[str, Callable[[str], list[str]]] = {
    "package.json": _package_json,
    "composer.json": _composer_json,
    "pyproject.toml": _pyproject,
    "setup.cfg": _setup_cfg,
    "setup.py": _setup_py,
    "PKG-INFO": _pkg_info,
    "METADATA": _pkg_info,
    "Cargo.toml": _cargo_toml,
    "pom.xml": _pom_xml,
}
SUFFIX_READERS: dict[str, Callable[[str], list[str]]] = {
    ".gemspec": _gemspec,
    ".nuspec": _nuspec,
}


def reader_for(path: str) -> Callable[[str], list[str]] | None:
    name = basename(path)
    if name in READERS:
        return READERS[name]
    for suffix, reader in SUFFIX_READERS.items():
        if name.endswith(suffix):
            return reader
    return None


@dataclass(frozen=True)
class Declaration:
    """What one manifest declares."""

    spdx: str
    """The SPDX expression."""
    vague: frozenset[str] = frozenset()
    """Ids known only from a family name (``BSD License`` -> ``BSD-3-Clause``): guesses."""
    structured: bool = True
    """One declaration (``"MIT OR Apache-2.0"``, a ``License-Expression``) rather than several
    items (trove classifiers) joined with AND, whose real operator the manifest does not say."""


def declared_license(path: str, text: str) -> str | None:
    """The SPDX expression a manifest declares, or ``None`` (unknown manifest, no license
    field, unreadable file, or a name we cannot map)."""
    found = declaration(path, text)
    return None if found is None else found.spdx


def declaration(path: str, text: str) -> Declaration | None:
    """``declared_license`` with what the detector needs to weigh it against license texts."""
    reader = reader_for(path)
    if reader is None:
        return None
    try:
        raw = reader(text)
    except (ValueError, TypeError, AttributeError, ConfigParserError, tomllib.TOMLDecodeError):
        return None
    resolved = [(item, to_spdx(item)) for item in raw]
    # A name without a version ("GPL", "BSD License") that we had to give one is a guess: any
    # versioned declaration of the same family goes first.
    resolved.sort(key=lambda pair: is_vague_name(pair[0]))
    ids: list[str] = []
    for _, spdx in resolved:
        if spdx and spdx not in ids:
            ids.append(spdx)
    if not ids:
        return None
    # Classifiers are coarse ("BSD License"); an explicit expression or name refines them, and a
    # family refinement (GPL-3.0-only vs -or-later) keeps the more specific spelling.
    ids = _refine(ids)
    spdx = normalise(" AND ".join(f"({i})" if " " in i else i for i in ids))
    if spdx is None:
        return None
    exact = {s for item, s in resolved if s and not is_vague_name(item)}
    return Declaration(spdx, frozenset(ids) - exact, structured=len(ids) == 1)


def _family(spdx: str) -> str:
    return re.sub(r"-(only|or-later)$", "", spdx).split("-")[0]


def _refine(ids: list[str]) -> list[str]:
    kept: list[str] = []
    for spdx in ids:
        if any(_family(k) == _family(spdx) for k in kept):
            continue  # first (most explicit) declaration of a family wins
        kept.append(spdx)
    return kept
