"""code-curate: repository dumps in, clean code-LLM training mixtures out."""

from __future__ import annotations

from curate._version import __version__

__all__ = ["__version__", "open_run"]


def __getattr__(name: str):  # lazy: keep `import curate` cheap for workers
    if name == "open_run":
        from curate.inspect import open_run

        return open_run
    raise AttributeError(name)
