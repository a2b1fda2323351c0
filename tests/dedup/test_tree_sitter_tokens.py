"""``near.tokenizer = "tree_sitter"``: renamed-variable clones, unrelated look-alikes, fallback,
determinism, identity with the reference shingling."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
from datasketch import MinHash

from curate.dedup import DedupConfig, run_near_dedup
from curate.dedup.config import NearConfig
from curate.dedup.minhash import (
    document_tokens,
    shingle_hash32,
    shingle_hashes,
    shingles,
    signatures,
)
from curate.dedup.ts_tokens import (
    FALLBACK_NO_GRAMMAR,
    FALLBACK_NOT_CODE,
    FALLBACK_TIMEOUT,
    FALLBACK_TOO_LARGE,
    TREE_SITTER,
)
from curate.engine.runner import LocalRunner
from tests.support.code_variants import rename_identifiers

from .helpers import WORDS, doc_row

TS = NearConfig(tokenizer="tree_sitter", threshold=0.8)


def _program(rng: random.Random, n_funcs: int = 6) -> str:
    """A Python module of small functions with loops, branches, calls and literals; different
    seeds give different control flow, so unrelated programs share little structure."""
    out = []
    for f in range(n_funcs):
        a, b, c = rng.sample(WORDS, 3)
        out.append(f"def {a}_{f}({b}, {c}=None):")
        out.append(f'    """Compute the {a} of {b}."""')
        for _ in range(rng.randrange(3, 8)):
            kind = rng.randrange(5)
            x, y = rng.sample(WORDS, 2)
            if kind == 0:
                out.append(f"    for {x} in range({rng.randrange(100)}):")
                out.append(f"        {b}.append({x} * {c} if {c} else {x})")
            elif kind == 1:
                out.append(f"    if {b} is None or len({b}) > {rng.randrange(50)}:")
                out.append(f"        raise ValueError('{x} {y}')  # guard")
            elif kind == 2:
                out.append(f"    {x} = {{'{y}': {b}, 'n': {rng.randrange(9)}}}")
            elif kind == 3:
                out.append(f"    while {b} and {c} < {rng.randrange(20)}:")
                out.append(f"        {c} = {c} + {b}.pop()")
            else:
                out.append(f"    {x} = [{y} for {y} in {b} if {y} != {c}]")
        out.append(f"    return {b}")
        out.append("")
    return "\n".join(out)


def _clusters(make_run, rows: list[dict], cfg: NearConfig, name: str) -> dict[str, str | None]:
    run = make_run(rows, 2, name)
    run_near_dedup(run, DedupConfig(near=cfg), LocalRunner())
    docs = pl.read_parquet(sorted(run.documents.glob("*.parquet")), columns=["doc_uid", "repo"])
    near = pl.read_parquet(sorted(run.attributes("near_dedup@1").glob("*.parquet")))
    joined = docs.join(near, on="doc_uid")
    return dict(zip(joined["repo"], joined["dup_cluster_id"], strict=True))


def test_identifiers_literals_comments_normalised() -> None:
    code = 'def f(a, b):\n    # note\n    """doc"""\n    return a.x + 1.5 * b + f"{a}"\n'
    tokens, used = document_tokens(code, "tree_sitter", "Python")
    assert used == TREE_SITTER
    plain = [t if not t.startswith("\x01") else "ID" for t in tokens]
    assert plain == [
        "def",
        "ID",
        "(",
        "ID",
        ",",
        "ID",
        ")",
        ":",
        "<s>",
        "return",
        "ID",
        ".",
        "x",
        "+",
        "<n>",
        "*",
        "ID",
        "+",
        "<s>",
    ]  # fmt: skip  (a member name is API, kept: renaming a local does not change it)
    assert "note" not in " ".join(tokens)  # comment dropped
    # identifiers are numbered by first occurrence inside each shingle
    assert shingles("x = x + y", 5, "tree_sitter", "Python") == ["<id0> = <id0> + <id4>"]
    assert shingles("x = y + z", 5, "tree_sitter", "Python") == ["<id0> = <id2> + <id4>"]


def test_renamed_clone_found_with_tree_sitter_not_with_words(make_run) -> None:
    rng = random.Random(3)
    originals = [_program(rng) for _ in range(8)]
    rows = [doc_row("", f"o{i}/x", "a.py", t) for i, t in enumerate(originals)]
    rows += [doc_row("", f"r{i}/x", "a.py", rename_identifiers(t)) for i, t in enumerate(originals)]
    found = {}
    for name, cfg in (("words", NearConfig()), ("tree_sitter", TS)):
        cid = _clusters(make_run, rows, cfg, name)
        found[name] = sum(cid[f"o{i}/x"] == cid[f"r{i}/x"] for i in range(8))
    assert found["tree_sitter"] == 8
    assert found["words"] <= 1
    # the shingle sets agree exactly for a consistent rename; words share few shingles
    a, b = originals[0], rename_identifiers(originals[0])
    ts_a = set(shingles(a, 5, "tree_sitter", "Python"))
    ts_b = set(shingles(b, 5, "tree_sitter", "Python"))
    w_a, w_b = set(shingles(a)), set(shingles(b))
    assert len(ts_a & ts_b) / len(ts_a | ts_b) > 0.95
    assert len(w_a & w_b) / len(w_a | w_b) < 0.3


UNRELATED = [
    """def search(items, wanted):
    lo, hi = 0, len(items) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if items[mid] == wanted:
            return mid
        if items[mid] < wanted:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
