"""Helpers shared by CLI commands."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import typer


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")


def set_verbosity(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.getLogger().setLevel(level)


VerboseOpt = typer.Option(0, "--verbose", "-v", count=True, help="More logging (-v, -vv).")
