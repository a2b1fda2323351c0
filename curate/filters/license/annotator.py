"""``license@1``: every document gets its license, category, confidence and evidence.

``begin_shard`` reads only the shard's license-relevant files (license files, manifests,
READMEs; a repository never spans shards) and resolves each repository's directory licenses
once; ``annotate`` then adds per-file evidence (SPDX line, header comment, using the batch's
shared tree-sitter tree) and falls back to the inherited directory license. Every row also
carries its repository's headline (``license_repo_spdx``) and the licenses beside it
(``license_subtrees``: sub-folders with their own license, root license texts the declared
license leaves out). A file with no license evidence of its own or its repository's takes the
export's ``source_licenses`` (``license_method = "export_metadata"``).
"""

from __future__ import annotations

from posixpath import dirname

import polars as pl
import pyarrow as pa

from curate.engine.annotator import (
    Annotator,
    AnnotatorConfig,
    BatchContext,
    register,
)
from curate.filters.license.detect import (
    RepoLicenses,
    Verdict,
    detect_file,
    detect_repo,
    file_head_state,
    is_license_relevant,
    metadata_verdict,
    relevant_names,
)
from curate.filters.license.headers import HeadState, head_gate, may_mention_license
from curate.filters.license.similarity import references
from curate.filters.license.textmatch import scanner

SUBTREES = pa.list_(pa.struct([pa.field("path", pa.string()), pa.field("spdx", pa.string())]))

LICENSE_SCHEMA = pa.schema(
    [
        pa.field("license_spdx", pa.string()),
        pa.field("license_category", pa.string()),
        pa.field("license_confidence", pa.float64()),
        pa.field("license_evidence", pa.string()),
        pa.field("license_method", pa.string()),
        pa.field("license_repo_spdx", pa.string()),
        pa.field("license_subtrees", SUBTREES),
    ]
)


class LicenseConfig(AnnotatorConfig):
    scan_headers: bool = True
    """Look at each file's SPDX line / header comment (off: files only inherit)."""


@register
class LicenseAnnotator(Annotator):
    name = "license"
    version = 1
    uses_trees = True
    Config = LicenseConfig
    output_schema = LICENSE_SCHEMA

    def __init__(self, config: LicenseConfig | None = None):
        super().__init__(config)
        self._repos: dict[str, RepoLicenses] = {}
        self._heads: tuple[pa.RecordBatch, list[HeadState]] | None = None

    def setup(self) -> None:
        scanner()
        head_gate()
        references()  # the similarity index (disk-cached): built here, not on a first file

    def begin_shard(self, documents: pl.LazyFrame) -> None:
        # Only license files, manifests and READMEs are read in full; the path column decides
        # (a vectorised superset of the names first, ``is_license_relevant`` on those).
        rows = documents.with_row_index("_row")
        named = rows.filter(pl.col("path").str.contains(relevant_names())).select("_row", "path")
        wanted = [row for row, path in named.collect().iter_rows() if is_license_relevant(path)]
        relevant = rows.filter(pl.col("_row").is_in(wanted)).select("repo", "path", "content")
        by_repo: dict[str, dict[str, str]] = {}
        for repo, path, content in relevant.collect().iter_rows():
            by_repo.setdefault(repo, {})[path] = content or ""
        self._repos = {repo: detect_repo(files) for repo, files in by_repo.items()}

    def tree_rows(self, ctx: BatchContext) -> list[int]:
        """Files whose head mentions a license without an SPDX line (~28% of the e2e bytes).
        The head states are kept for this batch's ``annotate`` (not computed twice)."""
        if not self.config.scan_headers:  # type: ignore[attr-defined]
            return []
        paths, contents = ctx.column("path"), ctx.contents
        may = may_mention_license(ctx.batch.column("content")).tolist()
        states: list[HeadState] = [
            file_head_state(paths[i], contents[i] or "") if may[i] else False
            for i in range(len(ctx))
        ]
        self._heads = (ctx.batch, states)
        return [i for i, state in enumerate(states) if state is True]

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        config: LicenseConfig = self.config  # type: ignore[assignment]
        heads, self._heads = self._heads, None  # never hold a batch past its annotate
        states = heads[1] if heads is not None and heads[0] is ctx.batch else None
        return self._verdicts(ctx, scan_headers=config.scan_headers, heads=states)

    def annotate_oversize(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        """Files over the size guard are not read: they get their repository's verdict."""
        return self._verdicts(ctx, scan_headers=False)

    def _verdicts(
        self, ctx: BatchContext, *, scan_headers: bool, heads: list[HeadState] | None = None
    ) -> pa.RecordBatch:
        repos, paths = ctx.column("repo"), ctx.column("path")
        contents = ctx.contents if scan_headers else None
        metadata = (
            ctx.column("source_licenses") if "source_licenses" in ctx.batch.schema.names else None
        )
        empty = RepoLicenses()
        inherited: dict[tuple[str, str], Verdict] = {}  # (repo, folder): what its files inherit
        from_metadata: dict[tuple[str, ...], Verdict | None] = {}
        verdicts: list[Verdict] = []
        for i in range(len(ctx)):
            repo_name, path = repos[i], paths[i]
            repo = self._repos.get(repo_name, empty)
            if contents is not None and (heads is None or heads[i] is not False):
                verdict = detect_file(
                    path,
                    contents[i] or "",
                    repo,
                    tree=lambda i=i: ctx.tree(i, need_source=False),
                    head=None if heads is None else heads[i],
                )
            else:  # no header evidence: the folder's inherited verdict (detect_file's fallback)
                key = (repo_name, dirname(path))
                verdict = inherited.get(key)  # type: ignore[assignment]
                if verdict is None:
                    verdict = inherited[key] = repo.for_path(path)
            if verdict.spdx is None and metadata is not None and metadata[i]:
                # precedence: file header > repository license > export metadata
                listed = tuple(metadata[i])
                if listed not in from_metadata:
                    from_metadata[listed] = metadata_verdict(listed)
                verdict = from_metadata[listed] or verdict
            verdicts.append(verdict)
        return self._columns(verdicts, repos, empty)

    def _columns(
        self, verdicts: list[Verdict], repos: list[str], empty: RepoLicenses
    ) -> pa.RecordBatch:
        """The output batch: each distinct verdict and repository headline built once, the
        rows taken from them (rows repeat a handful of verdicts)."""
        distinct: dict[int, int] = {}
        rows = pa.array([distinct.setdefault(id(v), len(distinct)) for v in verdicts], pa.int64())
        unique = list({id(v): v for v in verdicts}.values())
        names: dict[str, int] = {}
        repo_rows = pa.array([names.setdefault(r, len(names)) for r in repos], pa.int64())
        heads = [self._repos.get(name, empty) for name in names]
        subtrees = [[{"path": s.path, "spdx": s.spdx} for s in r.subtrees] for r in heads]
        fields = {f.name: f.type for f in LICENSE_SCHEMA}
        columns = [
            pa.array([getattr(v, attr) for v in unique], fields[name]).take(rows)
            for name, attr in _VERDICT_COLUMNS
        ]
        columns.append(pa.array([r.repo.spdx for r in heads], pa.string()).take(repo_rows))
        columns.append(pa.array(subtrees, SUBTREES).take(repo_rows))
        return pa.RecordBatch.from_arrays(columns, schema=LICENSE_SCHEMA)


_VERDICT_COLUMNS = (
    ("license_spdx", "spdx"),
    ("license_category", "category"),
    ("license_confidence", "confidence"),
    ("license_evidence", "evidence"),
    ("license_method", "method"),
)
