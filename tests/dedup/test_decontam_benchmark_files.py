"""A bad ``--benchmark`` / ``benchmarks = [...]`` file is a one-line ConfigError naming the file,
the line and what is wrong; from the CLI it is one ``error:`` line and exit code 2."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from curate.config import parse_pipeline
from curate.dedup.decontam import load_benchmark
from curate.errors import ConfigError

CLI = [sys.executable, "-c", "from curate.cli import main; main()"]
GOOD = {"task_id": "t/1", "prompt": "def f(x):\n    return x\n"}


def _jsonl(tmp_path: Path, *lines: str, name: str = "bench.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


BAD = {
    "not-json": (["{GOOD}", "{not json"], r"bench.jsonl:2: not JSON \("),
    "not-object": (["[1, 2]"], r"bench.jsonl:1: not a JSON object \(a list\)"),
    "no-task-id": (['{"prompt": "def f(): pass"}'], r"bench.jsonl:1: missing 'task_id'"),
    "null-task-id": (['{"task_id": null, "code": "x = 1"}'], r"bench.jsonl:1: missing 'task_id'"),
    "no-code": (
        ['{"task_id": 3, "text": "only a statement"}'],
        r"bench.jsonl:1: task 3 has none of 'prompt', 'canonical_solution', 'code'",
    ),
    "prompt-not-string": (
        ['{"task_id": 3, "prompt": ["def f(): pass"]}'],
        r"bench.jsonl:1: 'prompt' must be a string, not list",
    ),
    "bad-test-list": (
        ['{"task_id": 3, "code": "x = 1", "test_list": "assert x"}'],
        r"bench.jsonl:1: 'test_list' must be a list of strings",
    ),
    "empty": ([], r"bench.jsonl: no tasks \(the file is empty\)"),
    "blank-lines-only": (["", "   "], r"bench.jsonl: no tasks"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_benchmark_file_is_a_config_error(tmp_path: Path, case: str) -> None:
    lines, message = BAD[case]
    path = _jsonl(tmp_path, *(line.replace("{GOOD}", json.dumps(GOOD)) for line in lines))
    with pytest.raises(ConfigError, match=message) as info:
        load_benchmark(str(path))
    assert "\n" not in str(info.value)


def test_unreadable_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_benchmark(str(tmp_path / "missing.jsonl"))
    with pytest.raises(ConfigError, match="no such file"):
        load_benchmark(str(tmp_path))  # a directory
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"task_id": "caf\xe9"}\n')
    with pytest.raises(ConfigError, match=r"latin.jsonl:2: not UTF-8 text"):
        load_benchmark(str(latin))
    fake_gz = tmp_path / "bench.jsonl.gz"
    fake_gz.write_text(json.dumps(GOOD))
    with pytest.raises(ConfigError, match=r"bench.jsonl.gz: cannot read"):
        load_benchmark(str(fake_gz))


def test_good_files_load_also_gzipped_and_with_integer_ids(tmp_path: Path) -> None:
    mbpp = {"task_id": 11, "text": "Add two numbers.", "code": "def add(a, b):\n    return a + b\n"}
    mbpp["test_list"] = ["assert add(1, 2) == 3"]
    path = tmp_path / "mine.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(GOOD) + "\n\n" + json.dumps(mbpp) + "\n")
    tasks = load_benchmark(str(path))
    assert [(t.benchmark, t.task_id) for t in tasks] == [("mine", "t/1"), ("mine", "11")]
    assert tasks[1].test == "assert add(1, 2) == 3" and tasks[1].texts == ("Add two numbers.",)


def test_recipe_key_names_the_file_and_line(tmp_path: Path) -> None:
    bad = _jsonl(tmp_path, json.dumps(GOOD), "{oops")
    data = {"annotators": {"decontam": {"benchmarks": ["humaneval", str(bad)]}}}
    with pytest.raises(ConfigError) as info:
        parse_pipeline(data, source="recipe.toml")
    assert str(info.value).startswith("recipe.toml: annotators.decontam.benchmarks: ")
    assert f"{bad}:2: not JSON" in str(info.value)
    with pytest.raises(ConfigError, match=r"decontam\.benchmarks: at least one benchmark"):
        parse_pipeline({"annotators": {"decontam": {"benchmarks": []}}})
    cfg = parse_pipeline({"annotators": {"decontam": {"benchmarks": ["humaneval"]}}})
    assert dict(cfg.annotators)["decontam"].benchmarks == ("humaneval",)


def test_cli_bad_benchmark_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    bad = _jsonl(tmp_path, '{"task_id": "x"}')
    proc = subprocess.run(
        [*CLI, "decontam", str(tmp_path), "--benchmark", str(bad)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"error: {bad}:1: task x has none of 'prompt', 'canonical_solution', 'code', 'solution'"
    ]
