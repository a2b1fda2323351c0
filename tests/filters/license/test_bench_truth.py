"""The ground-truth rule of the real-archive benchmark (benchmarks/bench_license.py): what a
package's own metadata declares, on PKG-INFO / pyproject.toml texts written here."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

import bench_license

_BSD = "Classifier: License :: OSI Approved :: BSD License\n"
_APACHE = "Classifier: License :: OSI Approved :: Apache Software License\n"


def _pkg_info(*classifiers: str, license_field: str | None = None) -> str:
    head = "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"
    if license_field:
        head += f"License: {license_field}\n"
    return head + "".join(classifiers) + "\nlong description\n"


def test_family_only_classifier_made_precise_by_pyproject() -> None:
    pyproject = '[project]\nname = "pkg"\nlicense.text = "BSD-2-Clause"\n'
    assert bench_license.truth_from_sdist(_pkg_info(_BSD), pyproject)[0] == "BSD-2-Clause"
    # a PEP 639 expression naming the same licenses by family
    pep639 = '[project]\nname = "pkg"\nlicense = "Apache-2.0 OR BSD-2-Clause"\n'
    got = bench_license.truth_from_sdist(_pkg_info(_APACHE, _BSD), pep639)[0]
    assert got == "Apache-2.0 OR BSD-2-Clause"


def test_pyproject_does_not_override_other_statements() -> None:
    # without a pyproject statement the family-only classifier keeps its guess
    assert bench_license.truth_from_sdist(_pkg_info(_BSD), None)[0] == "BSD-3-Clause"
    assert (
        bench_license.truth_from_sdist(
            _pkg_info(_BSD), '[project]\nlicense = {file = "LICENSE"}\n'
        )[0]
        == "BSD-3-Clause"
    )
    # other licenses than the classifiers name: not a refinement
    mit = '[project]\nlicense.text = "MIT"\n'
    assert bench_license.truth_from_sdist(_pkg_info(_BSD), mit)[0] == "BSD-3-Clause"
    # a versioned classifier or License field is precise already
    mit_field = _pkg_info("Classifier: License :: OSI Approved :: MIT License\n")
    assert bench_license.truth_from_sdist(mit_field, mit)[0] == "MIT"
    gpl = _pkg_info(license_field="GPL-3.0-only")
    assert bench_license.truth_from_sdist(gpl, '[project]\nlicense = "GPL-2.0-only"\n')[0] == (
        "GPL-3.0-only"
    )
    assert bench_license.truth_from_sdist(_pkg_info(_BSD), "not [valid toml")[0] == "BSD-3-Clause"
