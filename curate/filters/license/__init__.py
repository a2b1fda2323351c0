"""License detection and policy: repository and file licenses, categories, opt-out.

Public API::

    detect_repo(files) / detect_file(path, content, repo) / detect_files(files)  # matching core
    detect_repo(files).repo / .subtrees   # headline (root license) / licenses beside it
    match_text(text)            # template match of a license text or notice
    to_spdx(name)               # "Apache 2.0" / trove classifier / expression -> SPDX
    category_of(expression)     # permissive, weak_copyleft, strong_copyleft, ...
    category_table()            # SPDX id -> category
    is_allowed(category, allowed)
    OptOutList.load(path).match(repo)

Annotators ``license@1`` and ``optout@1`` register on import.
"""

from curate.filters.license.annotator import LICENSE_SCHEMA, LicenseAnnotator, LicenseConfig
from curate.filters.license.categories import (
    CATEGORIES,
    category_of,
    category_table,
    is_allowed,
)
from curate.filters.license.detect import (
    RepoLicenses,
    Subtree,
    Verdict,
    detect_file,
    detect_files,
    detect_repo,
    is_license_relevant,
)
from curate.filters.license.expression import to_spdx
from curate.filters.license.optout import OPTOUT_SCHEMA, OptOutAnnotator, OptOutConfig, OptOutList
from curate.filters.license.textmatch import match_text

__all__ = [
    "CATEGORIES",
    "LICENSE_SCHEMA",
    "OPTOUT_SCHEMA",
    "LicenseAnnotator",
    "LicenseConfig",
    "OptOutAnnotator",
    "OptOutConfig",
    "OptOutList",
    "RepoLicenses",
    "Subtree",
    "Verdict",
    "category_of",
    "category_table",
    "detect_file",
    "detect_files",
    "detect_repo",
    "is_allowed",
    "is_license_relevant",
    "match_text",
    "to_spdx",
]