""",
    """def count_words(path):
    counts = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            for word in line.lower().split():
                counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return ranked[:10]
""",
    """def transpose(matrix):
    if not matrix:
        return []
    rows, cols = len(matrix), len(matrix[0])
    out = [[0] * rows for _ in range(cols)]
    for r in range(rows):
        for c in range(cols):
            out[c][r] = matrix[r][c]
    return out
""",
    """def flatten(nested):
    result = []
    stack = [iter(nested)]
    while stack:
        try:
            item = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        if isinstance(item, (list, tuple)):
            stack.append(iter(item))
        else:
            result.append(item)
    return result
""",
    """class Cache:
    def __init__(self, size=128):
        self.size = size
        self.data = {}
        self.order = []

    def get(self, key):
        if key in self.data:
            self.order.remove(key)
            self.order.append(key)
            return self.data[key]
        return None

    def put(self, key, value):
        if len(self.order) >= self.size:
            del self.data[self.order.pop(0)]
        self.data[key] = value
        self.order.append(key)
""",
    """def parse_line(line, sep=","):
    fields, current, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            fields.append(current)
            current = ""
        else:
            current += ch
    fields.append(current)
    return fields
""",
    """def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def lcm(a, b):
    return a * b // gcd(a, b) if a and b else 0
""",
    """def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def is_prime(n):
    if n < 2:
        return False
    return all(n % d for d in range(2, int(n ** 0.5) + 1))
