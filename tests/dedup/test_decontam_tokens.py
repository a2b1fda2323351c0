"""The fast n-gram hasher equals the readable normaliser, and the docstring pre-filter never
hides a docstring match (while it does skip texts that cannot match)."""

from __future__ import annotations

import copy
import json
import random
import re

import numpy as np
import pytest

from curate.dedup import decontam_scan
from curate.dedup.decontam import build_index, load_benchmark
from curate.dedup.decontam_anchors import DocstringAnchors
from curate.dedup.decontam_tokens import (
    TokenHasher,
    encode,
    gram_hashes,
    normalized_tokens,
    token_hash,
)
from tests.support.decontam_forms import FORMS, HARD_NEGATIVES

from .helpers import make_function

EDGE_CASES = [
    "",
    "x",
    "obj.append(len(z))",
    "obj. # a comment between\n  items.keys()",
    "a = '''unclosed docstring\nb = 1",
    's = "' + "x" * 24 + '" + "' + "y" * 25 + '"',
    "t = 'it\\'s' + \"q\\\"\" + '\\\\'",
    "π = größe.länge + naïve  // C comment\n// whole line",
    "caf\u00e9 = r'\\d+' ; 0x1F + 1.5e3 + 2_000 + .5 + 1..2",
    "def f(self, *args, **kw) -> Optional[List[int]]:\n    return self.g(*args)\n",
    "x = 1 # trailing\n#!/usr/bin/env python\nprint(x)",
    "\u0663\u0664 + \u00e9t\u00e9 + _x9 + \u00a0\u2028 ; \u00bd \u00b2 - x//2 /3 #c\n'a'\"b\"",
    "x.\u00e9t\u00e9 + y.\u0663",
    # Short strings are counted in characters, not UTF-8 bytes (24 kept, 25 dropped).
    "a = '" + "\u00e9" * 24 + "' + '" + "\u20ac" * 25 + "' + \"" + "\U0001f600" * 24 + '"',
]
# Lone surrogates (decoded JSON escapes): tokenised from their surrogatepass bytes.
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATES = ["s = '\ud800' + \udfff.x + '" + "\ud800" * 25 + "' # \udc00", "\ud83d.\u00e9"]


def _texts() -> list[str]:
    rng = random.Random(5)
    tasks = load_benchmark("humaneval")
    out = list(EDGE_CASES)
    out += [make_function(rng, rng.randrange(1, 60)) for _ in range(60)]
    out += [t.code for t in tasks[:40]] + [t.test for t in tasks[:40]]
    out += [FORMS["json-row"](t) for t in tasks[:10]]
    return out


@pytest.mark.parametrize("n", [1, 3, 10])
def test_fast_hasher_equals_reference(n: int) -> None:
    hasher = TokenHasher()
    for text in _texts():
        expected = gram_hashes(normalized_tokens(text), n)
        got = hasher.gram_hashes(text, n)
        assert got.dtype == np.uint64 and np.array_equal(got, expected), text[:80]


def test_fast_hasher_equals_reference_on_lone_surrogates() -> None:
    hasher = TokenHasher()
    for text in SURROGATES:
        expected = gram_hashes(normalized_tokens(text), 3)
        assert np.array_equal(hasher.gram_hashes(text, 3), expected), text


def test_attribute_names_are_kept_only_after_a_dot() -> None:
    hasher = TokenHasher()
    a = hasher.token_hashes("x.lower(y)")
    b = hasher.token_hashes("x.upper(y)")
    c = hasher.token_hashes("lower(y) + upper(y)")
    assert not np.array_equal(a, b)  # attribute names count
    assert c[0] == c[5]  # bare identifiers are both ID


# Characters on which Python's and Rust's Unicode classes disagree: "\x1c"-"\x1f" are \s only in
# Python, "½" / "²" are \w only in Python, combining marks and Roman numerals are \w only in Rust.
CLASS_EDGES = "\x1c\x1d\x1e\x1f\x85\xa0\u2028\u3000\xbd\xb2\u2160\u0301\u0663\u0966\uff10\xb5\u02b0"


def _unicode_texts(count: int = 400) -> list[str]:
    """Code-like ASCII mixed with random code points from the whole Unicode range."""
    rng = random.Random(11)
    ascii_parts = [*list(" .\n\r\t\"'#/\\_aZ09x"), "x.y", "1.5e3", "'" * 3, '"' * 3, "//", "\r\n"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(0, 120)):
            r = rng.random()
            if r < 0.3:
                cp = rng.randrange(0x110000)
                parts.append(chr(cp if not 0xD800 <= cp < 0xE000 else 0x41))
            elif r < 0.45:
                parts.append(rng.choice(CLASS_EDGES))
            else:
                parts.append(rng.choice(ascii_parts))
        out.append("".join(parts))
    return out


