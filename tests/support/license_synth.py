"""Realistic license texts and headers, generated from the installed reference templates, for
the accuracy harness (tests and ``benchmarks/bench_license.py --synthetic``).

``render`` walks a template choosing (mostly the first) alternative in every ``((a || b))``,
keeping each optional part with some probability and filling ``__N__`` spans with invented words; ``perturb``
then does what people do to license files: a new copyright line, re-wrapped lines, markdown
headings and quotes, a preamble sentence, comment markers.
"""

from __future__ import annotations

import functools
import gzip
import json
import random
import re
import textwrap
from importlib.resources import files

from curate.filters.license.similarity import _LRE_TOKEN, _is_wild, _parse

HOLDERS = [
    "Jane Q. Hacker",
    "ACME Widgets, Inc.",
    "The Example Project Authors",
    "李雷",
    "Öz Şahin",
]
FILLER = ["alpha", "beta", "gamma", "delta", "widgets", "project", "authors", "contributors"]


@functools.cache
def templates() -> dict[str, str]:
    """SPDX id -> template, as the pinned ``licenseclassifier`` ships them (first per id)."""
    from curate.filters.license.textmatch import _DEPRECATED

    path = files("licenseclassifier._engine").joinpath("licenses.json.gz")
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        entries = json.load(fh)
    out: dict[str, str] = {}
    for entry in entries:
        if entry.get("lre"):
            out.setdefault(_DEPRECATED.get(entry["id"], entry["id"]), entry["lre"])
    return out


def render(spdx: str, rng: random.Random, keep_optional: float = 0.7) -> str:
    """One concrete text of license ``spdx``."""
    lre = templates()[spdx]
    tokens = [t for t in _LRE_TOKEN.findall(lre) if not t.startswith("//**")]
    # keep whitespace tokens so the rendered text keeps its line structure
    nodes, _ = _parse([t for t in tokens if t.strip() or "\n" in t], 0, keep_wild=True)
    out: list[str] = []
    _emit(nodes, rng, keep_optional, out)
    text = " ".join(out)
    # Paragraphs end where the template has a blank line after a sentence; the rest is one
    # flowing paragraph, wrapped at 72 columns as most license files are.
    paragraphs = re.split(r"(?<=[.:])\s*\n\s*\n\s*", text)
    flat = [" ".join(p.split()) for p in paragraphs]
    flat = [re.sub(r" ([,.;:)])", r"\1", p).replace("( ", "(") for p in flat if p]
    return "\n\n".join(textwrap.fill(p, 72) for p in flat)


