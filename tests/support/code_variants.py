"""Disguised copies of Python code, to measure decontamination recall (tests, benchmarks).

``rename_identifiers`` renames every identifier that is not a keyword, builtin, import or
attribute name; ``reformat`` re-indents with two spaces, pads operators and adds comments and
blank lines; ``strip_docstrings`` removes triple-quoted strings.
"""

from __future__ import annotations

import builtins
import io
import keyword
import re
import tokenize

_KEEP = set(keyword.kwlist) | set(dir(builtins)) | {"self", "cls"}


def rename_identifiers(code: str, prefix: str = "var") -> str:
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    imported = {
        t.string
        for i, t in enumerate(tokens)
        if t.type == tokenize.NAME and i > 0 and tokens[i - 1].string in {"import", ","}
    }
    imported |= {
        "typing",
        "List",
        "Tuple",
        "Optional",
        "Dict",
        "Any",
        "math",
        "hashlib",
        "collections",
    }
    mapping: dict[str, str] = {}
    out = []
    for i, t in enumerate(tokens):
        s = t.string
        if (
            t.type == tokenize.NAME
            and s not in _KEEP
            and s not in imported
            and not (i > 0 and tokens[i - 1].string == ".")
        ):
            s = mapping.setdefault(s, f"{prefix}{len(mapping)}")
        out.append((t.type, s))
    return tokenize.untokenize(out)


def strip_docstrings(code: str) -> str:
    return re.sub(r'[ \t]*("""|\'\'\')[\s\S]*?\1[ \t]*\n?', "", code)


def reformat(code: str) -> str:
    lines = []
    for i, line in enumerate(code.split("\n")):
        stripped = line.lstrip(" ")
        depth = (len(line) - len(stripped)) // 4
        body = (
            re.sub(r"\s*([=+\-*/<>]=?|,)\s*", r" \1 ", stripped).rstrip()
            if '"' not in stripped and "'" not in stripped
            else stripped
        )
        lines.append(
            "  " * depth
            + body
            + ("  # step" if i % 3 == 2 and body and not body.endswith(("\\", ":")) else "")
        )
        if i % 4 == 3:
            lines.append("")
    return "\n".join(lines)
