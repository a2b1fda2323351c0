"""The repository headline: the root license (root license files + root manifests, reconciled
and simplified); sub-folder licenses and left-out root texts listed beside it, never ANDed in."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from curate.filters.license import detect_files, detect_repo
from curate.filters.license.categories import category_of
from curate.filters.license.detect import Subtree
from curate.filters.license.expression import simplify
from curate.filters.license.families import family, refines
from tests.support.license_synth import FULL_TEXT_IDS, render

PKG_INFO = "Metadata-Version: 2.1\nName: x\nVersion: 1.0\n{fields}\n\n"


def _pkg_info(*fields: str) -> str:
    return PKG_INFO.format(fields="\n".join(fields))


def _package_json(spdx: str) -> str:
    return f'{{"name": "x", "version": "1.0.0", "license": "{spdx}"}}'


def _vendored_repo(license_text: Callable[..., str]) -> dict[str, str]:
    return {
        "LICENSE": license_text("MIT"),
        "src/index.js": "module.exports = 1;\n",
        "tests/data/LICENSE": license_text("CC0-1.0", seed=3),
        "tests/data/sample.json": '{"a": 1}\n',
        "vendor/bsdlib/LICENSE": license_text("BSD-3-Clause", seed=4, holder="ACME Widgets, Inc."),
        "vendor/bsdlib/lib.js": "exports.x = 2;\n",
    }


@pytest.mark.parametrize("manifest", [None, _package_json("MIT")])
def test_subtree_licenses_are_listed_not_anded(
    license_text: Callable[..., str], manifest: str | None
) -> None:
    files = _vendored_repo(license_text)
    if manifest:
        files["package.json"] = manifest
    repo, per_file = detect_files(files)
    assert (repo.repo.spdx, repo.repo.category) == ("MIT", "permissive")
    assert repo.subtrees == (
        Subtree("tests/data", "CC0-1.0"),
        Subtree("vendor/bsdlib", "BSD-3-Clause"),
    )
    # file-level verdicts still follow each file's own folder
    assert per_file["src/index.js"].spdx == "MIT"
    assert per_file["tests/data/sample.json"].spdx == "CC0-1.0"
    lib = per_file["vendor/bsdlib/lib.js"]
    assert (lib.spdx, lib.evidence) == ("BSD-3-Clause", "vendor/bsdlib/LICENSE text match")


def test_subtree_with_the_headline_license_is_not_listed(license_text: Callable[..., str]) -> None:
    files = {"LICENSE": license_text("MIT"), "examples/demo/LICENSE": license_text("MIT", seed=2)}
    repo = detect_repo(files)
    assert repo.repo.spdx == "MIT" and repo.subtrees == ()


def test_declared_license_picks_among_root_texts(license_text: Callable[..., str]) -> None:
    # one LICENSE with the package's MIT text and a CC0 waiver for documentation samples
    waiver = "Sample code in the documentation is waived under:\n\n" + license_text("CC0-1.0")
    files = {"LICENSE": license_text("MIT") + "\n\n" + waiver, "src/a.js": "x;\n"}
    undeclared = detect_repo(files)
    assert undeclared.repo.spdx == "MIT AND CC0-1.0"  # nothing says which: both, conservatively
    files["package.json"] = _package_json("MIT")
    declared = detect_repo(files)
    assert declared.repo.spdx == "MIT"
    assert "package.json license field" in declared.repo.evidence
    assert declared.subtrees == (Subtree("LICENSE", "CC0-1.0"),)


def test_leaving_out_a_license_never_makes_the_headline_more_permissive(
    license_text: Callable[..., str],
) -> None:
    files = {
        "LICENSE": license_text("MIT"),
        "COPYING": license_text("GPL-3.0-only"),
        "package.json": _package_json("MIT"),
    }
    repo = detect_repo(files).repo
    assert repo.category == "strong_copyleft" and "GPL-3.0-only" in repo.spdx
    # a declaration naming a license no root text shows does not override the texts
    files = {"COPYING": license_text("GPL-2.0-only"), "package.json": _package_json("MIT")}
    assert detect_repo(files).repo.spdx == "GPL-2.0-only"


def _python_stack(seed: int = 0) -> str:
    return "Copyright (c) 2001 PSF\n\n" + render("Python-2.0.1", random.Random(seed), 0.0)


def test_psf_family_declared_id_wins() -> None:
    stack = _python_stack()
    assert detect_repo({"LICENSE": stack}).repo.spdx == "Python-2.0.1"  # the text alone
    classifier = "Classifier: License :: OSI Approved :: Python Software Foundation License"
    repo = detect_repo({"LICENSE": stack, "PKG-INFO": _pkg_info(classifier)}).repo
    assert (repo.spdx, repo.category) == ("PSF-2.0", "permissive")
    pyproject = '[project]\nname = "x"\nlicense = "Python-2.0"\n'
    assert detect_repo({"LICENSE": stack, "pyproject.toml": pyproject}).repo.spdx == "Python-2.0"


def test_psf_stack_with_0bsd_for_doc_examples() -> None:
    text = (
        _python_stack()
        + "\n\nExamples in the documentation are dual licensed under the PSF License "
        + "Agreement and the Zero-Clause BSD license:\n\n"
        + render("0BSD", random.Random(1), 0.0)
    )
    assert detect_repo({"LICENSE": text}).repo.spdx == "Python-2.0.1 OR 0BSD"
    pkg = _pkg_info("License-Expression: PSF-2.0")
    repo = detect_repo({"LICENSE": text, "PKG-INFO": pkg})
    assert repo.repo.spdx == "PSF-2.0"
    assert repo.subtrees == (Subtree("LICENSE", "0BSD"),)


def test_family_does_not_cross_licenses(license_text: Callable[..., str]) -> None:
    # a PSF declaration does not rename an MIT text, an MIT declaration does not rename PSF
    pkg = _pkg_info("License-Expression: PSF-2.0")
    assert detect_repo({"LICENSE": license_text("MIT"), "PKG-INFO": pkg}).repo.spdx == "MIT"
    mit = _pkg_info("License-Expression: MIT")
    assert detect_repo({"LICENSE": _python_stack(), "PKG-INFO": mit}).repo.spdx == "Python-2.0.1"


def test_family_table() -> None:
    assert {family(i) for i in ("PSF-2.0", "Python-2.0", "Python-2.0.1", "CNRI-Python")} == {
        "Python"
    }
    assert family("BSD-2-Clause-Patent") == family("BSD-3-Clause") == "BSD"
    assert family("MIT") == "MIT" and family("MIT-0") == "MIT-0"
    assert refines("PSF-2.0", "Python-2.0.1") and refines("Python-2.0", "PSF-2.0")
    assert refines("LGPL-2.0-or-later", "LGPL-2.1-only")  # the 2.1 text shipped for "LGPLv2+"
    assert refines("GPL-3.0-or-later", "GPL-3.0-only")
    assert not refines("GPL-3.0-or-later", "GPL-2.0-only")  # not a later version
    assert not refines("GPL-2.0-only", "GPL-3.0-only")
    assert not refines("LGPL-2.1-or-later", "GPL-2.0-only")
    assert not refines("MIT", "MIT-0") and not refines("PSF-2.0", "0BSD")


def test_vague_family_name_keeps_the_texts_member(license_text: Callable[..., str]) -> None:
    bsd2 = license_text("BSD-2-Clause")
    vague = _pkg_info("Classifier: License :: OSI Approved :: BSD License")
    assert detect_repo({"LICENSE": bsd2, "PKG-INFO": vague}).repo.spdx == "BSD-2-Clause"
    exact = _pkg_info("License: BSD-3-Clause")
    assert detect_repo({"LICENSE": bsd2, "PKG-INFO": exact}).repo.spdx == "BSD-3-Clause"


def test_gnu_or_later_declaration_refines_the_shipped_text(
    license_text: Callable[..., str],
) -> None:
    lgpl21 = license_text("LGPL-2.1-only")
    assert detect_repo({"COPYING": lgpl21}).repo.spdx == "LGPL-2.1-only"
    classifier = (
        "Classifier: License :: OSI Approved :: "
        "GNU Lesser General Public License v2 or later (LGPLv2+)"
    )
    pkg = _pkg_info("License: LGPL", classifier)
    assert detect_repo({"COPYING": lgpl21, "PKG-INFO": pkg}).repo.spdx == "LGPL-2.0-or-later"
    later = _pkg_info("License-Expression: LGPL-3.0-or-later")  # a later version: texts win
    assert detect_repo({"COPYING": lgpl21, "PKG-INFO": later}).repo.spdx == "LGPL-2.1-only"


def test_dual_licensed_root_stays_an_or(license_text: Callable[..., str]) -> None:
    files = {
        "LICENSE-MIT": license_text("MIT"),
        "LICENSE-APACHE": license_text("Apache-2.0"),
        "Cargo.toml": '[package]\nname = "x"\nlicense = "MIT OR Apache-2.0"\n',
        "vendor/gpl/COPYING": license_text("GPL-2.0-only"),
    }
    repo = detect_repo(files)
    assert (repo.repo.spdx, repo.repo.category) == ("MIT OR Apache-2.0", "permissive")
    assert repo.subtrees == (Subtree("vendor/gpl", "GPL-2.0-only"),)
    # two classifiers (no operator of their own) keep the texts' OR
    files["LICENSE"] = "Available under either of LICENSE-MIT or LICENSE-APACHE, at your option.\n"
    del files["Cargo.toml"]
    files["PKG-INFO"] = _pkg_info(
        "Classifier: License :: OSI Approved :: MIT License",
        "Classifier: License :: OSI Approved :: Apache Software License",
    )
    assert detect_repo(files).repo.spdx == "Apache-2.0 OR MIT"


def test_headline_is_simplified() -> None:
    assert simplify("(Apache-2.0 OR BSD-3-Clause) AND BSD-3-Clause") == "BSD-3-Clause"
    assert simplify("MIT AND MIT") == "MIT"
    assert simplify("MIT OR Apache-2.0") == "MIT OR Apache-2.0"  # nothing to remove: author order
    assert simplify("GPL-2.0-only WITH Classpath-exception-2.0 AND MIT") == (
        "GPL-2.0-only WITH Classpath-exception-2.0 AND MIT"
    )


def test_monorepo_without_root_license_lists_its_packages(
    license_text: Callable[..., str],
) -> None:
    files = {"a/LICENSE": license_text("MIT"), "b/LICENSE": license_text("MIT", seed=1)}
    repo = detect_repo(files)
    assert repo.repo.spdx == "MIT" and repo.subtrees == ()  # simplified, nothing beside it
    files["c/COPYING"] = license_text("GPL-2.0-only")
    repo = detect_repo(files)
    assert repo.repo.category == "strong_copyleft"
    assert Subtree("c", "GPL-2.0-only") in repo.subtrees


def test_generated_repositories_accuracy() -> None:
    """Generated repositories: every common license at the root, with or without a matching
    manifest, or with a misleading MIT manifest; vendored and test-data folders under other
    licenses. The headline is the root's license, and no non-permissive root is ever called
    permissive."""
    rng = random.Random(7)
    hits = total = loosened = 0
    for k, root in enumerate(FULL_TEXT_IDS):
        for manifest in ("none", "same", "misleading"):
            text = f"Copyright (c) 2020 Jane Q. Hacker\n\n{render(root, rng, 0.0)}\n"
            sub = rng.choice([i for i in FULL_TEXT_IDS if i != root])
            files = {
                "LICENSE": text,
                "src/main.py": "print(1)\n",
                f"vendor/lib{k}/LICENSE": render(sub, rng, 0.0),
                "tests/fixtures/LICENSE": render("CC0-1.0", rng, 0.0),
            }
            if manifest == "same":
                files["package.json"] = _package_json(root)
            elif manifest == "misleading":
                files["package.json"] = _package_json("MIT")
            repo = detect_repo(files)
            headline = repo.repo
            total += 1
            hits += headline.spdx == root
            loosened += category_of(root) != "permissive" and headline.category == "permissive"
            assert Subtree(f"vendor/lib{k}", sub) in repo.subtrees
    assert loosened == 0
    assert hits == total, f"{hits}/{total}"
