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
import re
import sys
from collections import Counter
from pathlib import Path

import typer

from curate.cli._common import VerboseOpt, emit_json, set_verbosity
from curate.cli._inputs import display_name, iter_texts
from curate.cli.app import app


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
    from curate.filters.secrets import PiiScanner, SecretScanner
    from curate.mix.redact import apply_redactions

    set_verbosity(verbose)
    scanner = SecretScanner(prefilter=not full_scan)
    pii_scanner = PiiScanner() if pii else None
    counts: Counter[str] = Counter()
    files = 0
    for repo, path, text in iter_texts(paths, max_file_bytes):
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
                sys.stdout.write(f"==> {display_name(repo, path)} <==\n")
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
                print(
                    f"{display_name(repo, path)}:{row['line']}: {f.kind} {f.detector} {f.value_hash}"
                )
    summary = ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "none"
    print(f"secrets: {files} files scanned; findings: {summary}", file=sys.stderr)
