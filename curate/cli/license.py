"""``curate license PATH...``: audit licenses of directories, archives or single files.

Inputs are read by ingest (``discover_sources`` / ``read_source``, default ``IngestConfig``), so
a folder of many repositories, an archive or an export yields one line per repository, exactly as
the pipeline would see them. A plain source file (which ingest does not take as a source) is
audited on its own. Lines carry ``path`` (the argument as given; with ``--files``, the file),
``repo``, ``spdx``, ``category``, ``confidence``, ``method`` and ``evidence``. Inputs or files
ingest skips get a line with ``skipped`` (the ingest reason) and ``detail`` instead.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from curate.cli.app import app
from curate.errors import UserError

MAX_SINGLE_FILE_BYTES = 4 << 20


def _repositories(arg: str) -> Iterator[dict]:
    """Per repository: ``{"repo": name, "files": {path: text}}``; or skip rows."""
    from curate.ingest import IngestConfig, RawFile, discover_sources, read_source

    cfg = IngestConfig()
    specs, skips = discover_sources([arg], cfg)
    for skip in skips:
        yield {"skip": skip}
    for spec in specs:
        repos: dict[str, dict[str, str]] = {}
        for record in read_source(spec, cfg):
            if isinstance(record, RawFile):
                repos.setdefault(record.repo, {})[record.path] = record.text
            elif record.path is None:  # the whole source failed (unreadable archive, ...)
                yield {"skip": record}
        for repo, files in repos.items():
            yield {"repo": repo, "files": files}


def _single_file(arg: str) -> dict:
    from curate.filters.license.detect import detect_files

    path = Path(arg)
    data = path.read_bytes()[:MAX_SINGLE_FILE_BYTES]
    if b"\0" in data[:8192]:
        return {"path": arg, "repo": None, "skipped": "binary", "detail": "NUL bytes in the head"}
    text = data.decode("utf-8", "replace")
    _, verdicts = detect_files({path.name: text})
    return {"path": arg, "repo": None, **verdicts[path.name].as_dict()}


def audit(arg: str, *, per_file: bool) -> Iterator[dict]:
    """The JSON rows ``curate license`` prints for one argument."""
    from curate.filters.license.detect import detect_files, detect_repo

    path = Path(arg)
    if not path.exists():
        raise UserError(f"no such file or directory: {arg}")
    rows = list(_repositories(arg))
    unsupported = all("skip" in r and r["skip"].reason == "unsupported_source" for r in rows)
    if path.is_file() and rows and unsupported:  # a lone source file, not an archive or export
        yield _single_file(arg)
        return
    for row in rows:
        if "skip" in row:
            skip = row["skip"]
            yield {"path": arg, "repo": skip.repo, "skipped": skip.reason, "detail": skip.detail}
            continue
        files = row["files"]
        if per_file:
            repo, verdicts = detect_files(files)
        else:
            repo, verdicts = detect_repo(files), {}
        subtrees = [{"path": t.path, "spdx": t.spdx} for t in repo.subtrees]
        yield {
            "path": arg,
            "repo": row["repo"],
            "files": len(files),
            **repo.repo.as_dict(),
            "subtrees": subtrees,
        }
        for rel, verdict in sorted(verdicts.items()):
            yield {"path": rel, "repo": row["repo"], **verdict.as_dict()}


@app.command("license")
def license_command(
    paths: list[str] = typer.Argument(..., help="directories, archives, exports or single files"),
    files: bool = typer.Option(False, "--files", help="also print one line per file"),
    json_output: bool = typer.Option(
        True, "--json/--no-json", help="JSON lines (default) or a tab-separated summary"
    ),
) -> None:
    """Detect licenses: one JSON line per repository (and per file with --files)."""
    for arg in paths:
        for row in audit(arg, per_file=files):
            if json_output:
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                what = row.get("spdx") or row.get("skipped") or "-"
                print(
                    f"{row.get('repo') or row['path']}\t{row['path']}\t{what}\t{row.get('category', '-')}\t{row.get('evidence', '')}"
                )
