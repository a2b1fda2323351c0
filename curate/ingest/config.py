"""Typed, frozen ingest options (the ``[ingest]`` section of a pipeline recipe)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from curate.ingest.metadata import MetadataMapping
from curate.ingest.readers.blobs import BlobStoreConfig

VENDORED_DIRS: tuple[str, ...] = (
    "node_modules",
    "bower_components",
    "jspm_packages",
    "vendor",
    "vendors",
    "third_party",
    "third-party",
    "thirdparty",
    "3rdparty",
    ".venv",
    "venv",
    "site-packages",
    "dist-packages",
    "__pypackages__",
    ".tox",
    ".nox",
    ".eggs",
    "Pods",
    "Carthage",
    ".yarn",
    ".pnpm-store",
    ".bundle",
)

LOCK_FILES: tuple[str, ...] = (
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "Cargo.lock",
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "Gemfile.lock",
    "composer.lock",
    "go.sum",
    "mix.lock",
    "Podfile.lock",
    "packages.lock.json",
    "flake.lock",
    "pubspec.lock",
    "gradle.lockfile",
    "conan.lock",
)

VCS_DIRS: tuple[str, ...] = (".git", ".hg", ".svn", ".bzr")


class ColumnMapping(BaseModel):
    """Where an export row keeps each field. Names may be dotted to reach into nested objects
    (``metadata.path``). Only `content` is required in the data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    content: str = "content"
    path: str | None = "path"
    repo: str | None = "repo"
    ref: str | None = None
    id: str | None = Field(default=None, description="used as the path when the path is null")
    binary: str | None = Field(default=None, description="boolean column: true rows are binary")
    extra: dict[str, str] = Field(
        default_factory=dict, description="RawFile.extra key -> column, e.g. license, stars"
    )

    def top_level_columns(self) -> set[str]:
        names: Iterable[str | None] = (
            self.content,
            self.path,
            self.repo,
            self.ref,
            self.id,
            self.binary,
            *self.extra.values(),
        )
        return {n.split(".", 1)[0] for n in names if n}


PRESETS: dict[str, ColumnMapping] = {
    # bigcode/the-stack (v1, v1.1, dedup, smol): one row per file with its repository metadata.
    "the-stack": ColumnMapping(
        content="content",
        path="max_stars_repo_path",
        repo="max_stars_repo_name",
        ref="max_stars_repo_head_hexsha",
        id="hexsha",
        extra={
            "licenses": "max_stars_repo_licenses",
            "stars": "max_stars_count",
            "lang": "lang",
            "hexsha": "hexsha",
        },
    ),
    # bigquery-public-data.github_repos: `files` joined with `contents` on id (+ optional license).
    "bigquery": ColumnMapping(
        content="content",
        path="path",
        repo="repo_name",
        ref="ref",
        id="id",
        binary="binary",
        extra={"blob_id": "id", "copies": "copies", "license": "license"},
    ),
    # datatrove Document JSONL/Parquet: text, id, metadata{...}.
    "datatrove": ColumnMapping(
        content="text",
        path="metadata.path",
        repo="metadata.repo",
        ref="metadata.ref",
        id="id",
        extra={"license": "metadata.license"},
    ),
    # Generic shape: content, path, repo, ref.
    "generic": ColumnMapping(content="content", path="path", repo="repo", ref="ref"),
}
"""Column-mapping presets, tried in this order when `column_mapping = "auto"`."""


class ExportOptions(BaseModel):
    """``[ingest.export]``: options of file-per-row exports beyond the column mapping."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metadata: MetadataMapping = Field(
        default_factory=MetadataMapping,
        description="export columns kept as documents columns source_licenses / repo_stars",
    )
    blob_id_column: str = Field(
        default="blob_id", description="index column naming a blob when there is no content column"
    )
    blob: BlobStoreConfig | None = Field(
        default=None, description="[ingest.export.blob]: where index rows' contents are fetched"
    )


class IngestConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_file_bytes: int = Field(default=1 << 20, gt=0)
    skip_vendored: bool = True
    vendored_dirs: tuple[str, ...] = VENDORED_DIRS
    skip_lock_files: bool = True
    lock_files: tuple[str, ...] = LOCK_FILES
    vcs_dirs: tuple[str, ...] = VCS_DIRS
    column_mapping: ColumnMapping | str = Field(
        default="auto",
        description='"auto" (first preset whose content and path columns exist), a preset name '
        f"({', '.join(PRESETS)}) or an explicit mapping table",
    )
    directory_layout: Literal["auto", "collection", "checkout"] = Field(
        default="auto",
        description="how an input directory is read: auto-detected, many repos, or one repo",
    )
    export_part_bytes: int = Field(
        default=256 << 20, gt=0, description="split Parquet / plain JSONL exports into parts"
    )
    split_archives: bool = Field(
        default=False,
        description="also split one archive larger than export_part_bytes into member ranges "
        "(several shards). An archive is one repository, so its later ranges do not see the "
        "root LICENSE/manifest: license evidence is per shard until repo-level evidence is "
        "carried across ranges. Off by default for that reason.",
    )
    export: ExportOptions = Field(default_factory=ExportOptions)
    binary_sniff_bytes: int = Field(default=8192, gt=0)
    charset_fallback: bool = Field(
        default=True, description="try charset-normalizer on non-UTF-8 files (else undecodable)"
    )
    git_executable: str = "git"
    pruned_flush_limit: int = Field(
        default=4096, gt=0, description="pending pruned-directory rows held before flushing"
    )

    @field_validator("column_mapping")
    @classmethod
    def _known_preset(cls, value: ColumnMapping | str) -> ColumnMapping | str:
        if isinstance(value, str) and value != "auto" and value not in PRESETS:
            raise ValueError(
                f"unknown column_mapping preset {value!r}; use auto, {', '.join(PRESETS)} "
                "or a table with content/path/repo/ref/id/binary/extra"
            )
        return value

    def resolve_mapping(self, columns: Iterable[str]) -> ColumnMapping | None:
        """The mapping to use for an export with these top-level columns (None: no match)."""
        if isinstance(self.column_mapping, ColumnMapping):
            return self.column_mapping
        if self.column_mapping != "auto":
            return PRESETS[self.column_mapping]
        have = set(columns)
        best: tuple[int, ColumnMapping] | None = None
        for mapping in PRESETS.values():
            needed = {mapping.content.split(".", 1)[0]}
            if mapping.path:
                needed.add(mapping.path.split(".", 1)[0])
            if not needed <= have:
                continue
            score = len(mapping.top_level_columns() & have)
            if best is None or score > best[0]:
                best = (score, mapping)
        return None if best is None else best[1]
