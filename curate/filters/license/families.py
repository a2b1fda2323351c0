"""License families, and how a package's declared license is weighed against the texts it ships.

A repository's root often holds more license text than its own license: the Python license
stack (PSF, BeOpen, CNRI, CWI) for one borrowed module, a CC0 waiver for documentation samples,
the original Markdown.pl license for a port. The manifest (``package.json``, ``PKG-INFO``,
``Cargo.toml``, ...) says which of these is the package's license; the texts say exactly which
member of a family it is. ``reconcile`` combines the two:

- every declared id must stand for an id found in the texts (``refines``), else the texts win
  (a GPL ``COPYING`` with ``"license": "MIT"`` stays GPL);
- a declared id replaces the text's neighbouring id of the same family (``PSF-2.0`` for the
  stack's ``Python-2.0.1``), except where the declaration only named the family (``BSD
  License``): then the text's exact id stays;
- text licenses the declaration leaves out are dropped from the headline (the detector lists
  them separately), but never when that would make the headline more permissive.

Family table (``FAMILIES``; ids outside it are their own family, ``-only``/``-or-later`` aside):

| family | members |
|---|---|
| Python | ``PSF-2.0``, ``Python-2.0``, ``Python-2.0.1``, ``CNRI-Python``, ``CNRI-Python-GPL-Compatible`` |
| BSD | ``BSD-2-Clause``, ``BSD-3-Clause`` and their named variants (``BSD-2-Clause-*``, ``BSD-3-Clause-*``) |
| GPL, LGPL, AGPL | every version; a declared ``X-N-or-later`` stands for a text of version N or later |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curate.filters.license.categories import CATEGORIES, category_of
from curate.filters.license.expression import license_ids, parse_expression, simplify
from curate.filters.license.manifests import Declaration

FAMILIES: dict[str, tuple[str, ...]] = {
    "Python": (
        "PSF-2.0",
        "Python-2.0",
        "Python-2.0.1",
        "CNRI-Python",
        "CNRI-Python-GPL-Compatible",
    ),
}
"""Ids that are wordings of one license (exact members)."""

FAMILY_PREFIXES: dict[str, tuple[str, ...]] = {
    "BSD": ("BSD-2-Clause", "BSD-3-Clause"),
}
"""Families whose members are these ids and their named variants (``BSD-2-Clause-Patent``)."""

_GNU = re.compile(r"^(GPL|LGPL|AGPL)-(\d+(?:\.\d+)?)(?:-(only|or-later))?$")
_SUFFIX = re.compile(r"-(only|or-later)$")


def family(spdx_id: str) -> str:
    """The family an id belongs to (the id itself, without ``-only``/``-or-later``, if none)."""
    for name, members in FAMILIES.items():
        if spdx_id in members:
            return name
    for name, prefixes in FAMILY_PREFIXES.items():
        if any(spdx_id == p or spdx_id.startswith(p + "-") for p in prefixes):
            return name
    gnu = _GNU.match(spdx_id)
    if gnu:
        return gnu.group(1)
    return _SUFFIX.sub("", spdx_id)


def refines(declared: str, found: str) -> bool:
    """Can the declared id stand for the id a license text gave? Same id up to ``-only`` /
    ``-or-later``; same family; for the GNU licenses, ``X-N-or-later`` for a text of version
    N or later (the LGPL-2.1 text shipped for "LGPLv2+")."""
    if _SUFFIX.sub("", declared) == _SUFFIX.sub("", found):
        return True
    d, f = _GNU.match(declared), _GNU.match(found)
    if d and f:
        return (
            d.group(1) == f.group(1)
            and d.group(3) == "or-later"
            and float(d.group(2)) <= float(f.group(2))
        )
    return family(declared) == family(found)


@dataclass(frozen=True)
class Reconciled:
    spdx: str
    """The headline expression."""
    dropped: tuple[str, ...]
    """Text ids the declaration leaves out (listed beside the headline, never lost)."""


_RANK = {name: i for i, name in enumerate(CATEGORIES)}


def reconcile(texts: str, declared: Declaration) -> Reconciled | None:
    """The headline from the texts' expression and one manifest's declaration, or ``None`` when
    they disagree (the texts then stand alone)."""
    found = license_ids(texts)
    wanted = license_ids(declared.spdx)
    if not found or not wanted:
        return None
    stands_for: dict[str, str] = {}
    for d in wanted:
        match = next((f for f in found if f == d), None) or next(
            (f for f in found if refines(d, f)), None
        )
        if match is None:
            return None
        stands_for[d] = match
    # The declared spelling, except for a guess from a family name: the text knows the member.
    spelled = {d: (f if d in declared.vague else d) for d, f in stands_for.items()}
    dropped = tuple(f for f in found if f not in stands_for.values())
    if declared.structured:
        candidate = _substitute(declared.spdx, spelled)
    elif not dropped:  # several classifiers: the operator is the texts'
        candidate = _substitute(texts, {f: spelled[d] for d, f in stands_for.items()})
    else:
        joiner = " OR " if _is_choice(texts) else " AND "
        candidate = joiner.join(dict.fromkeys(spelled.values()))
    candidate = simplify(candidate) or candidate
    if dropped and _RANK[category_of(candidate)] < _RANK[category_of(texts)]:
        return None  # leaving a license out may not make the headline more permissive
    return Reconciled(candidate, dropped)


def _substitute(expression: str, ids: dict[str, str]) -> str:
    if not ids:
        return expression
    pattern = re.compile(r"(?<![\w.+-])(" + "|".join(map(re.escape, ids)) + r")(?![\w.+-])")
    return pattern.sub(lambda m: ids[m.group(1)], expression)


def _is_choice(expression: str) -> bool:
    from license_expression import OR

    return isinstance(parse_expression(expression), OR)
