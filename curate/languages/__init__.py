"""Languages: the registry (one data table), detection, tree-sitter grammars."""

from __future__ import annotations

from curate.languages.detect import detect_language
from curate.languages.grammars import get_parser, grammar_status, parse_with_budget
from curate.languages.registry import Language, all_languages, find_language, get_language

__all__ = [
    "Language",
    "all_languages",
    "detect_language",
    "find_language",
    "get_language",
    "get_parser",
    "grammar_status",
    "parse_with_budget",
]
