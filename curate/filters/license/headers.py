"""File-level license evidence: ``SPDX-License-Identifier:`` lines and the header comment.

The header is the file's first comment block (consecutive comments, and a Python module
docstring, before the first code node). With a tree-sitter tree we take the leading comment
nodes; without one (no grammar, unparsed text) a line-based reader handles the common comment
styles. Only headers that mention license-ish words are handed to the template matcher, so the
cost for the many files without a header is one regular expression over the file's head.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from curate.dedup.decontam_tokens import encoded_column
from curate.engine import worker_cache
from curate.engine.literals import Literals
from curate.filters.license.expression import to_spdx
from curate.filters.license.textmatch import FOLDS_TO_ASCII, ascii_lower, match_text_cached

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


_SPDX_KEY = "spdx-license-identifier:"


def spdx_identifier(head: str) -> str | None:
    """The expression of the first parseable ``SPDX-License-Identifier:`` line. The lines are
    ``_SPDX_LINE.finditer``'s matches, found as ``_SPDX_KEY`` in ``ascii_lower(head)`` (same
    length and offsets as ``head``, a match of the key where the case-insensitive regex
    matches, see ``mentions_license``) and matched there: ~5x cheaper than the search."""
    low = ascii_lower(head)
    if len(low) != len(head):  # cannot happen (``test_case_folding_table_is_complete``)
        return _spdx_identifier_search(head)
    start = low.find(_SPDX_KEY)
    while start >= 0:
        m = _SPDX_LINE.match(head, start)
        if m is None:  # cannot happen either
            return _spdx_identifier_search(head)
        value = _SPDX_TRAILER.sub("", m.group(1)).strip().strip("\"'")
        spdx = to_spdx(value)
        if spdx:
            return spdx
        start = low.find(_SPDX_KEY, m.end())  # finditer's matches do not overlap
    return None


def _spdx_identifier_search(head: str) -> str | None:
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


def _head_gate() -> Literals:
    licensey = [word.encode() for word in _LICENSEY_WORDS]
    folds = [char.encode() for char in _FOLDS_TO_ASCII]
    return Literals([b"SPDX", *licensey, *folds], caseless=licensey)


def head_gate() -> Literals:
    """The ``may_mention_license`` words, compiled once per worker process."""
    return worker_cache.get_or_create("curate.license.head_gate", _head_gate)


def may_mention_license(contents: pa.Array) -> np.ndarray:
    """Per text of an Arrow string column: False where ``head_state`` is certainly False, from
    a Hyperscan scan of its head for ``SPDX``, the ``_LICENSEY_WORDS`` ignoring ASCII case, and
    the characters ``ascii_lower`` folds to ASCII. Without any of these, no licensey word is in
    ``ascii_lower(head)`` (``mentions_license``); with one, ``head_state`` decides. The head is
    the first ``HEAD_CHARS`` bytes, and for a text with a non-ASCII byte among those (fewer
    characters) a second scan of its first ``4 * HEAD_CHARS`` bytes."""
    data, offsets = encoded_column(contents)
    gate = head_gate()
    may = gate.held(data, offsets, head=HEAD_CHARS).any(axis=1)
    view, bounds = memoryview(data), offsets.tolist()
    short = [
        d
        for d in np.flatnonzero(~may & (np.diff(offsets) > HEAD_CHARS)).tolist()
        if not view[bounds[d] : bounds[d] + HEAD_CHARS].tobytes().isascii()
    ]
    if short:
        may[short] = gate.held(data, offsets, short, head=4 * HEAD_CHARS).any(axis=1)
    return may


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
    result = match_text_cached(block)  # files often repeat one header
    if result.expression is None or result.matched_words < 12:
        return None
    return FileLicense(result.expression, "header", round(min(1.0, result.coverage + 0.2), 3))
