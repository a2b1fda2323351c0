"""License categories and the allow-list helper.

The table behind ``category_of`` is ScanCode's LicenseDB category field, shipped (and kept up to
date) inside the pinned ``license-expression`` package, mapped onto our seven categories. A short
override table corrects the few places where a code corpus needs a stricter reading than
LicenseDB's (e.g. EUPL and OSL are network/strong copyleft for our purpose; the Creative Commons
NC family is non-commercial). Expressions combine as SPDX says: ``A OR B`` lets the user pick, so
it takes the most permissive option; ``A AND B`` binds both, so it takes the least.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from license_expression import LicenseSymbol, LicenseWithExceptionSymbol

CATEGORIES: tuple[str, ...] = (
    "permissive",
    "no_license",
    "weak_copyleft",
    "strong_copyleft",
    "non_commercial",
    "proprietary",
    "unknown",
)
"""Ordered from the least to the most restrictive (``unknown`` is treated as the worst)."""

_RANK = {name: i for i, name in enumerate(CATEGORIES)}

_LICENSEDB_TO_CATEGORY = {
    "Permissive": "permissive",
    "Public Domain": "permissive",
    "Copyleft Limited": "weak_copyleft",
    "Copyleft": "strong_copyleft",
    "Free Restricted": "non_commercial",
    "Source-available": "proprietary",
    "Proprietary Free": "proprietary",
    "Commercial": "proprietary",
    "Patent License": "unknown",
    "CLA": "unknown",
    "Unstated License": "unknown",
}

_OVERRIDES: dict[str, str] = {
    # network / strong copyleft the LicenseDB lists as "limited"
    "EUPL-1.0": "strong_copyleft",
    "EUPL-1.1": "strong_copyleft",
    "EUPL-1.2": "strong_copyleft",
    "OSL-3.0": "strong_copyleft",
    "RPL-1.5": "strong_copyleft",
    # permissive licenses some lists keep apart
    "Unlicense": "permissive",
    "CC0-1.0": "permissive",
    "WTFPL": "permissive",
    "0BSD": "permissive",
    "MIT-0": "permissive",
    "PSF-2.0": "permissive",
    "Python-2.0": "permissive",
    # our LicenseRefs
    "LicenseRef-public-domain": "permissive",
    "LicenseRef-proprietary": "proprietary",
    "LicenseRef-unknown": "unknown",
}

_LINKING_EXCEPTION = re.compile(
    r"Classpath-exception|GCC-exception|Autoconf-exception|Bison-exception|"
    r"Font-exception|GNAT-exception|LLVM-exception|Libtool-exception|OCaml-LGPL-linking",
    re.IGNORECASE,
)
_NON_COMMERCIAL = re.compile(r"(^|-)NC(-|$)|NonCommercial", re.IGNORECASE)


@functools.cache
def _licensedb() -> dict[str, str]:
    from license_expression import get_license_index

    table: dict[str, str] = {}
    for entry in get_license_index():
        category = _LICENSEDB_TO_CATEGORY.get(entry.get("category") or "", "unknown")
        for key in [entry.get("spdx_license_key"), *entry.get("other_spdx_license_keys", [])]:
            if key and not key.startswith("LicenseRef-scancode"):
                table.setdefault(key, category)
    return table


def category_table() -> dict[str, str]:
    """SPDX id -> category for every id we know (LicenseDB plus overrides)."""
    table = dict(_licensedb())
    for key in table:
        if _NON_COMMERCIAL.search(key):
            table[key] = "non_commercial"
    table.update(_OVERRIDES)
    return table


@functools.cache
def _table() -> dict[str, str]:
    return {k.lower(): v for k, v in category_table().items()}


def category_of_id(spdx_id: str) -> str:
    """Category of one SPDX license id (``unknown`` for ids we cannot place)."""
    if _NON_COMMERCIAL.search(spdx_id):
        return "non_commercial"
    key = spdx_id.lower()
    # A newer variant the table does not list yet (BSD-2-Clause-pos-unchanged) takes its base
    # license's category; LicenseRefs other than ours stay unknown.
    while key not in _table() and "-" in key and not key.startswith("licenseref-"):
        key = key.rsplit("-", 1)[0]
    return _table().get(key, "unknown")


def most_permissive(categories: Iterable[str]) -> str:
    return min(categories, key=_RANK.__getitem__, default="unknown")


def least_permissive(categories: Iterable[str]) -> str:
    return max(categories, key=_RANK.__getitem__, default="unknown")


def category_of(expression: str | None) -> str:
    """Category of an SPDX expression; ``None`` means no license evidence at all."""
    if expression is None:
        return "no_license"
    from curate.filters.license.expression import parse_expression

    parsed = parse_expression(expression)
    if parsed is None:
        return "unknown"
    return _category_of_node(parsed)


def _category_of_node(node: object) -> str:
    if isinstance(node, LicenseWithExceptionSymbol):
        # A linking exception (Classpath, GCC runtime, ...) relaxes strong copyleft to weak;
        # other exceptions (e.g. Linux-syscall-note) leave the license as it is.
        base = category_of_id(node.license_symbol.key)
        relaxes = _LINKING_EXCEPTION.search(
            node.license_symbol.key + " " + node.exception_symbol.key
        )
        return "weak_copyleft" if base == "strong_copyleft" and relaxes else base
    if isinstance(node, LicenseSymbol):
        return category_of_id(node.key)
    operator = getattr(node, "operator", "").strip()
    children = [_category_of_node(arg) for arg in node.args]  # type: ignore[attr-defined]
    return most_permissive(children) if operator == "OR" else least_permissive(children)


def is_allowed(category: str | None, allowed: Iterable[str]) -> bool:
    """True when ``category`` is one of ``allowed`` (a null category is ``unknown``).

    >>> is_allowed("permissive", ["permissive", "no_license"])
    True
    >>> is_allowed("strong_copyleft", ["permissive"])
    False
    """
    allowed = set(allowed)
    bad = allowed - set(CATEGORIES)
    if bad:
        from curate.errors import ConfigError

        raise ConfigError(f"unknown license categories {sorted(bad)}; known: {list(CATEGORIES)}")
    return (category or "unknown") in allowed
