"""File-level license evidence: ``SPDX-License-Identifier:`` lines and the header comment.

The header is the file's first comment block (consecutive comments, and a Python module
docstring, before the first code node). With a tree-sitter tree we take the leading comment
nodes; without one (no grammar, unparsed text) a line-based reader handles the common comment
styles. Only headers that mention license-ish words are handed to the template matcher, so the
cost for the many files without a header is one regular expression over the file's head.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from curate.filters.license.expression import to_spdx
from curate.filters.license.textmatch import FOLDS_TO_ASCII, ascii_lower, match_text

HEAD_CHARS = 16_384
"""Only the head of a file is searched: license headers sit at the top."""

_SPDX_LINE = re.compile(r"SPDX-License-Identifier:\s*([^\n]*)", re.IGNORECASE)
_SPDX_TRAILER = re.compile(r"\s*(\*/|-->|\*\)|-\}|#\}|\"\"\"|''').*$")
_LICENSEY = re.compile(
    r"licen[cs]|copyleft|GPL|permission is hereby granted|redistribution and use|public domain",
    re.IGNORECASE,
)
_LICENSEY_WORDS = (
    "licens",
    "licenc",
    "copyleft",
    "gpl",
    "permission is hereby granted",
    "redistribution and use",
    "public domain",
)
"""``_LICENSEY``'s alternatives in lower case (``mentions_license``)."""
_FOLDS_TO_ASCII = FOLDS_TO_ASCII
_LINE_COMMENT = re.compile(r"^\s*(#!|#|//|--|;+|%|!|'|REM\b|\*)")


@dataclass(frozen=True)
class FileLicense:
    spdx: str
    method: str
    """``spdx_identifier`` or ``header``."""
    confidence: float


def mentions_license(text: str) -> bool:
    """Whether ``_LICENSEY`` matches in ``text``, without its cost: a case-insensitive
    alternation scans a 16 KB head ten times slower than seven substring searches on the
    lower-cased text. The two agree exactly: the words are ASCII, and the only other characters
    that Python's case-insensitive matching equates with an ASCII letter (``_FOLDS_TO_ASCII``,
    checked over all of Unicode by the tests) are replaced first; ``str.lower`` maps every other
    character to one character, ASCII ones to ASCII, the rest (but the Kelvin sign) to non-ASCII."""
    low = ascii_lower(text)
    return any(word in low for word in _LICENSEY_WORDS)


def spdx_identifier(head: str) -> str | None:
    """The expression of the first parseable ``SPDX-License-Identifier:`` line."""
    for m in _SPDX_LINE.finditer(head):
        value = _SPDX_TRAILER.sub("", m.group(1)).strip().strip("\"'")
        spdx = to_spdx(value)
        if spdx:
            return spdx
    return None


def header_block(head: str, tree: Any | None = None) -> str:
    """The text of the file's first comment block ('' when it has none)."""
    if tree is not None:
        block = _tree_header(head, tree)
        if block is not None:
            return block
    return _line_header(head)


def _tree_header(head: str, tree: Any) -> str | None:
    # Node types, children and byte offsets only, never ``Node.text``: the tree may have no
    # source attached (the annotator hands over ``parse@1``'s source-less tree).
    data = head.encode("utf-8", "surrogatepass")
    parts: list[str] = []
    for node in _root_children(tree):
        if node.start_byte >= len(data):
            break
        kind = node.type
        if "comment" in kind:
            parts.append(data[node.start_byte : node.end_byte].decode("utf-8", "replace"))
        elif not parts and kind in {"expression_statement", "string"} and _is_docstring(node):
            parts.append(data[node.start_byte : node.end_byte].decode("utf-8", "replace"))
            break
        elif kind in {"shebang", "hash_bang_line"}:
            continue
        elif parts:
            break
        else:
            return None if kind != "ERROR" else _line_header(head)
    return "\n".join(parts)


def _root_children(tree: Any) -> Iterator[Any]:
    """The root's children one at a time (a cursor walk): ``root_node.children`` would build
    every top-level node of a large file to look at its first few."""
    cursor = tree.root_node.walk()
    if not cursor.goto_first_child():
        return
    yield cursor.node
    while cursor.goto_next_sibling():
        yield cursor.node


def _is_docstring(node: Any) -> bool:
    if node.type == "string":
        return True
    return node.named_child_count == 1 and node.named_children[0].type == "string"


def _line_header(head: str) -> str:
    """Leading ``/* ... */`` and line comments, skipping blank lines and a shebang."""
    lines = head.splitlines()
    out: list[str] = []
    in_block = False
    for line in lines[:400]:
        stripped = line.strip()
        if in_block:
            out.append(line)
            if "*/" in stripped or "-->" in stripped or stripped.endswith(('"""', "'''")):
                in_block = False
            continue
        if not stripped:
            if out:
                out.append("")
            continue
        if stripped.startswith(("/*", "<!--", '"""', "'''", "{-", "(*")):
            out.append(line)
            closed = stripped.endswith(("*/", "-->", "-}", "*)")) and len(stripped) > 3
            triple = stripped[:3] in {'"""', "'''"} and stripped.count(stripped[:3]) >= 2
            in_block = not (closed or triple)
            continue
        if _LINE_COMMENT.match(line):
            out.append(line)
            continue
        break
    return "\n".join(out).strip()


HeadState = str | bool
"""What a file's head says before any tree: its SPDX expression, True (a license is mentioned
without an SPDX line: the header block decides, from the tree) or False (nothing)."""


def head_state(content: str) -> HeadState:
    """The head's ``HeadState``; True is exactly when ``file_license`` reads the tree (the
    engine keeps only the trees that are read)."""
    head = content[:HEAD_CHARS]
    if "SPDX" not in head and not mentions_license(head):
        return False
    return spdx_identifier(head) or True


_header_match = functools.lru_cache(maxsize=1024)(match_text)
"""``match_text`` of header blocks: a repository's files often repeat one header word for word
(blocks are at most ``HEAD_CHARS``, so the cache holds at most ~16 MB)."""


def file_license(
    content: str, tree: Any | None = None, state: HeadState | None = None
) -> FileLicense | None:
    """License a file states about itself, or ``None``. ``tree`` may be a tree-sitter tree or a
    zero-argument callable returning one, called only when the head mentions a license.
    ``state``: the head's ``head_state`` if already known."""
    head = content[:HEAD_CHARS]
    if state is None:
        state = head_state(content)
    if state is False:
        return None
    if isinstance(state, str):
        return FileLicense(state, "spdx_identifier", 1.0)
    if callable(tree):
        tree = tree()
    block = header_block(head, tree)
    if not block or not mentions_license(block):
        return None
    result = _header_match(block)
    if result.expression is None or result.matched_words < 12:
        return None
    return FileLicense(result.expression, "header", round(min(1.0, result.coverage + 0.2), 3))
