"""Opt-out list: repositories or whole owners that asked to be left out of every output.

The file has one entry per line, as in The Stack's "Am I in The Stack" opt-out: ``owner`` (every
repository of that user or organisation) or ``owner/name``, optionally as a URL
(``https://github.com/owner/name``). Blank lines and ``#`` comments are ignored; a ``.json``
file may hold a list of the same strings. Matching is case-insensitive.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa

from curate.engine.annotator import Annotator, AnnotatorConfig, BatchContext, register
from curate.errors import ConfigError

OPTOUT_SCHEMA = pa.schema(
    [pa.field("optout_match", pa.bool_()), pa.field("optout_entry", pa.string())]
)


def _key(name: str) -> str:
    key = name.strip().lower()
    key = re.sub(r"^[a-z+]+://", "", key)
    key = re.sub(r"^(www\.)?(github\.com|gitlab\.com|bitbucket\.org)[/:]", "", key)
    key = re.sub(r"^git@[^:]+:", "", key)
    return key.removesuffix(".git").strip("/")


class OptOutList:
    def __init__(self, entries: list[str]):
        self.entries = {_key(e): e.strip() for e in entries if _key(e)}

    @classmethod
    def load(cls, path: str | Path) -> OptOutList:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(
                f"annotators.optout.path: cannot read {path}: {err.strerror}"
            ) from err
        if path.suffix == ".json":
            try:
                data = json.loads(text)
            except ValueError as err:
                raise ConfigError(f"annotators.optout.path: {path} is not valid JSON") from err
            if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
                raise ConfigError(f"annotators.optout.path: {path} must hold a list of strings")
            return cls(data)
        lines = [line.split("#", 1)[0] for line in text.splitlines()]
        return cls([line for line in lines if line.strip()])

    def match(self, repo: str) -> str | None:
        """The entry that opts ``repo`` out (exact ``owner/name`` first, then ``owner``)."""
        key = _key(repo)
        parts = key.split("/")
        for candidate in ("/".join(parts[-2:]), parts[-2] if len(parts) >= 2 else parts[0], key):
            if candidate in self.entries:
                return self.entries[candidate]
        return None


class OptOutConfig(AnnotatorConfig):
    path: str | None = None
    """Opt-out file; unset means nobody opted out (every row gets ``optout_match = false``)."""


@register
class OptOutAnnotator(Annotator):
    name = "optout"
    version = 1
    Config = OptOutConfig
    output_schema = OPTOUT_SCHEMA

    def __init__(self, config: OptOutConfig | None = None):
        super().__init__(config)
        self._list: OptOutList | None = None

    def setup(self) -> None:
        path = self.config.path  # type: ignore[attr-defined]
        self._list = OptOutList.load(path) if path else OptOutList([])

    def annotate(self, batch: pa.RecordBatch, ctx: BatchContext) -> pa.RecordBatch:
        if self._list is None:
            self.setup()
        cache: dict[str, str | None] = {}
        entries = []
        for repo in ctx.column("repo"):
            if repo not in cache:
                cache[repo] = self._list.match(repo or "")  # type: ignore[union-attr]
            entries.append(cache[repo])
        return pa.RecordBatch.from_pydict(
            {"optout_match": [e is not None for e in entries], "optout_entry": entries},
            schema=OPTOUT_SCHEMA,
        )
