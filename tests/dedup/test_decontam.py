"""Decontamination: planted benchmark solutions are found (also disguised), clean code is not,
user JSONL benchmarks work, the annotator and the CLI report per file."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from curate.dedup.decontam import build_index, load_benchmark, normalized_tokens
from curate.engine.annotate import annotate_batch
from curate.errors import ConfigError
from curate.filters.decontam import DecontamAnnotator, DecontamConfig
from tests.support.code_variants import reformat, rename_identifiers, strip_docstrings

from .helpers import make_function

WRAP = "import os\n\n\ndef helper(a):\n    return a * 2\n\n\n{}\n\nif __name__ == '__main__':\n    print(helper(3))\n"


@pytest.fixture(scope="module")
def humaneval():
    return load_benchmark("humaneval"), build_index(["humaneval"])


def test_humaneval_ships_offline(humaneval) -> None:
    tasks, _ = humaneval
    assert len(tasks) == 164 and tasks[0].task_id == "HumanEval/0"


@pytest.mark.parametrize(
    "disguise",
    [
        lambda c: c,
        rename_identifiers,
        reformat,
        lambda c: rename_identifiers(strip_docstrings(c)),
        lambda c: reformat(rename_identifiers(strip_docstrings(c))),
    ],
    ids=["verbatim", "renamed", "reformatted", "renamed-no-docstring", "both-no-docstring"],
)
def test_planted_solutions_are_found(humaneval, disguise) -> None:
    tasks, index = humaneval
    found = sum(t.task_id in index.check(WRAP.format(disguise(t.code))).task_ids for t in tasks)
    if disguise(tasks[5].code) == tasks[5].code:
        assert found == len(tasks)  # every verbatim solution
    assert found >= 0.9 * len(tasks)


def test_clean_generated_code_is_not_flagged(humaneval) -> None:
    _, index = humaneval
    rng = random.Random(11)
    flagged = sum(
        index.check(make_function(rng, rng.randrange(5, 80))).contaminated for _ in range(400)
    )
    assert flagged == 0


def test_normalisation_ignores_names_comments_and_layout() -> None:
    a = normalized_tokens("def f(x, y):\n    # add\n    return x + y  \n")
    b = normalized_tokens("def total(left,right):\n  return left+right\n")
    assert a == b == ["def", "ID", "(", "ID", ",", "ID", ")", ":", "return", "ID", "+", "ID"]
    assert normalized_tokens("obj.append(len(z))")[:3] == ["ID", ".", "append"]


def _mbpp(tmp_path: Path) -> Path:
    path = tmp_path / "mybench.jsonl"
    records = [
        {
            "task_id": 7,
            "text": "Write a function to count the vowels in a string and return a dict of counts per vowel.",
            "code": "def count_vowels(s):\n    counts = {}\n    for ch in s.lower():\n        if ch in 'aeiou':\n            counts[ch] = counts.get(ch, 0) + 1\n    return counts\n",
            "test_list": ["assert count_vowels('aa') == {'a': 2}"],
        },
        {
            "task_id": 8,
            "text": "short",
            "code": "def g(a):\n    return sorted(set(a), key=lambda v: (-a.count(v), v))[:3]\n",
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return path


def test_user_jsonl_benchmark_and_per_benchmark_report(tmp_path: Path) -> None:
    index = build_index([str(_mbpp(tmp_path)), "humaneval"])
    planted = rename_identifiers(
        "def count_vowels(s):\n    counts = {}\n    for ch in s.lower():\n        if ch in 'aeiou':\n            counts[ch] = counts.get(ch, 0) + 1\n    return counts\n"
    )
    m = index.check(WRAP.format(planted))
    assert m.contaminated and m.benchmarks == ["mybench"] and m.task_ids == ["7"]
    assert m.evidence[0].startswith("mybench/7: ngram:")
    text = "# Write a function to count the vowels in a string and\n# return a dict of counts per vowel.\n"
    assert index.check(text).task_ids == ["7"]  # comment lines are read as text
    assert index.check(text.replace("vowels", "digits")).task_ids == []
    assert index.check(
        '"""Write a function to count the vowels in a string and\n return a dict of counts per vowel."""'
    ).task_ids == ["7"]


def test_bad_benchmark_files_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "x", "prompt": "def f(): pass"}\nnot json\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:2"):
        load_benchmark(str(bad))
    with pytest.raises(ConfigError, match="no such file"):
        load_benchmark(str(tmp_path / "missing.jsonl"))


def test_annotator_columns(humaneval) -> None:
    tasks, _ = humaneval
    contents = [WRAP.format(tasks[3].code), "print('hello')\n", "x = 1\n" * 1000]
    batch = pa.RecordBatch.from_pydict({"content": contents, "language": ["Python"] * 3})
    ann = DecontamAnnotator(DecontamConfig(max_doc_bytes=4000))
    ann.setup()
    (out,) = annotate_batch([ann], batch)
    out = out.to_pydict()
    assert out["decontam_contaminated"] == [True, False, None]
    assert out["decontam_task_ids"][0] == ["HumanEval/3"]
    assert out["decontam_benchmarks"][:2] == [["humaneval"], []]
    assert out["decontam_evidence"][0][0].startswith("humaneval/HumanEval/3: docstring")


def test_check_without_ngrams_runs_the_docstring_detector_only(humaneval) -> None:
    tasks, index = humaneval
    solution = WRAP.format(rename_identifiers(strip_docstrings(tasks[3].code)))  # n-grams only
    docstring = WRAP.format(tasks[3].code)  # also its docstring
    assert index.check(solution).task_ids == ["HumanEval/3"]
    assert not index.check(solution, ngrams=False).contaminated
    assert index.check(docstring, ngrams=False).evidence == ["humaneval/HumanEval/3: docstring"]


def test_cli_prints_one_json_line_per_file(humaneval, tmp_path: Path) -> None:
    tasks, _ = humaneval
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "leak.py").write_text(WRAP.format(rename_identifiers(tasks[10].code)))
    (tmp_path / "src" / "clean.py").write_text(make_function(random.Random(1)))
    bench = _mbpp(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from curate.cli import main; main()",
            "decontam",
            str(tmp_path / "src"),
            "--benchmark",
            "humaneval",
            "--benchmark",
            str(bench),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    by_name = {Path(r["path"]).name: r for r in rows}
    assert set(by_name) == {"leak.py", "clean.py"}
    assert by_name["leak.py"]["contaminated"] is True
    assert by_name["leak.py"]["benchmark"] == ["humaneval"] and by_name["leak.py"]["task_ids"] == [
        "HumanEval/10"
    ]
    # Files under a directory are named like everywhere else: repository + repo-relative path.
    assert by_name["clean.py"].pop("repo")
    assert by_name["clean.py"] == {
        "path": "clean.py",
        "contaminated": False,
        "benchmark": [],
        "task_ids": [],
        "evidence": [],
    }
    assert "humaneval: 1 files" in proc.stderr and "mybench: 0 files" in proc.stderr
    bad = subprocess.run(
        [
            sys.executable,
            "-c",
            "from curate.cli import main; main()",
            "decontam",
            str(tmp_path / "nope"),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and bad.stderr.startswith("error:")
