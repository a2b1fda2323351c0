from __future__ import annotations

import random
import re
from collections.abc import Callable

from tree_sitter_language_pack import get_parser

from curate.filters.license.headers import (
    _FOLDS_TO_ASCII,
    _LICENSEY,
    file_license,
    header_block,
    mentions_license,
    spdx_identifier,
)
from tests.support.license_synth import HEADER_NOTICES


def test_spdx_identifier_in_comment_styles() -> None:
    assert spdx_identifier("// SPDX-License-Identifier: MIT\n") == "MIT"
    assert spdx_identifier("/* SPDX-License-Identifier: GPL-2.0 */\n") == "GPL-2.0-only"
    assert (
        spdx_identifier("# SPDX-License-Identifier: (MIT OR Apache-2.0)\n") == "MIT OR Apache-2.0"
    )
    assert spdx_identifier("<!-- SPDX-License-Identifier: CC0-1.0 -->") == "CC0-1.0"
    assert spdx_identifier("-- SPDX-License-Identifier: not-a-license-at-all\n") is None


def test_header_block_with_tree_sitter_and_without() -> None:
    source = '#!/usr/bin/env python\n# Copyright 2020 X\n# licensed MIT\n"""Doc."""\nimport os\n# later\n'
    tree = get_parser("python").parse(source.encode())
    with_tree = header_block(source, tree)
    assert "Copyright 2020 X" in with_tree and "later" not in with_tree
    assert "licensed MIT" in header_block(source, None) and "later" not in header_block(
        source, None
    )


def test_python_docstring_header() -> None:
    source = f'"""\n{HEADER_NOTICES["Apache-2.0"]}\n"""\n\nimport os\n'
    tree = get_parser("python").parse(source.encode())
    found = file_license(source, tree)
    assert found is not None and (found.spdx, found.method) == ("Apache-2.0", "header")


def test_c_header_found_lazily(header_source: Callable[..., str]) -> None:
    source = header_source("LGPL-2.1-or-later")
    calls = []

    def tree():
        calls.append(1)
        return get_parser("c").parse(source.encode())

    found = file_license(source, tree)
    assert found is not None and found.spdx == "LGPL-2.1-or-later" and calls == [1]
    assert file_license("int main(void) { return 0; }\n", tree) is None
    assert calls == [1]  # no license words in the head: no parse at all


def test_license_text_later_in_file_is_not_a_header() -> None:
    source = "int x;\n\n/* " + HEADER_NOTICES["GPL-2.0-or-later"] + " */\n"
    assert file_license(source, get_parser("c").parse(source.encode())) is None


def test_mentions_license_agrees_with_the_regular_expression() -> None:
    """The substring pre-filter must decide exactly as the case-insensitive regex it replaces,
    on ASCII and non-ASCII text, mentions and non-mentions alike."""
    words = ["Licensed", "LICENCE", "copyLeft", "GPLv2", "Permission is hereby granted",
             "REDISTRIBUTION AND USE", "public domain", "lİcense", "Lıcence", "licenſe",
             "licen se", "publicdomain", "permission is  hereby granted", "G P L", "lic", "ense"]  # fmt: skip
    fillers = ["int x = 1;\n", "caf\u00e9 ", "\u4e2d\u6587 ", "\U0001f600", "\u0130 ", ""]
    rng = random.Random(0)
    for _ in range(3000):
        text = "".join(rng.choice(words + fillers * 3) for _ in range(rng.randint(0, 6)))
        assert mentions_license(text) == bool(_LICENSEY.search(text)), repr(text)
    assert mentions_license("/* Licensed under the MIT License */")
    assert not mentions_license("int main(void) { return 0; }\n")
    assert mentions_license("# Lıcensed") and not mentions_license("# L\u00efcensed")


