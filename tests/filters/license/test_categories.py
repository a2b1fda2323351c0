from __future__ import annotations

import pytest

from curate.errors import ConfigError
from curate.filters.license import CATEGORIES, category_of, category_table, is_allowed


@pytest.mark.parametrize(
    ("expression", "category"),
    [
        ("MIT", "permissive"),
        ("Apache-2.0", "permissive"),
        ("BSD-3-Clause", "permissive"),
        ("Unlicense", "permissive"),
        ("CC0-1.0", "permissive"),
        ("MPL-2.0", "weak_copyleft"),
        ("LGPL-2.1-or-later", "weak_copyleft"),
        ("EPL-2.0", "weak_copyleft"),
        ("GPL-2.0-only", "strong_copyleft"),
        ("GPL-3.0-or-later", "strong_copyleft"),
        ("AGPL-3.0-only", "strong_copyleft"),
        ("EUPL-1.2", "strong_copyleft"),
        ("CC-BY-NC-4.0", "non_commercial"),
        ("BUSL-1.1", "proprietary"),
        ("LicenseRef-proprietary", "proprietary"),
        ("LicenseRef-unknown", "unknown"),
        ("LicenseRef-something-else", "unknown"),
        (None, "no_license"),
    ],
)
def test_single_licenses(expression: str | None, category: str) -> None:
    assert category_of(expression) == category


def test_or_takes_most_permissive_and_takes_least() -> None:
    assert category_of("GPL-3.0-only OR MIT") == "permissive"
    assert category_of("GPL-3.0-only AND MIT") == "strong_copyleft"
    assert category_of("(MIT OR GPL-2.0-only) AND LGPL-2.1-only") == "weak_copyleft"
    assert category_of("MIT AND LicenseRef-unknown") == "unknown"


def test_exceptions_only_relax_linking_exceptions() -> None:
    assert category_of("GPL-2.0-only WITH Classpath-exception-2.0") == "weak_copyleft"
    assert category_of("GPL-2.0-only WITH Linux-syscall-note") == "strong_copyleft"
    assert category_of("Apache-2.0 WITH LLVM-exception") == "permissive"


def test_table_is_broad_and_uses_known_categories() -> None:
    table = category_table()
    assert len(table) > 500  # every SPDX id LicenseDB knows
    assert set(table.values()) <= set(CATEGORIES)
    assert table["MIT"] == "permissive" and table["GPL-3.0-only"] == "strong_copyleft"


def test_is_allowed() -> None:
    assert is_allowed("permissive", ["permissive"])
    assert is_allowed("no_license", ["permissive", "no_license"])
    assert not is_allowed("strong_copyleft", ["permissive", "no_license"])
    assert not is_allowed(None, ["permissive"])  # null means unknown
    with pytest.raises(ConfigError, match="permisive"):
        is_allowed("permissive", ["permisive"])
