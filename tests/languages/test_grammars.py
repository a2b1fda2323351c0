"""Grammars load offline, parse, and a time budget really cancels a parse."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

from curate.languages import get_parser, grammar_status, parse_with_budget
from curate.languages.registry import all_languages

# Run in a fresh interpreter with every socket refused: proves the grammars need no network,
# and a grammar whose scanner never returns fails the test by timeout instead of hanging it.
_OFFLINE_SCRIPT = textwrap.dedent(
    """
    import json, random, socket, sys

    class _NoNetwork(socket.socket):
        def connect(self, *a, **k):
            raise OSError("network disabled in this test")
        connect_ex = connect

    socket.socket = _NoNetwork
    socket.create_connection = lambda *a, **k: (_ for _ in ()).throw(OSError("offline"))

    from curate.languages.grammars import get_parser, grammar_status
    from curate.languages.registry import all_languages

    status = grammar_status()
    rng = random.Random(7)
    noise = bytes(rng.choice(b"{}()[]<>\\"'\\\\/*#;:\\n \\t=-+abc0") for _ in range(4000))
    samples = [b"", b"x", b"{", b'"', b"(((", b"\\x00\\xff\\xfe", noise]
    for lang in all_languages():
        parser = get_parser(lang.name) if lang.grammar else None
        for sample in samples if parser is not None else []:
            parser.parse(sample)
    print(json.dumps(status))
    """
)


def test_every_registry_grammar_loads_offline_and_survives_junk_input() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _OFFLINE_SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    status = json.loads(proc.stdout.strip().splitlines()[-1])
    grammars = {lang.grammar for lang in all_languages() if lang.grammar}
    assert set(status) == grammars
    assert [g for g, ok in status.items() if not ok] == []


def test_grammar_status_in_process_and_parser_cache() -> None:
    status = grammar_status()
    assert status["python"] and status["cpp"] and status["bash"]
    assert get_parser("Python") is get_parser("py")
    assert get_parser("Prolog") is None
    assert get_parser("not a language") is None


def test_budgeted_parse_matches_plain_parse() -> None:
    parser = get_parser("Rust")
    assert parser is not None
    src = b'fn main() { let v: Vec<u32> = (0..10).collect(); println!("{:?}", v); }\n'
    tree = parse_with_budget(parser, src, 2.0)
    assert tree is not None
    assert str(tree.root_node) == str(parser.parse(src).root_node)


def test_budget_cancels_a_slow_parse_and_parser_recovers() -> None:
    parser = get_parser("Python")
    assert parser is not None
    # Measured: tree-sitter-python needs ~1 s per MB on this flat chain of binary operators.
    slow = b"x = " + b"a+" * 1_500_000 + b"a\n"
    start = time.perf_counter()
    assert parse_with_budget(parser, slow, 0.05) is None
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"cancel took {elapsed:.2f}s"
    # The cancelled parse must not leak into the next one (the parser is reset).
    tree = parse_with_budget(parser, b"def f():\n    return 1\n", 2.0)
    assert tree is not None
    assert not tree.root_node.has_error
    assert tree.root_node.text == b"def f():\n    return 1\n"


def test_budget_cancels_a_huge_input() -> None:
    parser = get_parser("C")
    assert parser is not None
    huge = b"".join(b"int f%d(int x) { return x * %d + 1; }\n" % (i, i) for i in range(300_000))
    start = time.perf_counter()
    assert parse_with_budget(parser, huge, 0.05) is None
    assert time.perf_counter() - start < 1.0


def test_budgeted_parse_reads_multi_chunk_documents_exactly() -> None:
    """Documents larger than one read chunk (64 KiB), with multi-byte characters straddling
    chunk borders, give the same tree as a plain parse; so does a short one parsed after them
    (the scratch buffer is resized for every chunk)."""
    parser = get_parser("Python")
    assert parser is not None
    line = 'name_{i} = "héllo → wörld {i}"  # ünïcode\n'
    for size in (70_000, 200_003):
        src = "".join(line.format(i=i) for i in range(size // len(line) + 1)).encode()
        tree = parse_with_budget(parser, src, 5.0)
        assert tree is not None
        assert not tree.root_node.has_error
        assert tree.root_node.end_byte == len(src)
        assert str(tree.root_node) == str(parser.parse(src).root_node)
    small = b"x = 1\n"
    tree = parse_with_budget(parser, small, 2.0)
    assert tree is not None and tree.root_node.text == small
