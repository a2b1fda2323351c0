"""The ten contamination forms of a benchmark task, and hard negatives, generated from tasks.

Used by the decontamination tests and ``benchmarks/bench_decontam.py`` to measure recall per
form (nothing is committed: forms are built from the shipped HumanEval at test time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from curate.dedup.decontam import Task, ngram_hashes, normalized_tokens
from tests.support.code_variants import reformat, rename_identifiers, strip_docstrings

WRAP = "import os\n\n\ndef helper(a):\n    return a * 2\n\n\n{}\n\nif __name__ == '__main__':\n    print(helper(3))\n"


def _prompt_solution(task: Task) -> tuple[str, str]:
    """Split ``task.code`` (prompt + solution) after the prompt's closing docstring."""
    m = list(re.finditer(r'"""|\'\'\'', task.code))
    cut = m[1].end() if len(m) >= 2 else 0
    nl = task.code.find("\n", cut)
    cut = len(task.code) if nl < 0 else nl + 1
    return task.code[:cut], task.code[cut:]


def _comment_docstrings(code: str) -> str:
    """Docstrings rewritten as ``#`` lines above the code (the docstring removed)."""
    docs = re.findall(r'"""([\s\S]*?)"""|\'\'\'([\s\S]*?)\'\'\'', code)
    lines = [ln.strip() for a, b in docs for ln in (a or b).splitlines() if ln.strip()]
    return "".join(f"# {ln}\n" for ln in lines) + strip_docstrings(code)


FORMS: dict[str, Callable[[Task], str]] = {
    "verbatim": lambda t: WRAP.format(t.code),
    "standalone": lambda t: t.code,
    "reformatted": lambda t: WRAP.format(reformat(t.code)),
    "renamed": lambda t: WRAP.format(rename_identifiers(t.code)),
    "prompt-only": lambda t: WRAP.format(_prompt_solution(t)[0] + "    pass\n"),
    "solution-only": lambda t: WRAP.format(
        "def solve(*args):\n" + strip_docstrings(_prompt_solution(t)[1])
    ),
    "markdown": lambda t: f"# Solutions\n\nHere is one:\n\n```python\n{t.code}```\n\nDone.\n",
    "json-row": lambda t: json.dumps({"task_id": "x", "prompt": t.code, "test": t.test}) + "\n",
    "comment-docstring": lambda t: WRAP.format(_comment_docstrings(t.code)),
    "test-only": lambda t: "import pytest\n\n" + t.test,
}


def _signature(task: Task) -> str:
    """The prompt without its docstring: imports, helper code and the entry point's ``def``."""
    return strip_docstrings(_prompt_solution(task)[0])


HARD_NEGATIVES: dict[str, Callable[[Task], str]] = {
    "same-name-independent": lambda t: WRAP.format(
        _signature(t) + "    cache = {}\n    for key in sorted(cache):\n        cache[key] += 1\n"
        "    raise NotImplementedError(len(cache))\n"
    ),
    "signature-only": lambda t: WRAP.format(_signature(t) + "    ...\n"),
}


def recall(index, tasks: list[Task], form: Callable[[Task], str]) -> float:
    """Share of ``tasks`` whose ``form`` copy the index attributes to the right task."""
    return sum(t.task_id in index.check(form(t)).task_ids for t in tasks) / len(tasks)


def solution_grams(task: Task, ngram: int = 10) -> int:
    """Distinct normalised ``ngram``-grams of the task's solution alone (no prompt)."""
    solution = strip_docstrings(_prompt_solution(task)[1])
    return len(ngram_hashes(normalized_tokens(solution), ngram))


def identifiable_solution(task: Task, ngram: int = 10, min_matches: int = 10) -> bool:
    """A solution copied alone is identifiable when it spans at least ``min_matches`` distinct
    grams: the detector's evidence floor for any long source. Shorter ones (one-liners such as
    ``return sorted(set(l))``) are indistinguishable from independent code; the solution-only
    target (recall >= 0.97) is stated over identifiable solutions, see docs/decontam.md."""
    return solution_grams(task, ngram) >= min_matches
