"""Command-line entry point: ``curate``."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys

from curate.cli.app import app
from curate.errors import UserError


def _load_commands() -> None:
    for module in pkgutil.iter_modules(__path__):
        if module.name not in {"app"} and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _load_commands()
    try:
        app()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)


__all__ = ["app", "main"]
