"""Contamination forms that hide a benchmark row: JSON string values and comment-line prompts."""

from __future__ import annotations

import json

from curate.dedup.decontam import DecontamIndex, Task, decoded_json_strings, uncommented

PROMPT = (
    "def running_extremes(values):\n"
    '    """Return the list of running maxima of the given numbers, where each element\n'
    '    is the largest value seen so far in the input sequence from left to right."""\n'
)
SOLUTION = (
    "    best = None\n    out = []\n    for v in values:\n"
    "        if best is None or v > best:\n            best = v\n"
    "        out.append(best)\n    return out\n"
)


def _index() -> DecontamIndex:
    doc = PROMPT.split('"""')[1]
    return DecontamIndex([Task("bench", "T/0", PROMPT + SOLUTION, (doc,))])


def test_row_stored_as_json_string_is_found() -> None:
    row = json.dumps({"prompt": PROMPT, "canonical_solution": SOLUTION, "note": "caf\u00e9"})
    assert _index().check(f"ROWS = [\n    {row},\n]\n").contaminated


def test_docstring_rewritten_as_comments_is_found() -> None:
    lines = PROMPT.split('"""')[1].splitlines()
    text = "".join(f"# {ln.strip()}\n" for ln in lines) + "def f(x):\n    return sorted(x)\n"
    assert _index().check(text).contaminated


def test_unrelated_json_and_comments_are_not_flagged() -> None:
    other = json.dumps({"msg": "line one of an unrelated message\nline two of it, long enough"})
    text = f"CFG = {other}\n# compute the running total of a list of integers here\n"
    assert not _index().check(text).contaminated


def test_helpers() -> None:
    assert decoded_json_strings('x = "no escapes here"') == ""
    s = json.dumps("a\nb" * 20)
    assert decoded_json_strings(f"v = {s}") == "a\nb" * 20
    assert decoded_json_strings('bad = "' + "\\q" * 30 + '\\n"') == ""  # invalid escape: skipped
    assert uncommented("  # hello\n// there\ncode # kept\n") == "hello\nthere\ncode # kept\n"


def test_test_only_copy_is_found_and_other_tests_are_not() -> None:
    test = (
        "def check(candidate):\n"
        "    assert candidate([1, 3, 2, 5, 4]) == [1, 3, 3, 5, 5]\n"
        "    assert candidate([]) == []\n"
        "    assert candidate([7, 7, -1, 9]) == [7, 7, 7, 9]\n"
        "    assert candidate([-4, -2, -8]) == [-4, -2, -2]\n"
    )
    index = DecontamIndex([Task("bench", "T/0", PROMPT + SOLUTION, (), test)])
    assert index.check("import pytest\n\n" + test.replace("candidate", "fn")).task_ids == ["T/0"]
    other = test.replace("[1, 3, 2, 5, 4]", "[2, 2]").replace("[7, 7, -1, 9]", "[0]")
    other = other.replace("[-4, -2, -8]", "[6, 1]").replace("[1, 3, 3, 5, 5]", "[2, 2]")
    assert not index.check(other).contaminated