def _emit(nodes: list, rng: random.Random, keep: float, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            if _is_wild(node):
                out.append(" ".join(rng.choice(FILLER) for _ in range(min(3, int(node[2:-2])))))
            else:
                out.append(node)
        else:
            alternatives, optional = node
            if alternatives and (not optional or rng.random() < keep):
                # mostly the first (canonical) wording; the others include the templates'
                # tolerated typos, which real files rarely have
                pick = alternatives[0] if rng.random() < 0.8 else rng.choice(alternatives)
                _emit(pick, rng, keep, out)


def perturb(text: str, rng: random.Random, *, kinds: tuple[str, ...] | None = None) -> str:
    """Apply 1-3 realistic edits (or exactly ``kinds``)."""
    choices = ("copyright", "rewrap", "markdown", "preamble", "comment", "unwrap")
    chosen = kinds or tuple(rng.sample(choices, rng.randint(1, 3)))
    for kind in chosen:
        if kind == "copyright":
            year = rng.randint(1995, 2026)
            text = f"Copyright (c) {year} {rng.choice(HOLDERS)}\n\n{text}"
        elif kind == "rewrap":
            width = rng.randint(40, 100)
            text = "\n\n".join(textwrap.fill(p, width) for p in text.split("\n\n"))
        elif kind == "unwrap":
            text = "\n\n".join(" ".join(p.split()) for p in text.split("\n\n"))
        elif kind == "markdown":
            text = "# License\n\n" + "\n\n".join(f"> {p}" for p in text.split("\n\n"))
        elif kind == "typos":  # 2% of the words replaced: an edit no template tolerates
            tokens = text.split(" ")
            for _ in range(max(1, len(tokens) // 50)):
                tokens[rng.randrange(len(tokens))] = rng.choice(FILLER)
            text = " ".join(tokens)
        elif kind == "preamble":
            text = "This project is distributed under the terms below.\n\n" + text
        elif kind == "comment":
            style = rng.choice(["/*", "#", "//"])
            lines = text.splitlines()
            if style == "/*":
                text = "/*\n" + "\n".join(f" * {line}".rstrip() for line in lines) + "\n */"
            else:
                text = "\n".join(f"{style} {line}".rstrip() for line in lines)
    return text


HEADER_NOTICES = {
    "Apache-2.0": (
        'Licensed under the Apache License, Version 2.0 (the "License");\n'
        "you may not use this file except in compliance with the License.\n"
        "You may obtain a copy of the License at\n\n    http://www.apache.org/licenses/LICENSE-2.0\n\n"
        "Unless required by applicable law or agreed to in writing, software\n"
        'distributed under the License is distributed on an "AS IS" BASIS,\n'
        "WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\n"
        "See the License for the specific language governing permissions and\n"
        "limitations under the License."
    ),
    "GPL-2.0-or-later": (
        "This program is free software; you can redistribute it and/or modify\n"
        "it under the terms of the GNU General Public License as published by\n"
        "the Free Software Foundation; either version 2 of the License, or\n"
        "(at your option) any later version.\n\n"
        "This program is distributed in the hope that it will be useful,\n"
        "but WITHOUT ANY WARRANTY; without even the implied warranty of\n"
        "MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the\n"
        "GNU General Public License for more details."
    ),
    "GPL-3.0-or-later": (
        "This program is free software: you can redistribute it and/or modify\n"
        "it under the terms of the GNU General Public License as published by\n"
        "the Free Software Foundation, either version 3 of the License, or\n"
        "(at your option) any later version.\n\n"
        "This program is distributed in the hope that it will be useful,\n"
        "but WITHOUT ANY WARRANTY; without even the implied warranty of\n"
        "MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the\n"
        "GNU General Public License for more details."
    ),
    "LGPL-2.1-or-later": (
        "This library is free software; you can redistribute it and/or\n"
        "modify it under the terms of the GNU Lesser General Public\n"
        "License as published by the Free Software Foundation; either\n"
        "version 2.1 of the License, or (at your option) any later version.\n\n"
        "This library is distributed in the hope that it will be useful,\n"
        "but WITHOUT ANY WARRANTY; without even the implied warranty of\n"
        "MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU\n"
        "Lesser General Public License for more details."
    ),
    "AGPL-3.0-or-later": (
        "This program is free software: you can redistribute it and/or modify\n"
        "it under the terms of the GNU Affero General Public License as published\n"
        "by the Free Software Foundation, either version 3 of the License, or\n"
        "(at your option) any later version.\n\n"
        "This program is distributed in the hope that it will be useful,\n"
        "but WITHOUT ANY WARRANTY; without even the implied warranty of\n"
        "MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the\n"
        "GNU Affero General Public License for more details."
    ),
    "MPL-2.0": (
        "This Source Code Form is subject to the terms of the Mozilla Public\n"
        "License, v. 2.0. If a copy of the MPL was not distributed with this\n"
        "file, You can obtain one at http://mozilla.org/MPL/2.0/."
    ),
}
"""The standard notices these licenses ask authors to put at the top of each file (the texts
the licenses' own "how to apply" sections give; short and factual)."""

FULL_TEXT_IDS = (
    "MIT", "MIT-0", "ISC", "0BSD", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "Zlib",
    "BSL-1.0", "Unlicense", "GPL-2.0-only", "GPL-3.0-only", "LGPL-2.1-only", "LGPL-3.0-only",
    "AGPL-3.0-only", "MPL-2.0", "EPL-2.0", "CC0-1.0", "Artistic-2.0", "PostgreSQL",
)  # fmt: skip
"""Common licenses and their near misses (MIT/MIT-0/ISC/0BSD, BSD-2/BSD-3, the GNU family)."""


def header_file(spdx: str, rng: random.Random, language: str = "c") -> str:
    """A small source file whose first comment block is ``spdx``'s standard notice."""
    notice = (
        f"Copyright (C) {rng.randint(2000, 2026)} {rng.choice(HOLDERS)}\n\n{HEADER_NOTICES[spdx]}"
    )
    if rng.random() < 0.5:
        notice = "\n\n".join(textwrap.fill(p, rng.randint(50, 90)) for p in notice.split("\n\n"))
    if language == "python":
        body = "\n".join(f"# {line}".rstrip() for line in notice.splitlines())
        return f"#!/usr/bin/env python3\n{body}\n\nimport os\n\n\ndef main():\n    return os.getcwd()\n"
    body = "\n".join(f" * {line}".rstrip() for line in notice.splitlines())
    return f"/*\n{body}\n */\n\n#include <stdio.h>\n\nint main(void) {{ return 0; }}\n"


def evaluate(
    samples_per_license: int = 10,
    seed: int = 0,
    *,
    typos: bool = False,
    ids: tuple[str, ...] = FULL_TEXT_IDS,
    headers: bool = True,
) -> dict[str, dict[str, float]]:
    """Per-license precision and recall of full-text (as a ``LICENSE`` file) and header
    (as a source file's first comment) detection on generated, perturbed samples; with
    ``typos`` every full text also gets 2% of its words replaced."""
    from curate.filters.license.detect import RepoLicenses, detect_file, detect_repo

    rng = random.Random(seed)
    pairs: list[tuple[str, str | None]] = []
    for spdx in ids:
        for _ in range(samples_per_license):
            text = perturb(render(spdx, rng), rng)
            if typos:
                text = perturb(text, rng, kinds=("typos",))
            pairs.append((spdx, detect_repo({"LICENSE": text}).repo.spdx))
    for spdx in HEADER_NOTICES if headers else ():
        for k in range(samples_per_license):
            language = "python" if k % 2 else "c"
            content = header_file(spdx, rng, language)
            path = "src/x.py" if language == "python" else "src/x.c"
            pairs.append((f"{spdx} (header)", detect_file(path, content, RepoLicenses()).spdx))
    return score(pairs)


def score(pairs: list[tuple[str, str | None]]) -> dict[str, dict[str, float]]:
    """``pairs`` of (truth, prediction); a header truth ``X (header)`` is right when X is
    predicted."""
    out: dict[str, dict[str, float]] = {}
    labels = sorted({t for t, _ in pairs})
    for label in labels:
        spdx = label.removesuffix(" (header)")
        truth_n = sum(1 for t, _ in pairs if t == label)
        hits = sum(1 for t, p in pairs if t == label and p == spdx)
        predicted = sum(1 for t, p in pairs if p == spdx and t.removesuffix(" (header)") != spdx)
        predicted += sum(1 for t, p in pairs if p == spdx and t.removesuffix(" (header)") == spdx)
        out[label] = {
            "samples": truth_n,
            "recall": hits / truth_n if truth_n else 0.0,
            "precision": (
                sum(1 for t, p in pairs if p == spdx and t.removesuffix(" (header)") == spdx)
                / predicted
                if predicted
                else 1.0
            ),
            "confused_with": sorted({str(p) for t, p in pairs if t == label and p != spdx}),
        }
    return out
