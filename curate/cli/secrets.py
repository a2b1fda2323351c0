"""``curate secrets PATH...``: find secrets and personal data in files, directories, archives
and exports.

Prints one JSON line per finding: ``path``, ``repo``, ``line`` (1-based), ``start``/``end``
(code-point offsets into the file's decoded text), ``kind``, ``detector`` and ``value_hash``
(never the value itself). ``--redact`` prints the redacted content instead. A summary of
counts by kind goes to stderr. Directories and archives are read through ``curate.ingest``
(so binary, undecodable and oversized files are skipped with a reason, shown with -v);
lock files and vendored directories are scanned too.
"""

from __future__ import annotations

import bisect
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import typer

from curate.cli._common import VerboseOpt, emit_json, set_verbosity
from curate.cli.app import app
from curate.errors import UserError

log = logging.getLogger("curate.secrets")


def _iter_texts(paths: list[str], max_file_bytes: int) -> Iterator[tuple[str, str | None, str]]:
    """``(path, repo, text)`` for every readable file under ``paths``."""
    from curate.ingest import IngestConfig, RawFile, decode_bytes, discover_sources, read_source
    from curate.ingest.discover import kind_for_name

    cfg = IngestConfig(max_file_bytes=max_file_bytes, skip_lock_files=False, skip_vendored=False)
    for given in paths:
        p = Path(given)
        if p.is_file() and kind_for_name(p.name) is None:
            if p.stat().st_size > max_file_bytes:
                log.warning("skipped %s: larger than %d bytes", given, max_file_bytes)
                continue
            decoded = decode_bytes(p.read_bytes())
            text = getattr(decoded, "text", None)
            if text is None:
                log.warning("skipped %s: %s", given, getattr(decoded, "reason", "undecodable"))
                continue
            yield given, None, text
            continue
        if not p.exists() and "://" not in given:
            raise UserError(f"input path not found: {given}")
        specs, skips = discover_sources([given], cfg)
        for spec in specs:
            for item in read_source(spec, cfg):
                if isinstance(item, RawFile):
                    yield item.path, item.repo, item.text
                else:
                    skips.append(item)
        for skip in skips:
            # A whole input that could not be read is worth a warning; single files are not.
            level = logging.INFO if skip.path else logging.WARNING
            where = f"{skip.repo}/{skip.path}" if skip.path else skip.source_uri
            detail = f" ({skip.detail})" if skip.detail else ""
            log.log(level, "skipped %s: %s%s", where, skip.reason, detail)


@app.command("secrets")
def secrets_command(
    paths: list[str] = typer.Argument(..., help="Files, directories, archives or exports."),
    redact: bool = typer.Option(False, "--redact", help="Print redacted content, not findings."),
    pii: bool = typer.Option(True, "--pii/--no-pii", help="Also report e-mail and IP addresses."),
    full_scan: bool = typer.Option(
        False, "--full-scan", help="Scan every line with every plugin (slow; for comparisons)."
    ),
    max_file_bytes: int = typer.Option(4 << 20, help="Skip larger files."),
    json_out: bool = typer.Option(
        True, "--json/--text", help="JSON lines (default) or path:line: kind detector hash."
    ),
    verbose: int = VerboseOpt,
) -> None:
    """Find secrets (keys, tokens, passwords) and personal data; print JSON lines."""
    from curate.filters.redact import apply_redactions
    from curate.filters.secrets import PiiScanner, SecretScanner

    set_verbosity(verbose)
    scanner = SecretScanner(prefilter=not full_scan)
    pii_scanner = PiiScanner() if pii else None
    counts: Counter[str] = Counter()
    files = 0
    for path, repo, text in _iter_texts(paths, max_file_bytes):
        files += 1
        result = scanner.scan(text, path)
        findings = list(result.findings)
        if pii_scanner is not None:
            findings += pii_scanner.scan(text, path)
        findings.sort(key=lambda f: (f.start, f.end))
        counts.update(f.kind for f in findings)
        if redact:
            redacted = apply_redactions(text, [f.as_span() for f in findings])
            if len(paths) > 1 or Path(paths[0]).is_dir():
                sys.stdout.write(f"==> {path} <==\n")
            sys.stdout.write(redacted)
            continue
        newlines = [m.start() for m in re.finditer("\n", text)] if findings else []
        for f in findings:
            row = {
                "path": path,
                "repo": repo,
                "line": bisect.bisect_right(newlines, f.start - 1) + 1,
                "start": f.start,
                "end": f.end,
                "kind": f.kind,
                "detector": f.detector,
                "value_hash": f.value_hash,
            }
            if json_out:
                emit_json(row)
            else:
                print(f"{path}:{row['line']}: {f.kind} {f.detector} {f.value_hash}")
    summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"
    print(f"secrets: {files} files scanned; findings: {summary}", file=sys.stderr)