def _batch_texts() -> list[str]:
    """Everything ``_texts`` has, plus Unicode noise, empty texts, comment-only texts, CRLF."""
    crlf = [t.replace("\n", "\r\n") for t in _texts()[:40]]
    comments = ["# only a comment", "// one\n// two\n#three\n", "'''doc only'''", '"""\n"""']
    return _texts() + _unicode_texts() + ["", "", " \n\t"] + comments + crlf + [CLASS_EDGES]


@pytest.mark.parametrize("n", [1, 3, 10])
def test_batch_hasher_equals_reference(n: int) -> None:
    texts = _batch_texts()
    random.Random(n).shuffle(texts)  # neighbours of every kind
    hasher = TokenHasher()
    grams, offsets = hasher.batch_gram_hashes(texts, n)
    tokens, token_offsets = hasher.batch_token_hashes(texts)
    assert grams.dtype == np.uint64 and len(offsets) == len(texts) + 1 == len(token_offsets)
    for i, text in enumerate(texts):
        expected = gram_hashes(normalized_tokens(text), n)
        assert np.array_equal(grams[offsets[i] : offsets[i + 1]], expected), text[:80]
        expected_tokens = [token_hash(t) for t in normalized_tokens(text)]
        assert tokens[token_offsets[i] : token_offsets[i + 1]].tolist() == expected_tokens


# Fragments where a compiled tokeniser could part from ``_TOKEN`` / ``normalized_tokens``.
FRAGMENTS = [
    *("self", "len", "print", "List", "x", "_y9", "obj", "lower", "ID", "S", "match", "None"),
    *(".", "obj.", ". ", "..", "1.5e3", "0x1F", "1..2", "2_000", ".5", "9x.y", "1\u00e9"),
    *("größe", "π", "naïve", "変数", "é", "x\u00b5", "\u02b0", "\u2160", "\u0301", "e\u0301"),
    *("\u00bd", "\u00b2", "\u0663\u0664", "\u0966", "\uff10", "3\u00bd", "\u0663.x", "7\u0301"),
    *("\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u2028", "\u3000", "\t", "\x0b", "\x0c"),
    *('"', "'", '"""', "'''", '""', "''", "\\", '\\"', "\\'", "\\\n", "\n", "\r\n", "\\x"),
    *("#", "# c", "//", "/", "/ /", "#!", "'abc'", '"q\\"q"', "'" + "é" * 24 + "'"),
    *("'" + "€" * 25 + "'", '"' + "\U0001f600" * 24 + '"', "😀", "\U0010ffff", "\x00"),
    *("\ud800", "\udfff", "\ud83d\ude00", "x.\ud800", "'\udc00'", "\ud800" * 3),
]


