"""Repository and file-level detection over {path: text}."""

from __future__ import annotations

from collections.abc import Callable

from curate.filters.license import detect_files, detect_repo
from curate.filters.license.detect import is_license_file, readme_license
from tests.support.license_synth import HEADER_NOTICES


def test_license_file_names() -> None:
    for path in ["LICENSE", "LICENSE.md", "licence.txt", "COPYING", "COPYING.LESSER",
                 "LICENSE-MIT", "UNLICENSE", "NOTICE", "sub/dir/License.rst", "LICENSES/MIT.txt"]:  # fmt: skip
        assert is_license_file(path), path
    for path in ["license.py", "src/licenses.go", "LICENSE.json", "README.md", "main.c"]:
        assert not is_license_file(path), path


def test_repo_license_from_text_with_evidence(license_text: Callable[..., str]) -> None:
    repo = detect_repo({"LICENSE": license_text("MIT"), "src/a.py": "x = 1\n"}).repo
    assert (repo.spdx, repo.category, repo.method) == ("MIT", "permissive", "license_file")
    assert repo.evidence == "LICENSE text match"
    assert repo.confidence > 0.9


def test_text_beats_manifest_and_manifest_refines_choice(license_text: Callable[..., str]) -> None:
    files = {
        "LICENSE-MIT": license_text("MIT"),
        "LICENSE-APACHE": license_text("Apache-2.0"),
        "Cargo.toml": '[package]\nname = "x"\nlicense = "MIT OR Apache-2.0"\n',
    }
    repo = detect_repo(files).repo
    assert repo.spdx == "MIT OR Apache-2.0"
    assert "Cargo.toml license field" in repo.evidence
    # a manifest naming another license does not override the text
    files["Cargo.toml"] = '[package]\nlicense = "BSD-3-Clause"\n'
    assert detect_repo(files).repo.spdx == "Apache-2.0 AND MIT"


def test_gpl_text_with_misleading_manifest_stays_copyleft(license_text: Callable[..., str]) -> None:
    files = {"COPYING": license_text("GPL-3.0-only"), "package.json": '{"license": "MIT"}'}
    assert detect_repo(files).repo.category == "strong_copyleft"


def test_copying_lesser_is_lgpl(license_text: Callable[..., str]) -> None:
    files = {
        "COPYING": license_text("GPL-3.0-only"),
        "COPYING.LESSER": license_text("LGPL-3.0-only"),
    }
    repo = detect_repo(files).repo
    assert repo.spdx == "LGPL-3.0-only" and repo.category == "weak_copyleft"


def test_manifest_then_readme_then_nothing() -> None:
    assert detect_repo({"package.json": '{"license": "ISC"}'}).repo.spdx == "ISC"
    readme = "# tool\n\nDoes things.\n\n## License\n\nReleased under the MIT License.\n\n## Usage\n"
    repo = detect_repo({"README.md": readme}).repo
    assert (repo.spdx, repo.method, repo.evidence) == ("MIT", "readme", "README.md license section")
    none = detect_repo({"src/a.py": "print(1)\n"}).repo
    assert (none.spdx, none.category) == (None, "no_license")


def test_readme_section_with_notice_and_badge() -> None:
    section = "Intro\n\nLicense\n=======\n\n" + HEADER_NOTICES["GPL-3.0-or-later"] + "\n"
    assert readme_license(section) == ("GPL-3.0-or-later", 0.8)
    badge = "[![License](https://img.shields.io/badge/license-Apache%202.0-blue.svg)](LICENSE)"
    assert readme_license(badge)[0] == "Apache-2.0"
    assert readme_license("# Title\n\nNothing about terms here.\n") is None


def test_unrecognised_license_file_is_unknown_not_permissive() -> None:
    custom = "\n".join(["You may look at this code but you may not copy, modify or run it."] * 4)
    repo = detect_repo({"LICENSE": custom, "package.json": "{}"}).repo
    assert (repo.spdx, repo.category) == ("LicenseRef-unknown", "unknown")


def test_subtree_license_and_file_overrides(
    license_text: Callable[..., str], header_source: Callable[..., str]
) -> None:
    files = {
        "LICENSE": license_text("MIT"),
        "src/main.c": "int main(void) { return 0; }\n",
        "third_party/gplthing/COPYING": license_text("GPL-2.0-only"),
        "third_party/gplthing/lib/x.c": "int x;\n",
        "src/vendored.c": header_source("GPL-3.0-or-later"),
        "src/tagged.py": "# SPDX-License-Identifier: MPL-2.0\nx = 1\n",
    }
    repo, per_file = detect_files(files)
    assert repo.repo.spdx == "MIT"
    assert per_file["src/main.c"].spdx == "MIT"
    sub = per_file["third_party/gplthing/lib/x.c"]
    assert (sub.spdx, sub.evidence) == ("GPL-2.0-only", "third_party/gplthing/COPYING text match")
    header = per_file["src/vendored.c"]
    assert (header.spdx, header.method, header.evidence) == (
        "GPL-3.0-or-later", "header", "src/vendored.c header",
    )  # fmt: skip
    tagged = per_file["src/tagged.py"]
    assert (tagged.spdx, tagged.method) == ("MPL-2.0", "spdx_identifier")


