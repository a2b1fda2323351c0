from __future__ import annotations

from collections.abc import Callable

from tree_sitter_language_pack import get_parser

from curate.filters.license.headers import file_license, header_block, spdx_identifier
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