def test_case_folding_table_is_complete() -> None:
    """Every non-ASCII character ``re.IGNORECASE`` equates with an ASCII letter is folded first,
    and after folding no other character lower-cases to ASCII (so a substring match on the
    lower-cased text is a regex match and back)."""
    letters = re.compile("[a-z]", re.IGNORECASE)
    fold = str.maketrans(_FOLDS_TO_ASCII)
    folding, lowering = set(), set()
    for code in range(128, 0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        if letters.fullmatch(char):
            folding.add(char)
        if char not in _FOLDS_TO_ASCII and any(c.isascii() for c in char.translate(fold).lower()):
            lowering.add(char)
    assert folding == set(_FOLDS_TO_ASCII)
    assert not lowering


def test_normalise_and_or_wording_skip_only_what_cannot_match() -> None:
    """The substring gates of ``normalise`` and ``or_wording`` change nothing: the same as every
    rewrite and the regex, on ASCII and non-ASCII text."""
    from curate.filters.license import textmatch

    def normalise_all(text: str) -> str:
        for pattern, replacement in textmatch._EQUIVALENTS:
            text = pattern.sub(replacement, text)
        return text

    words = ["LICENCE", "licenſe", "lİcense", "sub-licence", "Sub-License", "acknowledgement",
             "ACKNOWLEDGMENT", "per cent", "PER  CENT", "\u2018q\u2019", "\u201cq\u201d", "`",
             "\u00b4", "a\u2013b", "\u2212", "Dual-licensed", "dual licence", "at your option",
             "AT YOUR CHOICE", "either of the licenses", "eıther the Licence", "choose either",
             "SELECT ANY", "licensed under the terms of either", "licenſed under terms of any"]  # fmt: skip
    fillers = ["int x = 1;\n", "caf\u00e9 ", "\u4e2d ", "\u0130 ", "\u212a", " ", ""]
    rng = random.Random(1)
    for _ in range(4000):
        text = "".join(rng.choice(words + fillers * 2) for _ in range(rng.randint(0, 6)))
        assert textmatch.normalise(text) == normalise_all(text), repr(text)
        assert textmatch.or_wording(text) == bool(textmatch._OR_WORDING.search(text)), repr(text)


def test_may_mention_license_is_exact_where_it_says_no() -> None:
    """The batch gate answers False only where ``head_state`` is False, on ASCII and non-ASCII
    text, heads past ``HEAD_CHARS`` included; and it lets few non-mentions through."""
    import pyarrow as pa

    from curate.filters.license.headers import HEAD_CHARS, head_state, may_mention_license

    words = ["Licensed", "LICENCE", "GPLv2", "SPDX", "spdx", "Permission is hereby granted",
             "lİcense", "Lıcence", "licenſe", "licen se", "publicdomain", "G P L", "\u212a"]  # fmt: skip
    fillers = ["int x = 1;\n", "caf\u00e9 ", "\u4e2d\u6587 ", "\U0001f600", "\u0130 ", ""]
    rng = random.Random(1)
    texts = ["".join(rng.choice(words + fillers * 4) for _ in range(rng.randint(0, 6))) for _ in range(3000)]  # fmt: skip
    for pad in ("x", "\u4e2d", "\U0001f600"):  # the word just inside and just past the head
        texts += [pad * (HEAD_CHARS - 8) + "licensed", pad * HEAD_CHARS + "licensed"]
    texts.append(None)
    may = may_mention_license(pa.array(texts, pa.large_string())).tolist()
    states = [head_state(t or "") for t in texts]
    assert all(m for m, s in zip(may, states, strict=True) if s is not False)
    assert sum(m and s is False for m, s in zip(may, states, strict=True)) < 0.2 * len(texts)
    assert may_mention_license(pa.array(texts[:50], pa.string())).tolist() == may[:50]


def test_spdx_identifier_agrees_with_the_search() -> None:
    """The key-and-match reading of SPDX lines gives the regex search's answer."""
    from curate.filters.license.headers import _spdx_identifier_search

    parts = ["SPDX-License-Identifier: MIT", "spdx-license-identifier:  Apache-2.0 */",
             "SPDX-LICENSE-IDENTIFIER:", "\u017fpdx-l\u0130cense-identifier: MIT", "\n", "x ",
             "SPDX-Licen\u017fe-IdentifIer: GPL-2.0", " bogus", "\u212a", "caf\u00e9", "\u0131",
             "SPDX-License-Identifier: SPDX-License-Identifier: MIT"]  # fmt: skip
    rng = random.Random(2)
    for _ in range(5000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 6)))
        assert spdx_identifier(text) == _spdx_identifier_search(text), repr(text)