def test_policy_reason_template_reads_well(header_source: Callable[..., str]) -> None:
    _, per_file = detect_files({"src/x.c": header_source("GPL-3.0-or-later")})
    v = per_file["src/x.c"]
    reason = f"license:{v.category}({v.spdx} from {v.evidence})"
    assert reason == "license:strong_copyleft(GPL-3.0-or-later from src/x.c header)"


def test_monorepo_without_root_license_combines_packages(license_text: Callable[..., str]) -> None:
    files = {"a/LICENSE": license_text("MIT"), "b/LICENSE": license_text("GPL-2.0-only")}
    repo = detect_repo(files).repo
    assert repo.spdx == "MIT AND GPL-2.0-only" and repo.category == "strong_copyleft"


def test_garbage_input_does_not_crash() -> None:
    files = {"LICENSE": "\x00\x01 binary junk \ufffd" * 100, "package.json": "[1, 2", "README": ""}
    repo = detect_repo(files).repo
    assert repo.category in {"unknown", "no_license"}


def test_license_named_page_without_terms_is_a_statement_or_nothing(
    license_text: Callable[..., str],
) -> None:
    """A documentation page named like a license file (docs/license.md, docs/licenses.rst)
    that holds no license terms is not an unknown license: its sentence naming the license is
    evidence, and a page without one (an API page about license helpers) is none."""
    files = {
        "LICENSE": license_text("Apache-2.0"),
        "docs/license.md": "# License and Credits\n\n*tool* is licensed under the "
        "[MIT](https://choosealicense.com/licenses/mit/) license. The full text is in the "
        "source repository. It is written and maintained by Jane and supported by her employer.\n",
        "docs/index.md": "# tool\n\nUsage notes for the tool and its command line options.\n",
        "api/licenses.rst": "Licenses\n========\n\n.. currentmodule:: tool.licenses\n\nHelpers "
        "that normalise SPDX expressions as defined in the specification.\n\n.. function:: "
        "canonicalize(raw)\n\n    Returns the normalised form of the expression given.\n",
        "api/index.rst": "API\n===\n\nReference of the public functions of the tool package.\n",
    }
    repo, per_file = detect_files(files)
    docs = repo.dirs["docs"]
    assert (docs.spdx, docs.method, docs.evidence) == (
        "MIT", "statement", "docs/license.md license statement",
    )  # fmt: skip
    assert per_file["docs/index.md"].spdx == "MIT"
    assert "api" not in repo.dirs and per_file["api/index.rst"].spdx == "Apache-2.0"
    assert [(s.path, s.spdx) for s in repo.subtrees] == [("docs", "MIT")]
    # reST link syntax and a copyleft name: the statement is taken as it is, never loosened
    gpl = detect_repo(
        {
            "LICENSE.rst": "The program is released under the `GPLv3 "
            "<https://www.gnu.org/licenses/>`_. See the web site for details on the "
            "project and its plans, and on how to take part in its development."
        }
    )
    assert (gpl.repo.spdx, gpl.repo.category) == ("GPL-3.0-only", "strong_copyleft")
    # "under the terms of" belongs to the statement, it states no terms of its own
    terms_of = detect_repo(
        {
            "LICENSE.md": "This project is licensed under the terms of the "
            "Apache License 2.0. The text of the license can be read on the "
            "web site of the Apache Software Foundation for anyone."
        }
    ).repo
    assert (terms_of.spdx, terms_of.method) == ("Apache-2.0", "statement")


def test_license_named_file_with_terms_stays_unknown() -> None:
    """Wording of terms (grants, restrictions, warranties, trademarks) keeps an unrecognised
    license file unknown, even when it also names a license for a part of the work."""
    terms = [
        "Icons are licensed under the MIT license; brand icons are trademarks of their owners "
        "and must be used only to represent the company or product they refer to.",
        "Portions are released under the MIT license. All other files: you may look at the "
        "code but you may not run it in production, and it comes with no warranty whatsoever.",
        "This package is distributed under the Apache License and additional terms that the "
        "authors will publish later on their web site for all of their users to read.",
    ]
    for text in terms:
        repo = detect_repo({"LICENSE.txt": text}).repo
        assert (repo.spdx, repo.category) == ("LicenseRef-unknown", "unknown"), text


def test_relevant_names_find_every_relevant_path() -> None:
    """begin_shard reads only paths the polars filter ``relevant_names`` keeps: every path
    ``is_license_relevant`` picks must be among them."""
    import polars as pl

    from curate.filters.license.detect import is_license_relevant, relevant_names
    from curate.filters.license.manifests import READERS, SUFFIX_READERS

    names = ["LICENSE", "licence.txt", "COPYING.LESSER", "NOTICE", "Copyright", "LEGAL",
             "README.md", "readme.rst", "UNLICENSE", "Licenses.md", "foo.py", "LICENSE.py",
             *READERS, *(f"x{s}" for s in SUFFIX_READERS), "MIT.txt", "Apache-2.0"]  # fmt: skip
    paths = [f"{d}{n}" for d in ("", "a/", "LICENSES/", "x/LICENSES/", "src/y/") for n in names]
    kept = set(
        pl.DataFrame({"path": paths}).filter(pl.col("path").str.contains(relevant_names()))["path"]
    )
    relevant = {p for p in paths if is_license_relevant(p)}
    assert relevant <= kept and len(relevant) > 60
