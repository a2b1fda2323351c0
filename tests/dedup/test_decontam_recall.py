"""Recall per contamination form on the shipped HumanEval, and hard negatives never flagged."""

from __future__ import annotations

import pytest

from curate.dedup.decontam import build_index, load_benchmark
from tests.support.decontam_forms import (
    FORMS,
    HARD_NEGATIVES,
    _prompt_solution,
    identifiable_solution,
    recall,
)

# Solution-only copies of one-line solutions (``return number % 1.0``) are generic code that
# no detector can tell from independent code: over all 164 tasks measured 0.866; the 0.97 target
# holds over identifiable solutions (``identifiable_solution``), see docs/decontam.md.
FLOOR = {"solution-only": 0.85}


@pytest.fixture(scope="module")
def humaneval():
    return load_benchmark("humaneval"), build_index(["humaneval"])


@pytest.mark.parametrize("form", sorted(FORMS))
def test_recall_per_form(humaneval, form: str) -> None:
    tasks, index = humaneval
    assert recall(index, tasks, FORMS[form]) >= FLOOR.get(form, 0.97)


def test_solution_only_recall_on_identifiable_solutions(humaneval) -> None:
    tasks, index = humaneval
    identifiable = [t for t in tasks if identifiable_solution(t)]
    # The rule keeps most tasks (it must not shrink the target to the easy cases).
    assert len(identifiable) >= 0.8 * len(tasks)
    assert recall(index, identifiable, FORMS["solution-only"]) >= 0.97
    # What it leaves out are solutions of a few short lines.
    short = [_prompt_solution(t)[1] for t in tasks if not identifiable_solution(t)]
    assert short and max(len([ln for ln in s.splitlines() if ln.strip()]) for s in short) <= 4


@pytest.mark.parametrize("negative", sorted(HARD_NEGATIVES))
def test_hard_negatives_are_not_flagged(humaneval, negative: str) -> None:
    tasks, index = humaneval
    flagged = [t.task_id for t in tasks if index.check(HARD_NEGATIVES[negative](t)).contaminated]
    assert flagged == []


def test_forms_differ_from_the_task_code(humaneval) -> None:
    tasks, _ = humaneval
    task = tasks[0]
    for name in ("reformatted", "renamed", "json-row", "comment-docstring", "test-only"):
        assert task.code not in FORMS[name](task), name
    assert task.test.strip() and task.test in FORMS["test-only"](task)
    assert "def " in HARD_NEGATIVES["signature-only"](task)
    assert '"""' not in HARD_NEGATIVES["signature-only"](task)
