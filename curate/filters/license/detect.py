"""Repository- and file-level license detection over ``{path: text}``: the matching core shared
by the ``license@1`` annotator and ``curate license``.

Evidence, strongest first: license files (``LICENSE*``, ``COPYING*``, ``LICENCE*``,
``UNLICENSE``, ``NOTICE``, ``LICENSES/*``) matched by template; package manifests; a README's
license section. Each directory with evidence governs its subtree. The repository's headline is
the root's license: its license files and manifests, reconciled (``families.reconcile``: the
manifest says which of the root's license texts is the package's license, the texts say which
member of a family) and simplified; licenses of sub-folders (vendored code, test data, docs) and
root license texts the declaration leaves out are listed beside it (``RepoLicenses.subtrees``),
never ANDed into it. Without root evidence the shallowest directories with evidence are combined
with AND (a monorepo). A file's own ``SPDX-License-Identifier:`` line or license header
overrides what it inherits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from posixpath import basename, dirname
from typing import Any

from curate.filters.license.categories import category_of
from curate.filters.license.expression import equivalent, license_ids, simplify, to_spdx
from curate.filters.license.families import reconcile
from curate.filters.license.headers import HeadState, file_license, head_state
from curate.filters.license.manifests import (
    READERS,
    SUFFIX_READERS,
    Declaration,
    declaration,
    reader_for,
)
from curate.filters.license.similarity import closest_license
from curate.filters.license.textmatch import drop_implied, match_text_cached

UNKNOWN = "LicenseRef-unknown"

_LICENSE_NAME = re.compile(r"^(un)?licen[cs]es?|^copying|^notice|^copyright|^legal$", re.I)
_CODE_EXT = re.compile(
    r"\.(py|pyi|js|mjs|ts|tsx|jsx|go|rs|c|h|cc|cpp|hpp|java|kt|rb|php|cs|swift|scala|json|ya?ml|"
    r"toml|xml|html?|css|sh|pl|lua|r|m|ex|exs|erl|hs|ml|dart|vue|svelte|sql|cfg|ini|in|pyc|"
    r"png|jpe?g|gif|svg|ico|pdf)$",
    re.I,
)
_README = re.compile(r"^readme(\.(md|markdown|rst|txt|adoc|org))?$", re.I)
_STRONG_NAMES = re.compile(r"^(un)?licen[cs]e|^copying", re.I)


def is_license_file(path: str) -> bool:
    name = basename(path)
    if "/LICENSES/" in f"/{path}" and not _CODE_EXT.search(name):
        return True
    return bool(_LICENSE_NAME.match(name)) and not _CODE_EXT.search(name)


def is_readme(path: str) -> bool:
    return bool(_README.match(basename(path)))


def is_license_relevant(path: str) -> bool:
    """Files the repository-level detection reads (everything else is only header-scanned)."""
    return is_license_file(path) or is_readme(path) or reader_for(path) is not None


def relevant_names() -> str:
    """A case-insensitive regular expression (Rust ``regex`` syntax, for a polars filter) found
    in every path ``is_license_relevant`` picks: the words the license-file and README names
    start with, the manifest names and suffixes. Paths without it are never read."""
    words = ["licen", "copying", "notice", "copyright", "legal", "readme"]
    names = [re.escape(name) for name in (*READERS, *SUFFIX_READERS)]
    return "(?i)" + "|".join([*words, *names])


@dataclass(frozen=True)
class Evidence:
    path: str
    method: str
    """``license_file`` (template match), ``similarity`` (close variant of a reference text),
    ``manifest``, ``statement`` (a license-named page about the license: "*x* is licensed under
    the MIT license"), ``readme``, ``spdx_identifier``, ``header`` or ``export_metadata`` (the
    export's own license columns, ``source_licenses``)."""
    spdx: str


_METHOD_WORDS = {
    "license_file": "text match",
    "similarity": "similar text",
    "manifest": "license field",
    "statement": "license statement",
    "readme": "license section",
    "spdx_identifier": "SPDX-License-Identifier",
    "header": "header",
    "export_metadata": "export metadata",
    "none": "no license evidence",
}


@dataclass(frozen=True)
class Verdict:
    spdx: str | None
    category: str
    confidence: float
    method: str
    evidence: str
    """Readable: ``LICENSE text match``, ``package.json license field``, ``src/x.c header``."""
    sources: tuple[Evidence, ...] = ()
    excluded: tuple[Evidence, ...] = ()
    """License texts in this directory whose licenses the declared license leaves out (one
    entry per file and id): listed beside the headline, not part of it."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "spdx": self.spdx,
            "category": self.category,
            "confidence": self.confidence,
            "method": self.method,
            "evidence": self.evidence,
        }


NO_LICENSE = Verdict(None, "no_license", 0.8, "none", "no license evidence")


def _verdict(
    spdx: str, confidence: float, sources: list[Evidence], excluded: tuple[Evidence, ...] = ()
) -> Verdict:
    main = sources[0]
    evidence = ", ".join(f"{e.path} {_METHOD_WORDS[e.method]}" for e in sources)
    return Verdict(
        spdx,
        category_of(spdx),
        round(confidence, 3),
        main.method,
        evidence,
        tuple(sources),
        excluded,
    )


@dataclass(frozen=True)
class Subtree:
    """A license in the repository that is not its headline: a sub-folder's own license
    (``path`` is the folder) or a root license text the declared license leaves out (``path``
    is the file)."""

    path: str
    spdx: str


@dataclass
class RepoLicenses:
    """Per-directory verdicts of one repository ('' is the repository root)."""

    dirs: dict[str, Verdict] = field(default_factory=dict)

    @property
    def repo(self) -> Verdict:
        """The repository's headline: the root's license; without root evidence, the
        shallowest directories with evidence (a monorepo's packages) combined with AND."""
        if not self.dirs:
            return NO_LICENSE
        depth = min(_depth(d) for d in self.dirs)
        top = [v for d, v in sorted(self.dirs.items()) if _depth(d) == depth]
        if len(top) == 1:
            return top[0]
        known = [v for v in top if v.spdx]
        spdx = simplify(" AND ".join(f"({v.spdx})" for v in known))
        sources = [e for v in known for e in v.sources]
        conf = min(v.confidence for v in known)
        return _verdict(spdx or UNKNOWN, conf, sources) if sources else NO_LICENSE

    @property
    def subtrees(self) -> tuple[Subtree, ...]:
        """Licenses beside the headline: root license texts the declared license leaves out,
        then every sub-folder whose own license differs from the headline (sorted by path)."""
        root = self.dirs.get("")
        out = [Subtree(e.path, e.spdx) for e in root.excluded] if root else []
        headline = self.repo.spdx
        for d, v in sorted(self.dirs.items()):
            spdx = v.spdx or UNKNOWN
            if d and not (headline and equivalent(spdx, headline)):
                out.append(Subtree(d, spdx))
        return tuple(out)

    def for_path(self, path: str) -> Verdict:
        """The verdict a file inherits: its nearest ancestor directory with evidence, else the
        repository's."""
        d = dirname(path)
        while True:
            if d in self.dirs:
                return self.dirs[d]
            if not d:
                return self.repo
            d = dirname(d)


def _depth(d: str) -> int:
    return 0 if not d else d.count("/") + 1


def detect_repo(files: Mapping[str, str]) -> RepoLicenses:
    """Directory-level licenses of one repository from its license files, manifests, READMEs.
    ``files`` may hold every file or only those ``is_license_relevant`` picks."""
    by_dir: dict[str, list[str]] = {}
    for path in files:
        if is_license_relevant(path):
            folder = dirname(path)
            if is_license_file(path) and basename(folder).upper() == "LICENSES":
                folder = dirname(folder)  # REUSE layout: LICENSES/<id>.txt
            by_dir.setdefault(folder, []).append(path)
    result = RepoLicenses()
    for folder, paths in by_dir.items():
        verdict = _directory_verdict(sorted(paths), files)
        if verdict is not None:
            result.dirs[folder] = verdict
    return result


def _directory_verdict(paths: list[str], files: Mapping[str, str]) -> Verdict | None:
    texts: list[tuple[Evidence, float]] = []
    unknown_files: list[str] = []
    manifests: list[tuple[Evidence, Declaration]] = []
    readmes: list[tuple[Evidence, float]] = []
    statements: list[Evidence] = []
    choice = False
    for path in paths:
        text = files[path] or ""
        if is_license_file(path):
            result = match_text_cached(text)
            choice = choice or result.offers_choice
            if result.expression and result.coverage >= 0.5:
                texts.append((Evidence(path, "license_file", result.expression), result.coverage))
                continue
            # The templates reject the text as a whole: an edited full text is better judged by
            # similarity than by the notice it may contain (a GPL text's "or any later version"
            # appendix is not a statement about the work).
            # NOTICE / COPYRIGHT files are attributions, rarely whole licenses: no fallback.
            full_text_name = bool(_STRONG_NAMES.match(basename(path))) or "/LICENSES/" in f"/{path}"
            long_enough = len(text.split()) >= 20
            similar = closest_license(text) if full_text_name and long_enough else None
            if similar is not None:
                texts.append((Evidence(path, "similarity", similar.spdx), similar.ratio * 0.8))
            elif result.expression and result.matched_words >= 25:
                texts.append((Evidence(path, "license_file", result.expression), result.coverage))
            elif full_text_name and long_enough and has_terms(text):
                unknown_files.append(path)  # terms we cannot name: something restricts use
            elif full_text_name and long_enough:
                # no legal wording at all: a page about the license (docs/license.md), not terms
                stated = stated_license(text)
                if stated:
                    statements.append(Evidence(path, "statement", stated))
        elif reader_for(path) is not None:
            declared = declaration(path, text)
            if declared is not None:
                manifests.append((Evidence(path, "manifest", declared.spdx), declared))
        elif is_readme(path):
            found = readme_license(text)
            if found:
                readmes.append((Evidence(path, "readme", found[0]), found[1]))
    if texts:
        ids: list[str] = []
        for e, _ in texts:
            if e.spdx not in ids:
                ids.append(e.spdx)
        ids = drop_implied(ids)
        # Several license files combine with AND, unless a short license file (no full text of
        # its own, e.g. "available under either of LICENSE.APACHE or LICENSE.BSD") offers a choice.
        joiner = " OR " if choice else " AND "
        spdx = simplify(joiner.join(f"({i})" for i in ids)) or UNKNOWN
        sources = [e for e, _ in texts]
        confidence = min(c for _, c in texts)
        excluded: tuple[Evidence, ...] = ()
        for m, declared in manifests:  # the manifest says which texts are the package's
            reconciled = reconcile(spdx, declared)
            if reconciled is not None:
                spdx = reconciled.spdx
                sources.append(m)
                excluded = _left_out(texts, reconciled.dropped)
                break
        return _verdict(spdx, min(1.0, 0.5 + confidence / 2), sources, excluded)
    if manifests:
        spdx = manifests[0][0].spdx
        agree = sum(1 for m, _ in manifests if _families(m.spdx) == _families(spdx))
        conf = 0.85 if agree == len(manifests) else 0.7
        return _verdict(spdx, conf, [m for m, _ in manifests])
    if unknown_files:
        return _verdict(UNKNOWN, 0.3, [Evidence(p, "license_file", UNKNOWN) for p in unknown_files])
    if statements:
        return _verdict(statements[0].spdx, STATEMENT_CONFIDENCE, statements)
    if readmes:
        e, conf = readmes[0]
        return _verdict(e.spdx, conf, [e])
    return None


def _left_out(
    texts: list[tuple[Evidence, float]], dropped: tuple[str, ...]
) -> tuple[Evidence, ...]:
    """One entry per (license file, id) for the ids the headline leaves out."""
    return tuple(
        Evidence(e.path, e.method, i) for e, _ in texts for i in license_ids(e.spdx) if i in dropped
    )


def _families(expression: str) -> frozenset[str]:
    return frozenset(re.sub(r"-(only|or-later)$", "", i) for i in license_ids(expression))


_HEADING = re.compile(
    r"^(?:#{1,6}\s*(?P<md>[^\n]*licen[cs][^\n]*)$|(?P<rst>[^\n]*licen[cs][^\n]*)\n[=\-~^*#]{3,}\s*$)",
    re.I | re.M,
)
_NEXT_HEADING = re.compile(r"^(?:#{1,6}\s|\S[^\n]*\n[=\-~^*#]{3,}\s*$)", re.M)
_UNDER = re.compile(
    r"(?:licen[cs]ed|released|distributed|available|published|provided|licensing)\s+under\s+"
    r"(?:the\s+)?(?:terms\s+of\s+(?:the\s+)?)?(?P<name>[\w .+/-]{2,60}?)(?:\s+licen[cs]e\b|[.,;(\n])",
    re.I,
)
_LINK = re.compile(r"\[([^\]\n]{1,80})\]\([^)\s]*\)|`([^`<\n]{1,80}?)\s*<[^>\n]*>`_{1,2}")
"""A Markdown ``[text](url)`` or reST ```text <url>`_`` link: its text is what the prose says."""
_LEGAL_WORDS = re.compile(
    r"copyright|©|\(c\)|warrant|liabil|permission|permitted|rights|grant|distribut|trademark|"
    r"attribution|commercial|proprietary|prohibit|restrict|terms|conditions|may not|must not|"
    r"cannot|allowed|forbid|cop(y|ies)|modif|reproduc|sell|sublicen",
    re.I,
)
"""Wording of license terms. A license-named file the templates reject is an unknown license
only when it has some; without any it is a page about licensing (documentation, an API page)."""
STATEMENT_CONFIDENCE = 0.7
_BADGE = re.compile(r"img\.shields\.io/badge/licen[cs]e-([\w.+%]+?)-", re.I)


def readme_license(text: str) -> tuple[str, float] | None:
    """(SPDX expression, confidence) from a README's license section or a license badge."""
    m = _HEADING.search(text)
    if m:
        start = m.end()
        nxt = _NEXT_HEADING.search(text, start + 1)
        section = text[start : nxt.start() if nxt else start + 4000][:4000]
        result = match_text_cached(section)
        if result.expression and result.matched_words >= 12:
            return result.expression, 0.8
        spdx = stated_license(section)
        if spdx:
            return spdx, 0.7
        first = next((line.strip(" *_`[]") for line in section.splitlines() if line.strip()), "")
        if len(first.split()) <= 6:  # a bare name: "MIT", "Apache License 2.0"
            spdx = to_spdx(first.rstrip("."))
            if spdx:
                return spdx, 0.7
    b = _BADGE.search(text)
    if b:
        spdx = to_spdx(b.group(1).replace("%20", " ").replace("--", "-"))
        if spdx:
            return spdx, 0.6
    return None


def _unlinked(text: str) -> str:
    return _LINK.sub(lambda m: m.group(1) or m.group(2), text)


def has_terms(text: str) -> bool:
    """Does ``text`` word license terms (``_LEGAL_WORDS``) outside its "licensed under (the
    terms of) the X license" sentences? Those name a license, they do not state terms."""
    return bool(_LEGAL_WORDS.search(_UNDER.sub(" ", _unlinked(text))))


def stated_license(text: str) -> str | None:
    """The license a sentence names: "licensed / released / distributed under the X license"
    (link markup read as its text: "licensed under the [MIT](url) license")."""
    for u in _UNDER.finditer(_unlinked(text)):
        spdx = to_spdx(u.group("name"))
        if spdx:
            return spdx
    return None


def file_head_state(path: str, content: str) -> HeadState:
    """What ``detect_file`` learns from the file's head (True: it will read the tree)."""
    return False if is_license_file(path) else head_state(content)


def detect_file(
    path: str,
    content: str,
    repo: RepoLicenses,
    *,
    tree: Any | None = None,
    head: HeadState | None = None,
) -> Verdict:
    """One file's license: its own SPDX line or header, else what its directory inherits.
    ``head``: ``file_head_state`` if already known."""
    own = file_license(content, tree, head) if not is_license_file(path) else None
    if own is not None:
        return _verdict(own.spdx, own.confidence, [Evidence(path, own.method, own.spdx)])
    return repo.for_path(path)


def detect_files(
    files: Mapping[str, str], paths: Iterable[str] | None = None
) -> tuple[RepoLicenses, dict[str, Verdict]]:
    """Repository verdicts plus one verdict per file (all files, or ``paths``)."""
    repo = detect_repo(files)
    chosen = files.keys() if paths is None else paths
    return repo, {p: detect_file(p, files[p], repo) for p in chosen}


METADATA_CONFIDENCE = 0.7
"""Below our own template matches: another tool's repository-level detection, not checked."""


def metadata_verdict(licenses: Iterable[str] | None) -> Verdict | None:
    """The verdict of an export's ``source_licenses`` (all of them apply: joined with AND);
    None when the list is empty. Ids we do not recognise stay visible as ``LicenseRef-unknown``."""
    ids = [to_spdx(item) or UNKNOWN for item in licenses or () if item]
    if not ids:
        return None
    unique = list(dict.fromkeys(ids))
    spdx = simplify(" AND ".join(f"({i})" for i in unique)) if len(unique) > 1 else unique[0]
    source = Evidence("source_licenses", "export_metadata", spdx or UNKNOWN)
    return _verdict(spdx or UNKNOWN, METADATA_CONFIDENCE, [source])
