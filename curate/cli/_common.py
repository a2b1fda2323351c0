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


def storage_options(pairs: list[str] | None, urls: list[str]) -> dict[str, Any]:
    """``--storage-option KEY=VALUE`` pairs as fsspec storage options, applied to the protocols
    of the given URLs (``curate.objstore.configure``). VALUE is JSON when it parses (``true``,
    ``5``), else a string; a dotted KEY nests (``client_kwargs.endpoint_url=http://...``)."""
    from curate import objstore
    from curate.errors import UserError

    options: dict[str, Any] = {}
    for pair in pairs or ():
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--storage-option {pair!r}: expected KEY=VALUE")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        *parents, leaf = key.split(".")
        node = options
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise UserError(f"--storage-option {pair!r}: {part} is already a value")
        node[leaf] = value
    protocols = {u.split("://", 1)[0] for u in urls if objstore.is_remote(u)}
    if options:
        if not protocols:
            raise UserError("--storage-option given, but no input or output is a URL (s3://...)")
        objstore.configure(protocols, options)
    return options