def _fuzz_texts(count: int, seed: int) -> list[str]:
    """Random concatenations of ``FRAGMENTS``, whitespace and random code points (surrogates
    included: the tokeniser reads ``surrogatepass`` bytes like any others)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(0, 80)):
            r = rng.random()
            if r < 0.1:
                parts.append(chr(rng.randrange(0x110000)))
            elif r < 0.25:
                parts.append(rng.choice([" ", "\n", "\r\n", "  "]))
            else:
                parts.append(rng.choice(FRAGMENTS))
        out.append("".join(parts))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_tokeniser_equals_reference_on_fuzzed_texts(seed: int) -> None:
    texts = _fuzz_texts(1500, seed)
    assert any(_SURROGATE.search(t) for t in texts) and any("\x1c" in t for t in texts)
    hasher = TokenHasher()
    tokens, token_offsets = hasher.batch_token_hashes(texts)
    grams, offsets = hasher.batch_gram_hashes(texts, 10)
    for i, text in enumerate(texts):
        expected = [token_hash(t) for t in normalized_tokens(text)]
        assert tokens[token_offsets[i] : token_offsets[i + 1]].tolist() == expected, repr(text)
        want = gram_hashes(normalized_tokens(text), 10)
        assert np.array_equal(grams[offsets[i] : offsets[i + 1]], want), repr(text)


def test_rolled_grams_equal_the_definition_on_a_long_text() -> None:
    text = "\n".join(t.code + t.test for t in load_benchmark("humaneval"))
    grams = TokenHasher().gram_hashes(text, 10)
    assert len(grams) > 20_000
    assert np.array_equal(grams, gram_hashes(normalized_tokens(text), 10))


def test_code_point_classes_are_pythons() -> None:
    classes = decontam_scan.code_point_classes()
    points = [*range(0, 0x110000, 97), *map(ord, CLASS_EDGES), 0xD800, 0xDFFF, 0x1C, 0x5F]
    for cp in points:
        ch = chr(cp)
        bits = (
            (decontam_scan.DIGIT if re.match(r"\d", ch) else 0)
            | (decontam_scan.WORD if re.match(r"\w", ch) else 0)
            | (decontam_scan.SPACE if re.match(r"\s", ch) else 0)
            | (decontam_scan.ALPHA if ch.isalpha() else 0)
        )
        assert classes[cp] == bits, hex(cp)
    assert classes[0x1C] == decontam_scan.SPACE and classes[0xBD] == decontam_scan.WORD


def _json_texts(count: int) -> list[str]:
    """JSON-like texts: string literals around the 40-character floor, with escaped newlines,
    escaped quotes and backslashes, invalid escapes, real newlines, unclosed quotes."""
    rng = random.Random(10)
    pieces = ['"', '"', "a", "é", "€", "\\n", "\\\\", '\\"', "\\q", "\\u00e9", "\\ud800", "\n"]
    pieces += ["x" * 20, "y" * 39, ": ", ", ", "\\", "\\\\n", "n"]
    out = []
    for _ in range(count):
        parts = [rng.choice(pieces) for _ in range(rng.randrange(0, 40))]
        out.append("".join(parts))
    out.append(json.dumps({"prompt": "def f():\n" + "    return 1\n" * 5, "k": "z" * 50}))
    return out


def test_compiled_json_strings_equal_the_definition(indexes) -> None:
    _, index, _ = indexes
    texts = _json_texts(3000)
    extended, data, offsets = index._decoded_views(*encode(texts))
    views = [extended.get(i, t) for i, t in enumerate(texts)]
    expected = [index._with_decoded(t) for t in texts]
    assert views == expected
    assert sum(v != t for v, t in zip(views, texts, strict=True)) > 50
    want_data, want_offsets = encode(expected)
    assert np.array_equal(data, want_data) and np.array_equal(offsets, want_offsets)


def test_word_finder_finds_every_substring() -> None:
    rng = random.Random(9)
    alphabet = ["a", "b", "x", "f(5", ")", "palin", "drome", "grö", "ße", "€", "tail", ".", " "]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(12))) for _ in range(3000)]
    texts += ["\ud800palindrome", "x\udfff"]  # lone surrogates: their surrogatepass bytes
    encoded = encode(texts)
    for words in (
        ["f(5)", "palindrome", "größe", "x", "ab", "€€", "tail."],  # 1-byte keys
        ["palindrome", "drome", "größe"],  # 4-byte keys, shared prefixes
    ):
        finder = decontam_scan.WordFinder(words)
        got = finder.holds_any(*encoded).tolist()
        assert got == [any(w in t for w in words) for t in texts]
        assert 0 < sum(got) < len(texts)
        docs = np.arange(0, len(texts), 3)
        table = finder.found(*encoded, docs)
        assert table.tolist() == [[w in texts[d] for w in words] for d in docs.tolist()]
    assert not decontam_scan.WordFinder([]).holds_any(*encoded).any()
    with pytest.raises(ValueError):
        decontam_scan.WordFinder(["a", "a"])


def test_batch_attribute_rule_stays_inside_a_text() -> None:
    hasher = TokenHasher()
    tokens, offsets = hasher.batch_token_hashes(["obj.", "lower(y)", "x.lower(y)", ""])
    assert np.array_equal(tokens[offsets[1] : offsets[2]], hasher.token_hashes("lower(y)"))
    assert tokens[offsets[1]] == hasher.token_hashes("z")[0]  # ID, not the name "lower"
    assert tokens[offsets[2] + 2] == hasher.token_hashes("q.lower")[2]  # the name after "."
    assert tokens[offsets[2] + 2] != tokens[offsets[1]]
    assert offsets[3] == offsets[4]
    empty, empty_offsets = hasher.batch_gram_hashes([], 10)
    assert len(empty) == 0 and empty_offsets.tolist() == [0]
    none, none_offsets = hasher.batch_gram_hashes(["", "# c", "'''d'''"], 10)
    assert len(none) == 0 and none_offsets.tolist() == [0, 0, 0, 0]


@pytest.fixture(scope="module")
def indexes():
    tasks = load_benchmark("humaneval")
    index = build_index(["humaneval"])
    unfiltered = copy.copy(index)
    unfiltered.docstring_filter = copy.copy(index.docstring_filter)
    unfiltered.docstring_filter.always = True
    return tasks, index, unfiltered


def test_docstring_prefilter_changes_no_finding(indexes) -> None:
    tasks, index, unfiltered = indexes
    rng = random.Random(3)
    texts = [f(t) for f in (*FORMS.values(), *HARD_NEGATIVES.values()) for t in tasks[::3]]
    texts += [make_function(rng, rng.randrange(5, 80)) for _ in range(100)]
    for text in texts:
        assert index.check(text) == unfiltered.check(text), text[:80]


def test_docstring_prefilter_skips_texts_without_the_anchor_words(indexes) -> None:
    tasks, index, _ = indexes
    rng = random.Random(4)
    clean = [make_function(rng, rng.randrange(5, 80)) for _ in range(200)]
    assert sum(index.docstring_filter.may_match(t) for t in clean) == 0
    doc = tasks[12].texts[0]
    assert index.docstring_filter.may_match("# " + "\n# ".join(doc.split()))
    assert index.docstring_filter.may_match(json.dumps({"p": doc}))


def test_docstring_anchors_need_all_anchor_words() -> None:
    anchors = DocstringAnchors(["Return the largest palindrome hidden in the text"], per_text=2)
    assert anchors.may_match("the largest ... palindrome")  # its two longest words
    assert not anchors.may_match("palindrome hidden in the text")
    assert not anchors.may_match("Return the text")
    assert DocstringAnchors([""]).may_match("anything")  # no words: nothing can be ruled out


def _check_texts(tasks) -> list[str]:
    rng = random.Random(6)
    texts = [f(t) for f in (*FORMS.values(), *HARD_NEGATIVES.values()) for t in tasks[::4]]
    texts += [make_function(rng, rng.randrange(5, 80)) for _ in range(60)]
    # Decoded JSON strings with a lone surrogate: not valid UTF-8, so the per-text hasher.
    row = json.dumps({"prompt": tasks[2].code + "\n# \ud800 broken"})
    assert "\\ud800" in row
    return [*texts, row, "", "x" * 50, FORMS["json-row"](tasks[5]), *_unicode_texts(50)]


def test_check_batch_equals_check(indexes) -> None:
    tasks, index, unfiltered = indexes
    texts = _check_texts(tasks)
    batch = index.check_batch(texts)
    assert batch == [index.check(t) for t in texts]
    assert sum(m.contaminated for m in batch) > len(tasks[::4])  # the forms are found
    assert not batch[-52].contaminated  # "x" * 50
    assert batch[-54].contaminated  # the JSON row with a lone surrogate, per-text path
    assert unfiltered.check_batch(texts) == batch  # the pre-filter changes nothing
    assert index.check_batch([]) == []


def test_may_match_batch_equals_may_match(indexes) -> None:
    tasks, index, unfiltered = indexes
    texts = [*_check_texts(tasks), "# " + "\n# ".join(tasks[12].texts[0].split())]
    anchors = index.docstring_filter
    encoded = encode(texts)
    got = anchors.may_match_batch(*encoded)
    assert got.tolist() == [anchors.may_match(t) for t in texts]
    assert 0 < got.sum() < len(texts)
    assert unfiltered.docstring_filter.may_match_batch(*encoded).all()
    assert not DocstringAnchors([]).may_match_batch(*encoded).any()


def test_encoded_column_is_encode_of_the_values() -> None:
    import pyarrow as pa

    from curate.dedup.decontam_tokens import encoded_column

    texts = [*_json_texts(300), "", "é€", "x"]
    values = [None if i % 17 == 3 else t for i, t in enumerate(texts)]
    for kind in (pa.string(), pa.large_string()):
        column = pa.array(values, kind)
        for part in (column, column.slice(5, 200), column.slice(0, 0)):
            data, offsets = encoded_column(part)
            want_data, want_offsets = encode([v or "" for v in part.to_pylist()])
            assert np.array_equal(data, want_data) and np.array_equal(offsets, want_offsets)
            assert not data.flags.writeable
    view = pa.array(values, pa.string_view())
    assert all(
        np.array_equal(x, y)
        for x, y in zip(encoded_column(view), encode([v or "" for v in values]), strict=True)
    )
    with pytest.raises(TypeError):
        encoded_column(pa.array([b"x"]))


def test_check_encoded_of_an_arrow_column_equals_check_batch(indexes) -> None:
    import pyarrow as pa

    from curate.dedup.decontam_tokens import encoded_column

    tasks, index, _ = indexes
    texts = _check_texts(tasks)
    column = pa.array(["pad", *texts], pa.string()).slice(1)
    assert index.check_encoded(*encoded_column(column)) == index.check_batch(texts)


def test_json_string_spans_of_some_texts(indexes) -> None:
    texts = _json_texts(500)
    data, offsets = encode(texts)
    every = decontam_scan.json_string_spans(data, offsets)
    docs = np.arange(0, len(texts), 3)
    some = decontam_scan.json_string_spans(data, offsets, docs)
    keep = np.isin(every[0], docs)
    assert all(np.array_equal(a[keep], b) for a, b in zip(every, some, strict=True))
    assert keep.sum() > 10
