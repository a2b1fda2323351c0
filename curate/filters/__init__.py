"""Annotators (license, secrets, PII, quality, parse, ...). Importing ``load_all`` fills the
annotator registry from every module in this package."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
