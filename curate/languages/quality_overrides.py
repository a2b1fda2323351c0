"""Per-language and per-extension changes to the built-in quality rules.

Kept beside the language definitions so that whoever adds a language sees its quality
exceptions. Each entry validates into ``curate.policy.config.OverrideConfig``; an override whose
rule is not in a pipeline's policy is ignored. Language names compare case-insensitively.
"""

from __future__ import annotations

from typing import Any

PROSE = ["Markdown", "reStructuredText", "RST", "Text", "AsciiDoc", "Org", "TeX", "LaTeX"]
PROSE_EXT = [".md", ".markdown", ".rst", ".txt", ".adoc", ".org", ".tex"]
TABULAR_EXT = [".csv", ".tsv", ".psv"]
DATA = ["JSON", "JSON with Comments", "YAML", "CSV", "TSV", "GeoJSON", "NDJSON"]
DATA_EXT = [".json", ".geojson", ".ndjson", ".jsonl", ".yaml", ".yml", ".csv", ".tsv"]
C_FAMILY = ["C", "C++", "Objective-C", "Objective-C++", "CUDA"]
MARKUP = ["HTML", "Jinja", "Django", "Vue", "Svelte", "Handlebars", "Twig", "Liquid"]
MARKUP_EXT = [".html", ".htm", ".xhtml", ".jinja", ".jinja2", ".j2", ".djhtml", ".hbs", ".twig"]

OVERRIDES: list[dict[str, Any]] = [
    # Prose keeps a paragraph on one line: line-length limits measure nothing there.
    {
        "rule": "max_line_length",
        "languages": PROSE,
        "extensions": PROSE_EXT,
        "disable": True,
        "why": "a paragraph per line is normal in Markdown/reST/text",
    },
    {
        "rule": "mean_line_length",
        "languages": PROSE,
        "extensions": PROSE_EXT,
        "disable": True,
        "why": "a paragraph per line is normal in Markdown/reST/text",
    },
    # Tables are data by definition; their size rule (data_file_size) decides instead.
    {
        "rule": "data_literal",
        "extensions": TABULAR_EXT,
        "disable": True,
        "why": "CSV/TSV are numeric lists by design; data_file_size limits them",
    },
    {
        "rule": "repeated_lines",
        "extensions": TABULAR_EXT,
        "disable": True,
        "why": "repeated rows are normal in tables",
    },
    # One-line JSON is data, not a minified program: the data and line-length rules judge it.
    {
        "rule": "minified",
        "languages": DATA,
        "extensions": DATA_EXT,
        "disable": True,
        "why": "a one-line data file is judged by the data and line-length rules",
    },
    # Type stubs are all `...` bodies by design and carry API types worth learning.
    {
        "rule": "pass_only",
        "extensions": [".pyi"],
        "disable": True,
        "why": "Python type stubs (.pyi) have only ... bodies by design",
    },
    # Macros defeat tree-sitter in C-family headers (about 2/3 of headers have ERROR nodes).
    {
        "rule": "syntax_errors",
        "languages": C_FAMILY,
        "threshold": 0.6,
        "why": "preprocessor macros produce ERROR nodes in valid C/C++",
    },
    # Markup puts a tag and its attributes (and template conditionals) on one line: a 5-line
    # form widget template averages 110+ characters a line. max_line_length and the minified
    # rule still catch one-line pages.
    {
        "rule": "mean_line_length",
        "languages": MARKUP,
        "extensions": MARKUP_EXT,
        "threshold": 200,
        "why": "tags with attributes and template logic make long lines in healthy markup",
    },
    # Go marks generated files with a standard header; the generated rule already reads it.
    # SVG is XML with path data (long lines of numbers) by design.
    {"rule": "max_line_length", "extensions": [".svg"], "disable": True, "why": "SVG path data"},
    {"rule": "data_literal", "extensions": [".svg"], "disable": True, "why": "SVG path data"},
    # Makefiles and shell: short repetitive lines are normal; nothing to change yet.
]
