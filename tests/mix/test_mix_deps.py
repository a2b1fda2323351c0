from __future__ import annotations

import pytest

from curate.mix.deps import dependency_graph, order_files


def _graph(files: dict[str, str], language: str | None = None) -> dict[str, set[str]]:
    return dependency_graph({p: (language, c) for p, c in files.items()})


def test_python_absolute_relative_and_package_imports() -> None:
    g = _graph({
        "pkg/__init__.py": "",
        "pkg/util.py": "import os\n",
        "pkg/core.py": "from . import util\nfrom .util import helper\n",
        "pkg/sub/deep.py": "from ..core import run\n",
        "app.py": "import pkg.core\nfrom pkg.sub import deep\nimport numpy\n",
    })  # fmt: skip
    assert g["pkg/util.py"] == set()
    assert g["pkg/core.py"] == {"pkg/__init__.py", "pkg/util.py"}
    assert g["pkg/sub/deep.py"] == {"pkg/core.py"}
    assert g["app.py"] == {"pkg/core.py", "pkg/sub/deep.py"}


@pytest.mark.parametrize(
    ("files", "importer", "expected"),
    [
        (
            {
                "src/a.ts": "import {b} from './lib/b';\nimport x from 'react';\n",
                "src/lib/b.ts": "",
                "src/lib/index.js": "",
            },
            "src/a.ts",
            {"src/lib/b.ts"},
        ),
        (
            {
                "web/main.js": "const u = require('./util');\nexport * from './lib';\n",
                "web/util.js": "",
                "web/lib/index.js": "",
            },
            "web/main.js",
            {"web/util.js", "web/lib/index.js"},
        ),
        (
            {
                "src/main/java/com/acme/App.java": "import com.acme.model.User;\nimport java.util.List;\n",
                "src/main/java/com/acme/model/User.java": "package com.acme.model;\n",
            },
            "src/main/java/com/acme/App.java",
            {"src/main/java/com/acme/model/User.java"},
        ),
        (
            {
                "src/main.c": '#include "util.h"\n#include <stdio.h>\n#include "net/sock.h"\n',
                "src/util.h": "",
                "include/net/sock.h": "",
            },
            "src/main.c",
            {"src/util.h", "include/net/sock.h"},
        ),
        (
            {
                "cmd/app/main.go": 'package main\nimport (\n "fmt"\n "example.com/proj/internal/store"\n)\n',
                "internal/store/store.go": "package store\n",
                "internal/store/store_test.go": "package store\n",
            },
            "cmd/app/main.go",
            {"internal/store/store.go"},
        ),
        (
            {
                "src/lib.rs": "mod parser;\nuse crate::model::{Item};\n",
                "src/parser.rs": "use super::model::Item;\n",
                "src/model.rs": "",
            },
            "src/lib.rs",
            {"src/parser.rs", "src/model.rs"},
        ),
        (
            {"src/main.cpp": '#include "a/b.hpp"\n', "src/a/b.hpp": ""},
            "src/main.cpp",
            {"src/a/b.hpp"},
        ),
    ],
    ids=["typescript", "javascript", "java", "c", "go", "rust", "cpp"],
)
def test_imports_resolve_to_repository_files(
    files: dict[str, str], importer: str, expected: set[str]
) -> None:
    assert _graph(files)[importer] == expected


def test_order_puts_dependencies_first_and_tolerates_cycles() -> None:
    graph = {
        "main.py": {"a.py", "b.py"},
        "a.py": {"b.py"},
        "b.py": {"c.py"},
        "c.py": {"b.py"},  # cycle b <-> c
        "z.py": set(),
    }
    order = order_files(graph)
    assert sorted(order) == sorted(graph)
    pos = {p: i for i, p in enumerate(order)}
    assert pos["a.py"] < pos["main.py"] and pos["b.py"] < pos["a.py"]
    # inside the cycle, both have one unresolved dependency: the tie goes by path
    assert pos["b.py"] < pos["c.py"]
    assert order[0] == "z.py"  # fewest unresolved dependencies (none), ties by path
    assert order_files(dict(reversed(list(graph.items())))) == order


def test_dependency_order_on_real_imports() -> None:
    files = {
        "z_models.py": "class M: pass\n",
        "a_service.py": "from z_models import M\n",
        "m_api.py": "import a_service\nimport z_models\n",
    }
    assert order_files(_graph(files)) == ["z_models.py", "a_service.py", "m_api.py"]


def test_import_head_keeps_every_import_and_drops_the_rest() -> None:
    from curate.mix.deps import import_head

    src = b"from pkg import (\n    a,\n    b,\n)\n\nx = 1\n\ndef f():\n    import late\n    return late\n\nBODY = 2\n"
    head = import_head(src)
    assert head.endswith(b"    import late\n") and b"BODY" not in head
    assert import_head(b"x = 1\ny = 2\n") == b""
    assert (
        import_head(b'import (\n "a/b"\n "c"\n)\nfunc main() {}\n')
        == b'import (\n "a/b"\n "c"\n)\n'
    )
    g = _graph({"m.py": "x = 1\n\ndef f():\n    import util\n", "util.py": ""})
    assert g["m.py"] == {"util.py"}
