"""``curate languages``: the language table with grammar load status."""

from __future__ import annotations

import json

import typer

from curate.cli.app import app
from curate.languages.grammars import grammar_status
from curate.languages.registry import all_languages


@app.command("languages")
def languages_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """List every known language: kind, extensions, grammar and whether it loads offline."""
    status = grammar_status()
    for lang in all_languages():
        loads = status.get(lang.grammar, False) if lang.grammar else False
        if as_json:
            record = {
                "name": lang.name,
                "kind": lang.kind,
                "extensions": list(lang.extensions),
                "filenames": list(lang.filenames),
                "grammar": lang.grammar,
                "grammar_loads": loads,
            }
            typer.echo(json.dumps(record))
        else:
            grammar = lang.grammar or "-"
            exts = " ".join(lang.extensions + lang.filenames) or "-"
            typer.echo(f"{lang.name:20} {grammar:14} {'yes' if loads else 'no':4} {exts}")
