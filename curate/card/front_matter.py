"""YAML front matter of the card, in the Hugging Face dataset card format, and an offline check of
the constraints the Hub's metadata validation applies to the fields we write."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

HUB_LICENSES = frozenset(
    [
        "apache-2.0",
        "mit",
        "openrail",
        "bigscience-openrail-m",
        "creativeml-openrail-m",
        "bigscience-bloom-rail-1.0",
        "bigcode-openrail-m",
        "afl-3.0",
        "artistic-2.0",
        "bsl-1.0",
        "bsd",
        "bsd-2-clause",
        "bsd-3-clause",
        "bsd-3-clause-clear",
        "c-uda",
        "cc",
        "cc0-1.0",
        "cc-by-2.0",
        "cc-by-2.5",
        "cc-by-3.0",
        "cc-by-4.0",
        "cc-by-sa-3.0",
        "cc-by-sa-4.0",
        "cc-by-nc-2.0",
        "cc-by-nc-3.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "cc-by-nc-nd-3.0",
        "cc-by-nc-nd-4.0",
        "cc-by-nc-sa-2.0",
        "cc-by-nc-sa-3.0",
        "cc-by-nc-sa-4.0",
        "cdla-sharing-1.0",
        "cdla-permissive-1.0",
        "cdla-permissive-2.0",
        "wtfpl",
        "ecl-2.0",
        "epl-1.0",
        "epl-2.0",
        "etalab-2.0",
        "eupl-1.1",
        "eupl-1.2",
        "agpl-3.0",
        "gfdl",
        "gpl",
        "gpl-2.0",
        "gpl-3.0",
        "lgpl",
        "lgpl-2.1",
        "lgpl-3.0",
        "isc",
        "lppl-1.3c",
        "ms-pl",
        "mpl-2.0",
        "odc-by",
        "odbl",
        "openrail++",
        "osl-3.0",
        "postgresql",
        "ofl-1.1",
        "ncsa",
        "unlicense",
        "zlib",
        "pddl",
        "lgpl-lr",
        "unknown",
        "other",
    ]
)
"""License ids the Hub accepts in ``license:`` (anything else must be ``other``)."""

SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
)
TASK_CATEGORIES = frozenset(
    {"text-generation", "fill-mask", "text2text-generation", "feature-extraction", "other"}
)


def size_category(n: int) -> str:
    for bound, label in SIZE_CATEGORIES:
        if n < bound:
            return label
    return "n>1T"


_VERSION_SUFFIXES = ("-only", "-or-later", "+")


@functools.cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def hub_id(spdx_id: str) -> str | None:
    """The Hub license id of one SPDX license id, or ``None`` when the Hub has none.

    Lower-cased; a GNU ``-only`` / ``-or-later`` / ``+`` suffix is dropped when the Hub knows
    the base version (``GPL-2.0-or-later`` -> ``gpl-2.0``)."""
    lid = spdx_id.lower()
    if lid in HUB_LICENSES and lid not in ("other", "unknown"):
        return lid
    for suffix in _VERSION_SUFFIXES:
        if lid.endswith(suffix) and lid[: -len(suffix)] in HUB_LICENSES:
            return lid[: -len(suffix)]
    return None


def license_ids(expression: str) -> list[str]:
    """The SPDX license ids an expression names (``(MIT OR Apache-2.0) AND BSD-3-Clause`` ->
    three); a ``WITH`` exception counts as its license; text that does not parse is one id."""
    from license_expression import ExpressionError, LicenseWithExceptionSymbol

    try:
        parsed = _licensing().parse(expression)
    except (ExpressionError, TypeError, ValueError):
        return [expression.strip()]
    if parsed is None:
        return []
    ids = []
    for sym in _licensing().license_symbols(parsed, unique=True, decompose=False):
        key = sym.license_symbol.key if isinstance(sym, LicenseWithExceptionSymbol) else sym.key
        if key not in ids:
            ids.append(key)
    return ids


@dataclass(frozen=True)
class HubLicenses:
    """Front-matter ``license`` of a set of SPDX expressions: the Hub ids, and the SPDX ids with
    no Hub id (``license: other`` then needs ``license_name`` / ``license_link``)."""

    ids: list[str]
    unmapped: list[str]


def map_licenses(expressions: list[str]) -> HubLicenses:
    """Every id of every expression mapped (``MIT OR Apache-2.0`` -> ``apache-2.0``, ``mit``);
    ``other`` is listed only when some id has no Hub id."""
    ids: set[str] = set()
    unmapped: set[str] = set()
    for expression in expressions:
        for spdx in license_ids(expression) if expression else []:
            hub = hub_id(spdx)
            if hub is None:
                unmapped.add(spdx)
            else:
                ids.add(hub)
    out = sorted(ids) + (["other"] if unmapped else [])
    return HubLicenses(ids=out or ["unknown"], unmapped=sorted(unmapped))


def hub_licenses(spdx_ids: list[str]) -> list[str]:
    """Hub license ids for SPDX ids or expressions (see ``map_licenses``), sorted."""
    return sorted(map_licenses(spdx_ids).ids)


def other_license_fields(unmapped: list[str]) -> dict[str, str]:
    """``license_name`` and ``license_link`` for ``license: other``: the one unmapped id (linked
    to its SPDX page when SPDX lists it), or ``mixed`` linked to the card's license tables."""
    if len(unmapped) == 1:
        name = re.sub(r"[^a-z0-9.-]+", "-", unmapped[0].lower()).strip("-") or "unknown"
        known = not _licensing().validate(unmapped[0]).invalid_symbols
        link = f"https://spdx.org/licenses/{unmapped[0]}.html" if known else "README.md"
        return {"license_name": name, "license_link": link}
    return {"license_name": "mixed", "license_link": "README.md"}


def check(meta: dict[str, Any]) -> list[str]:
    """Problems the Hub would reject in our front matter (empty = fine)."""
    problems = []
    licenses = meta.get("license")
    for lid in [licenses] if isinstance(licenses, str) else licenses or []:
        if lid not in HUB_LICENSES:
            problems.append(f"license {lid!r} is not a Hub license id (use 'other')")
    if "other" in ([licenses] if isinstance(licenses, str) else licenses or []) and not meta.get(
        "license_name"
    ):
        problems.append("license 'other' needs license_name")
    if "other" in ([licenses] if isinstance(licenses, str) else licenses or []) and not meta.get(
        "license_link"
    ):
        problems.append("license 'other' needs license_link")
    labels = {label for _, label in SIZE_CATEGORIES} | {"n>1T"}
    for sc in meta.get("size_categories") or []:
        if sc not in labels:
            problems.append(f"size category {sc!r} unknown")
    for tc in meta.get("task_categories") or []:
        if tc not in TASK_CATEGORIES:
            problems.append(f"task category {tc!r} unknown")
    for cfg in meta.get("configs") or []:
        if not isinstance(cfg, dict) or "config_name" not in cfg or "data_files" not in cfg:
            problems.append("each configs entry needs config_name and data_files")
            continue
        for df in cfg["data_files"] if isinstance(cfg["data_files"], list) else [cfg["data_files"]]:
            if isinstance(df, dict) and not {"split", "path"} <= set(df):
                problems.append("data_files entries need split and path")
    return problems
