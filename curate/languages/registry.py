"""The language registry: one data table (``languages.toml``) loaded into frozen ``Language``s.

Everything the pipeline knows about a language lives in that table: how to detect it
(extensions, exact file names, shebang interpreters, content heuristics for shared extensions),
which tree-sitter grammar parses it, its comment syntax, and which node types the parse
annotator counts as functions, classes, comments and docstrings.

>>> get_language("python").grammar
'python'
>>> get_language("C++").extensions[:2]
('.cpp', '.cc')
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from curate.errors import UserError

Kind = Literal["programming", "data", "markup", "prose"]
_KINDS = {"programming", "data", "markup", "prose"}
TABLE_PATH = Path(__file__).with_name("languages.toml")


@dataclass(frozen=True, slots=True)
class Language:
    """One language: detection data, grammar, comment syntax and parse node tables."""

    name: str
    kind: Kind
    aliases: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    filename_prefixes: tuple[str, ...] = ()
    interpreters: tuple[str, ...] = ()
    grammar: str | None = None
    """tree-sitter-language-pack grammar name; None when no bundled grammar parses it."""
    line_comment: str | None = None
    block_comment: tuple[str, str] | None = None
    function_nodes: tuple[str, ...] = ()
    """Node types counted as functions; ``"type:field"`` requires a child in ``field``."""
    class_nodes: tuple[str, ...] = ()
    comment_nodes: tuple[str, ...] = ()
    docstring_query: str | None = None
    """A tree-sitter query; its ``@doc`` captures are docstrings."""


@dataclass(frozen=True, slots=True)
class HeuristicRule:
    language: str
    patterns: tuple[re.Pattern[str], ...]
    """The rule matches when any pattern is found. Several small patterns that each start with
    a literal are much faster than one alternation, which the regex engine tries at every
    position."""

    def matches(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


@dataclass(frozen=True, slots=True)
class Heuristic:
    """Content rules for an extension several languages share: first match wins."""

    extension: str
    rules: tuple[HeuristicRule, ...]
    default: str | None


@dataclass(frozen=True, slots=True)
class Registry:
    languages: tuple[Language, ...]
    by_key: dict[str, Language]
    heuristics: dict[str, Heuristic]


_TUPLE_FIELDS = (
    "aliases",
    "extensions",
    "filenames",
    "filename_prefixes",
    "interpreters",
    "function_nodes",
    "class_nodes",
    "comment_nodes",
)


def _language(entry: dict[str, Any], where: str) -> Language:
    known = set(Language.__dataclass_fields__)
    unknown = set(entry) - known
    if unknown:
        raise UserError(f"{where}: unknown key(s) {sorted(unknown)}")
    if "name" not in entry or entry.get("kind") not in _KINDS:
        raise UserError(f"{where}: needs a name and kind in {sorted(_KINDS)}")
    values = dict(entry)
    for key in _TUPLE_FIELDS:
        values[key] = tuple(values.get(key, ()))
    if "block_comment" in values:
        block = tuple(values["block_comment"])
        if len(block) != 2:
            raise UserError(f"{where}: block_comment must be [open, close]")
        values["block_comment"] = block
    for ext in values["extensions"]:
        if not ext.startswith(".") or ext != ext.lower():
            raise UserError(f"{where}: extension {ext!r} must be lower case and start with '.'")
    return Language(**values)


def load_registry(path: Path = TABLE_PATH) -> Registry:
    """Parse and validate a language table (the packaged one by default)."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    languages = tuple(
        _language(entry, f"{path.name} language #{i + 1} ({entry.get('name')!r})")
        for i, entry in enumerate(raw.get("language", []))
    )
    by_key: dict[str, Language] = {}
    for lang in languages:
        for key in (lang.name, *lang.aliases):
            folded = key.casefold()
            if folded in by_key and by_key[folded] is not lang:
                raise UserError(f"{path.name}: name or alias {key!r} used twice")
            by_key[folded] = lang
    heuristics: dict[str, Heuristic] = {}
    for ext, spec in raw.get("heuristic", {}).items():
        rules = []
        for rule in spec.get("rules", []):
            if rule["language"].casefold() not in by_key:
                raise UserError(
                    f"{path.name}: heuristic {ext!r} names unknown {rule['language']!r}"
                )
            sources = rule["patterns"] if "patterns" in rule else [rule["pattern"]]
            patterns = tuple(re.compile(src, re.MULTILINE) for src in sources)
            rules.append(HeuristicRule(by_key[rule["language"].casefold()].name, patterns))
        default = spec.get("default")
        if default is not None and default.casefold() not in by_key:
            raise UserError(f"{path.name}: heuristic {ext!r} default {default!r} is unknown")
        heuristics[ext] = Heuristic(ext, tuple(rules), default)
    claims: dict[str, list[str]] = {}
    for lang in languages:
        for ext in lang.extensions:
            claims.setdefault(ext, []).append(lang.name)
    for ext, names in claims.items():
        if len(names) > 1 and ext not in heuristics:
            raise UserError(
                f"{path.name}: extension {ext!r} claimed by {names} without a heuristic"
            )
    return Registry(languages, by_key, heuristics)


@cache
def registry() -> Registry:
    """The packaged registry (loaded once per process)."""
    return load_registry()


def get_language(name: str) -> Language:
    """The language called ``name`` or one of its aliases (case-insensitive).

    Raises ``KeyError`` for unknown names.
    """
    try:
        return registry().by_key[name.casefold()]
    except KeyError:
        raise KeyError(f"unknown language {name!r}") from None


def find_language(name: str | None) -> Language | None:
    """Like ``get_language`` but None for unknown or missing names."""
    if not name:
        return None
    return registry().by_key.get(name.casefold())


def all_languages() -> tuple[Language, ...]:
    """Every language, in table order."""
    return registry().languages
