from __future__ import annotations

import pytest

from curate.filters.license.expression import classifier_to_spdx, to_spdx
from curate.filters.license.manifests import declared_license


@pytest.mark.parametrize(
    ("raw", "spdx"),
    [
        ("MIT", "MIT"),
        ("mit", "MIT"),
        ("MIT License", "MIT"),
        ("Apache 2.0", "Apache-2.0"),
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("Apache-2.0 OR BSD-3-Clause", "Apache-2.0 OR BSD-3-Clause"),
        ("MIT/Apache-2.0", "MIT OR Apache-2.0"),
        ("MIT or Apache 2.0", "MIT OR Apache-2.0"),
        ("GPLv3+", "GPL-3.0-or-later"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("GPL-3.0", "GPL-3.0-only"),
        ("LGPL v3", "LGPL-3.0-only"),
        ("GNU General Public License v3 or later (GPLv3+)", "GPL-3.0-or-later"),
        ("Mozilla Public License 2.0", "MPL-2.0"),
        ("BSD 2-Clause License", "BSD-2-Clause"),
        ("Python Software Foundation License", "PSF-2.0"),
        ("Public Domain", "LicenseRef-public-domain"),
        ("Proprietary", "LicenseRef-proprietary"),
        (
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
        ),
        ("see LICENSE file", None),
        ("", None),
        ("x" * 500, None),
    ],
)
def test_to_spdx(raw: str, spdx: str | None) -> None:
    assert to_spdx(raw) == spdx


def test_classifiers() -> None:
    assert classifier_to_spdx("License :: OSI Approved :: MIT License") == "MIT"
    assert classifier_to_spdx("License :: OSI Approved :: Apache Software License") == "Apache-2.0"
    assert (
        classifier_to_spdx("License :: OSI Approved :: GNU Affero General Public License v3")
        == "AGPL-3.0-only"
    )
    assert classifier_to_spdx("License :: OSI Approved") is None


@pytest.mark.parametrize(
    ("path", "text", "spdx"),
    [
        ("package.json", '{"name": "x", "license": "(MIT OR Apache-2.0)"}', "MIT OR Apache-2.0"),
        ("web/package.json", '{"licenses": [{"type": "ISC"}]}', "ISC"),
        ("composer.json", '{"license": ["MIT", "GPL-3.0-only"]}', "MIT OR GPL-3.0-only"),
        ("pyproject.toml", '[project]\nname = "x"\nlicense = "BSD-3-Clause"\n', "BSD-3-Clause"),
        ("pyproject.toml", '[project]\nlicense = {text = "MIT"}\n', "MIT"),
        ("pyproject.toml", '[tool.poetry]\nlicense = "LGPL-3.0-or-later"\n', "LGPL-3.0-or-later"),
        ("setup.cfg", "[metadata]\nname = x\nlicense = Apache 2.0\n", "Apache-2.0"),
        (
            "setup.py",
            'setup(name="x", license="GPLv2+",\n classifiers=["License :: OSI Approved :: '
            'GNU General Public License v2 or later (GPLv2+)"])',
            "GPL-2.0-or-later",
        ),
        (
            "PKG-INFO",
            "Metadata-Version: 2.4\nName: x\nLicense-Expression: MPL-2.0\n\nlong description",
            "MPL-2.0",
        ),
        (
            "Cargo.toml",
            '[package]\nname = "x"\nlicense = "MIT OR Apache-2.0"\n',
            "MIT OR Apache-2.0",
        ),
        ("x.gemspec", 'Gem::Specification.new do |s|\n  s.license = "MIT"\nend', "MIT"),
        (
            "pom.xml",
            "<project><licenses><license><name>The Apache Software License, Version 2.0</name>"
            "</license></licenses></project>",
            "Apache-2.0",
        ),
        (
            "x.nuspec",
            '<package><metadata><license type="expression">MIT</license></metadata></package>',
            "MIT",
        ),
    ],
)
def test_manifests(path: str, text: str, spdx: str) -> None:
    assert declared_license(path, text) == spdx


def test_versioned_declaration_beats_a_vague_name() -> None:
    pkg = (
        "Metadata-Version: 2.1\nName: x\nLicense: LGPL\n"
        "Classifier: License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)\n\n"
    )
    assert declared_license("PKG-INFO", pkg) == "LGPL-3.0-only"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("package.json", "{not json"),
        ("package.json", '{"license": 42}'),
        ("pyproject.toml", "[project\n"),
        ("setup.cfg", "no section header"),
        ("Cargo.toml", '[package]\nlicense-file = "LICENSE"\n'),
        ("README.md", "MIT"),
    ],
)
def test_bad_or_silent_manifests_give_nothing(path: str, text: str) -> None:
    assert declared_license(path, text) is None
