"""Helpers shared by CLI commands."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import typer


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")


NOISY_LOGGERS = ("matplotlib", "PIL", "fsspec", "urllib3", "filelock", "numba", "asyncio")
"""Libraries whose INFO/DEBUG lines say nothing about a curate run: kept at WARNING under -vv."""


def set_verbosity(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.getLogger().setLevel(level)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


VerboseOpt = typer.Option(0, "--verbose", "-v", count=True, help="More logging (-v, -vv).")


def local_run(run: str) -> str:
    """The run directory argument as a local path: a URL (s3://, gs://, ...) becomes a local
    read-only snapshot (``curate.objstore.local_copy``), a local path is returned unchanged."""
    from curate import objstore

    return objstore.local_copy(run) if objstore.is_remote(run) else run
