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
    detect_file,
    detect_repo,
    file_head_state,
    is_license_relevant,
    metadata_verdict,
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
        # Only license files, manifests and READMEs are read in full; the path column decides.
        paths = documents.select("path").collect()["path"].to_list()
        wanted = [i for i, path in enumerate(paths) if is_license_relevant(path)]
        relevant = (
            documents.with_row_index("_row")
            .filter(pl.col("_row").is_in(wanted))
            .select("repo", "path", "content")
            .collect()
        )
        by_repo: dict[str, dict[str, str]] = {}
        for repo, path, content in relevant.iter_rows():
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
        repos, paths, contents = ctx.column("repo"), ctx.column("path"), ctx.contents
        has_metadata = "source_licenses" in ctx.batch.schema.names
        metadata = ctx.column("source_licenses") if has_metadata else None
        out: dict[str, list] = {f.name: [] for f in LICENSE_SCHEMA}
        empty = RepoLicenses()
        headline: dict[str, tuple[str | None, list[dict[str, str]]]] = {}
        for i in range(len(ctx)):
            repo = self._repos.get(repos[i], empty)
            if repos[i] not in headline:  # per repository, not per row
                subtrees = [{"path": s.path, "spdx": s.spdx} for s in repo.subtrees]
                headline[repos[i]] = (repo.repo.spdx, subtrees)
            if scan_headers:
                content = contents[i] or ""
                verdict = detect_file(
                    paths[i],
                    content,
                    repo,
                    tree=lambda i=i: ctx.tree(i, need_source=False),
                    head=None if heads is None else heads[i],
                )
            else:
                verdict = repo.for_path(paths[i])
            if verdict.spdx is None and metadata is not None and metadata[i]:
                # precedence: file header > repository license > export metadata
                verdict = metadata_verdict(metadata[i]) or verdict
            out["license_spdx"].append(verdict.spdx)
            out["license_category"].append(verdict.category)
            out["license_confidence"].append(verdict.confidence)
            out["license_evidence"].append(verdict.evidence)
            out["license_method"].append(verdict.method)
            out["license_repo_spdx"].append(headline[repos[i]][0])
            out["license_subtrees"].append(headline[repos[i]][1])
        return pa.RecordBatch.from_pydict(out, schema=LICENSE_SCHEMA)
