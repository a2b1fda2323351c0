"""Command-line entry point: ``curate``."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys

from curate.cli.app import app
from curate.errors import UserError

FIRST = ("run", "stats", "check")
"""Command modules listed first in `curate --help`; the rest follow alphabetically."""


def _load_commands() -> None:
    names = [m.name for m in pkgutil.iter_modules(__path__)]
    for name in [*FIRST, *sorted(set(names) - set(FIRST))]:
        if name in names and name != "app" and not name.startswith("_"):
            importlib.import_module(f"{__name__}.{name}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _load_commands()
    try:
        app()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)


__all__ = ["app", "main"]
