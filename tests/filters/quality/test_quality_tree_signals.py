"""The tree signals read from the source-less tree without a query (``lang_signals`` with the
document's bytes) equal the query-based ones on a tree with its source, file by file."""

from __future__ import annotations

import pytest
from tree_sitter import QueryCursor

from curate.filters.quality.lang_signals import (
    _C_MAIN,
    _IMPORTS,
    _PY_FUNC,
    _is_dunder_all,
    _query,
    _trivial_statement,
    language_signals,
)
from curate.languages import get_parser
from curate.languages.budget import TreeBudget
from curate.languages.grammars import parse_source_less

PYTHON = [
    "import os\nfrom a import b\n__all__ = ['b']\n",
    '"""Doc."""\n__version__ = "1"\nimport os\n',
    "def f():\n    pass\n\n\nasync def g():\n    ...\n\n\ndef h(default=1):\n    return default\n",
    "class A:\n    @property\n    def x(self):\n        '''Doc.'''\n\n    def y(self):\n"
    "        def inner():\n            pass\n        return inner\n",
    "f = lambda x: x\nundefined = 'def f(): pass'  # def g(): pass\n",
    "def\u00e9 = 1\ndef_ = 2\nx = {'def': undef}\n",  # 'def' followed by a non-ASCII letter
    "def f():\n    # only a comment\n    pass\n",
    "def f():\n    '''a''' 'b'\n",
    "def f(:\n    pass\ndef g():\n    return 1\n",  # an error: the query path
    "print 'python 2'\ndef f():\n    pass\n",
    "",
    "x = 1\n",
    "def f():\n",  # a body without statements
    "def f():\nx = 1\n",
    "def f(): pass\ndef g(): return 1\ndef h(): 'doc'\ndef i(): rb'x'\ndef j(): print(1)\n",
    "def f():\n    \\\n    pass\n",
    "".join(f"def f{i}(x):\n    '''d'''\n    return x * {i}\n\n" for i in range(200)),
    "def f():\n" + "    pass\n" * 300,
    "def f():\n    '''d'''\n    pass\n    return 1\n\ndef g():\n    '''d'''\n    pass\n    ...\n",
    "def f():\n    '''d'''\n    # c\n\ndef g():\n    pass\n    x = 1\n",
    "def xdef(a=undef) -> 'def':\n    'def'\n    # def\n\nasync  def  g(): pass\n",
]

C = [
    "#include <stdio.h>\nint main(void) { return 0; }\n",
    "int main(int argc, char **argv) { return 1; }\nint main() { return 2; }\n",
    "static int maintain(void) { return 0; }\nint domain(int main_x) { return main_x; }\n",
    "int *main(void) { return 0; }\n",  # pointer declarator: no match
    "int main(void);\nvoid f(void) { main(); }\n",  # a declaration and a call
    'const char *s = "int main() {}"; /* int main() {} */\n',
    "int Foo::main() { return 0; }\nint main() { return 0; }\n",
    "struct main { int x; };\nint main\n(void)\n{ return 0; }\n",
    "int broken( { return ; \nint main(void) { return 0; }\n",
    "#ifdef A\nint main(void) { return 0; }\n#else\nint main(void) { return 1; }\n#endif\n",
    "int $main(void) { return 0; }\n",
    "",
]


def _reference(language: str, text: str) -> dict[str, object]:
    """The signals computed as before: queries over a tree with its source."""
    tree = get_parser(language).parse(text.encode())
    if language in ("C", "C++"):
        caps = QueryCursor(_query(tree.language, _C_MAIN)).captures(tree.root_node)
        return {"main_function_count": len(caps.get("name", []))}
    bodies = QueryCursor(_query(tree.language, _PY_FUNC)).captures(tree.root_node)
    bodies = bodies.get("body", [])
    trivial = sum(all(_trivial_statement(s) for s in b.named_children) for b in bodies)
    value = language_signals(language, tree, TreeBudget(10.0))
    assert value["pass_only_function_fraction"] == (trivial / len(bodies) if bodies else None)
    top = tree.root_node.named_children  # import_only as first defined: over every statement
    imports = [c.type in _IMPORTS for c in top]
    rest = all(
        i or c.type == "comment" or _trivial_statement(c) or _is_dunder_all(c)
        for i, c in zip(imports, top, strict=True)
    )
    assert value["import_only"] == (any(imports) and rest)
    return value


@pytest.mark.parametrize(
    ("language", "text"),
    [("Python", t) for t in PYTHON] + [("C", t) for t in C] + [("C++", t) for t in C],
)
def test_signals_from_bytes_equal_the_query(language: str, text: str) -> None:
    data = text.encode()
    tree = parse_source_less(get_parser(language), data, 10.0)
    got = language_signals(language, tree, TreeBudget(10.0), data)
    assert got == _reference(language, text)


def test_expected_values() -> None:
    """Spot values, so that the two paths cannot agree on something wrong."""

    def signals(language: str, text: str) -> dict[str, object]:
        data = text.encode()
        tree = parse_source_less(get_parser(language), data, 10.0)
        return language_signals(language, tree, TreeBudget(10.0), data)

    assert [signals("C", t)["main_function_count"] for t in C[:6]] == [1, 2, 0, 0, 0, 0]
    assert signals("Python", PYTHON[0]) == {
        "import_only": True,
        "pass_only_function_fraction": None,
    }
    assert signals("Python", PYTHON[2])["pass_only_function_fraction"] == 2 / 3
    assert signals("Python", PYTHON[3])["pass_only_function_fraction"] == 2 / 3
    assert signals("Python", PYTHON[4])["pass_only_function_fraction"] is None
    assert signals("Python", PYTHON[5])["pass_only_function_fraction"] is None


def test_annotator_same_signals_with_a_tree_provider_or_a_plain_callable() -> None:
    """The engine's provider hands out source-less trees; a ``(language, data) -> Tree``
    callable (tests, notebooks) hands out its own trees with source: same values."""
    import pyarrow as pa

    from curate.engine.annotator import BatchContext
    from curate.engine.trees import TreeProvider
    from curate.filters.quality import QualityAnnotator

    texts = PYTHON + C
    langs = ["Python"] * len(PYTHON) + ["C"] * len(C)
    batch = pa.RecordBatch.from_pydict(
        {"content": texts, "language": langs, "path": [f"f{i}" for i in range(len(texts))]}
    )

    def plain(language: str, data: bytes):  # type: ignore[no-untyped-def]
        return get_parser(language).parse(data)

    columns = ["import_only", "pass_only_function_fraction", "main_function_count"]
    columns.append("tree_signals_status")
    engine = QualityAnnotator().annotate(batch, BatchContext(batch, TreeProvider()))
    callable_ = QualityAnnotator().annotate(batch, BatchContext(batch, plain))
    for name in columns:
        assert engine.column(name).to_pylist() == callable_.column(name).to_pylist(), name
    assert set(engine.column("tree_signals_status").to_pylist()) == {"ok"}
    assert engine.column("main_function_count").to_pylist()[len(PYTHON) :][:3] == [1, 2, 0]
