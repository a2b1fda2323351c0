"""Command-line entry point: ``curate``."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys

from curate.cli._exit import exit_now
from curate.cli.app import app
from curate.errors import UserError

FIRST = ("run", "stats", "check")
"""Command modules listed first in `curate --help`; the rest follow alphabetically."""


def _load_commands() -> None:
    names = [m.name for m in pkgutil.iter_modules(__path__)]
    for name in [*FIRST, *sorted(set(names) - set(FIRST))]:
        if name in names and name != "app" and not name.startswith("_"):
            importlib.import_module(f"{__name__}.{name}")


def run_cli() -> None:
    """The command line in this interpreter: ends in ``SystemExit`` like any click program."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _load_commands()
    try:
        app()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)


def main() -> None:
    """The ``curate`` command: ``run_cli``, then the end of the process without the
    interpreter's teardown (``curate.cli._exit``); an unexpected exception still ends it the
    usual way, with its traceback."""
    try:
        run_cli()
    except SystemExit as stop:
        exit_now(stop.code)
    exit_now(0)


__all__ = ["app", "main", "run_cli"]