""",
]


def test_unrelated_files_with_similar_syntax_stay_apart(make_run) -> None:
    rows = [doc_row("", f"u{i}/x", "a.py", t) for i, t in enumerate(UNRELATED)]
    rows += [doc_row("", f"r{i}/x", "a.py", rename_identifiers(t)) for i, t in enumerate(UNRELATED)]
    cid = _clusters(make_run, rows, TS, "unrelated")
    for i in range(len(UNRELATED)):
        assert cid[f"u{i}/x"] == cid[f"r{i}/x"]  # each file with its renamed copy
    # ...but no two different programs together, though all are short, plain Python
    assert len({cid[f"u{i}/x"] for i in range(len(UNRELATED))}) == len(UNRELATED)
    # the pairwise similarity is far below the threshold, not just under it
    sets = [set(shingles(t, 5, "tree_sitter", "Python")) for t in UNRELATED]
    worst = max(len(a & b) / len(a | b) for k, a in enumerate(sets) for b in sets[k + 1 :])
    assert worst < 0.3


def test_template_generated_files_merge(make_run) -> None:
    """The flip side, documented in docs/dedup.md: files generated from one template (here a
    random sequence of five statement shapes) are renamed-variable clones of each other.
    Their true tree-sitter Jaccard is 0.73-0.80: verification keeps them apart at the
    recommended 0.8 (before verification was on by default, LSH false candidates merged them)
    and merges them at 0.7."""
    rng = random.Random(5)
    programs = [_program(rng) for _ in range(10)]
    rows = [doc_row("", f"g{i}/x", "a.py", t) for i, t in enumerate(programs)]
    sets = [set(shingles(t, 5, "tree_sitter", "Python")) for t in programs]
    pair_j = [len(a & b) / len(a | b) for k, a in enumerate(sets) for b in sets[k + 1 :]]
    assert 0.7 <= max(pair_j) < 0.8
    loose = NearConfig(tokenizer="tree_sitter", threshold=0.7)
    assert len(set(_clusters(make_run, rows, loose, "template").values())) < 10
    assert len(set(_clusters(make_run, rows, TS, "template_08").values())) == 10
    assert len(set(_clusters(make_run, rows, NearConfig(), "template_w").values())) == 10


def test_fallback_to_words_without_grammar(make_run) -> None:
    cobol = (
        "       IDENTIFICATION DIVISION.\n       PROGRAM-ID. HELLO.\n       PROCEDURE DIVISION.\n"
    )
    tokens, used = document_tokens(cobol, "tree_sitter", "COBOL")  # no bundled grammar
    assert used == FALLBACK_NO_GRAMMAR
    assert tokens == document_tokens(cobol, "words")[0]
    assert document_tokens(cobol, "tree_sitter", None)[1] == FALLBACK_NO_GRAMMAR
    markdown = "# Title\n\nSome prose about parsing.\n"
    assert document_tokens(markdown, "tree_sitter", "Markdown") == (
        document_tokens(markdown, "words")[0],
        FALLBACK_NOT_CODE,
    )
    # same signature as the words tokenizer, and the reason lands in dup_tokenizer
    ts_sig = signatures(*shingle_hashes([cobol], 5, "tree_sitter", ["COBOL"]))
    assert np.array_equal(ts_sig, signatures(*shingle_hashes([cobol])))
    rng = random.Random(9)
    rows = [
        doc_row("", "py/x", "a.py", _program(rng)),
        doc_row("", "cob/x", "a.cob", cobol, language="COBOL"),
        doc_row("", "none/x", "a.txt", "plain words here", language=None),
    ]
    run = make_run(rows, 1, "fallback")
    run_near_dedup(run, DedupConfig(near=TS), LocalRunner())
    docs = pl.read_parquet(sorted(run.documents.glob("*.parquet")), columns=["doc_uid", "repo"])
    near = docs.join(
        pl.read_parquet(sorted(run.attributes("near_dedup@1").glob("*.parquet"))), on="doc_uid"
    )
    used_by_repo = dict(zip(near["repo"], near["dup_tokenizer"], strict=True))
    assert used_by_repo == {
        "py/x": TREE_SITTER,
        "cob/x": FALLBACK_NO_GRAMMAR,
        "none/x": FALLBACK_NO_GRAMMAR,
    }


def test_parse_timeout_falls_back() -> None:
    big = "x = [" + ", ".join(str(i) for i in range(100_000)) + "]\n"
    tokens, used = document_tokens(big, "tree_sitter", "Python", parse_timeout_s=1e-6)
    assert used == FALLBACK_TIMEOUT
    assert tokens == document_tokens(big, "words")[0]
    small_cap = document_tokens(big, "tree_sitter", "Python", parse_max_bytes=1000)
    assert small_cap == (tokens, FALLBACK_TOO_LARGE)


def test_signatures_deterministic_and_match_reference() -> None:
    rng = random.Random(11)
    texts = [_program(rng, 3) for _ in range(5)] + ["x", "a = a", "", "pass\n"]
    langs = ["Python"] * len(texts)
    first = signatures(*shingle_hashes(texts, 5, "tree_sitter", langs))
    second = signatures(*shingle_hashes(list(reversed(texts)), 5, "tree_sitter", langs))[::-1]
    assert np.array_equal(first, second)  # independent of batch order and vocabulary
    for i, text in enumerate(texts):
        sh = shingles(text, 5, "tree_sitter", "Python")
        if not sh:
            assert (first[i] == 0xFFFFFFFF).all()
            continue
        m = MinHash(num_perm=256, hashfunc=shingle_hash32)
        for s in sh:
            m.update(s)
        assert np.array_equal(m.hashvalues, first[i])
