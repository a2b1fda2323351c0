"""`curate run` and `curate ingest`."""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from curate.cli._common import VerboseOpt, emit_json, set_verbosity, storage_options
from curate.cli._tables import echo_step_table
from curate.cli.app import app
from curate.config import default_pipeline, load_pipeline, read_run_section

if TYPE_CHECKING:
    from curate.config import RunConfig
    from curate.engine.runner import RunnerThread

InputOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--input",
        "-i",
        help="Input path (repeatable): directory, archive, git repo, "
        "bundle, JSONL or Parquet export.",
    ),
]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Run directory to write: a path, or a URL on an object store (s3://bucket/run).",
    ),
]
StorageOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--storage-option",
        help="fsspec storage option KEY=VALUE for s3:// etc. inputs and output (repeatable; "
        "VALUE is JSON if it parses, dotted KEY nests: client_kwargs.endpoint_url=http://...). "
        "Without it: the AWS_* environment variables and fsspec's configuration.",
    ),
]
RunnerOpt = Annotated[
    str | None,
    typer.Option(
        "--runner",
        help="'ray' or 'local' (in-process, no Ray). Default: the recipe's, else 'ray' for run and 'local' for ingest.",
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option("--address", help="Join this Ray cluster (host:port, ray://host:10001, auto)."),
]
DashboardOpt = Annotated[
    bool | None,
    typer.Option("--dashboard/--no-dashboard", help="Start Ray's dashboard (embedded cluster)."),
]
WorkersOpt = Annotated[int | None, typer.Option("--workers", "-w", min=1, help="Parallel workers.")]


def _report(report, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    from curate.stats import step_table

    ran = {s.name: s.stats for s in report.steps if s.ran}
    data = {
        "run_dir": report.location,
        "shards": report.shards,
        "shards_ingested": report.shards_ingested,
        "shards_annotated": report.shards_annotated,
        "barriers_run": report.barriers_run,
        "did_work": report.did_work,
        "steps": step_table(ran),
        "totals": _totals(report.run_dir),
    }
    if as_json:
        emit_json(data)
        return
    state = "up to date, nothing to do" if not report.did_work else "done"
    totals = data["totals"]
    if totals:
        typer.echo(
            f"{totals['documents']} documents ({totals['document_mb']} MB), "
            f"{totals['skipped']} input files skipped"
            + (f"; kept {totals['kept']}, dropped {totals['dropped']}" if "kept" in totals else "")
            + (f"; mixture {totals['mixture_tokens']} tokens" if "mixture_tokens" in totals else "")
        )
    echo_step_table(data["steps"], "this run, by step")
    typer.echo(
        f"{state}: {report.shards} shards ({report.shards_ingested} ingested, "
        f"{report.shards_annotated} annotated"
        + (f"; ran {', '.join(report.barriers_run)}" if report.barriers_run else "")
        + f") -> {report.location}\n"
        f"inspect with: curate stats {shlex.quote(report.location)}"
    )


def _totals(run_dir: Path) -> dict[str, Any]:
    """Headline numbers from the run's ``stats/summary.json`` (empty if there is none)."""
    import json

    try:
        data = json.loads((Path(run_dir) / "stats" / "summary.json").read_text())
    except (OSError, ValueError):
        return {}
    out: dict[str, Any] = {
        "documents": data.get("documents", 0),
        "document_mb": round(data.get("document_bytes", 0) / 2**20, 2),
        "skipped": data.get("skipped", 0),
    }
    for info in (data.get("policies") or {}).values():
        out["kept"] = out.get("kept", 0) + info.get("kept", 0)
        out["dropped"] = out.get("dropped", 0) + info.get("dropped", 0)
    tokens = (data.get("steps", {}).get("mixture") or {}).get("tokens")
    if tokens:
        out["mixture_tokens"] = int(tokens)
    return out


@app.command("run")
def run_command(
    pipeline: Annotated[
        Path, typer.Argument(help="Pipeline recipe (TOML), e.g. pipelines/demo.toml")
    ],
    more_inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="More inputs (so that `--input dumps/*.tar.gz` works as the shell expands it).",
            show_default=False,
        ),
    ] = None,
    input: InputOpt = None,
    output: OutputOpt = None,
    runner: RunnerOpt = None,
    address: AddressOpt = None,
    workers: WorkersOpt = None,
    dashboard: DashboardOpt = None,
    storage_option: StorageOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No live progress (the summary still prints).")
    ] = False,
    verbose: int = VerboseOpt,
) -> None:
    """Run a pipeline recipe: ingest, annotate, dedup, decide, mix, write stats and card.
    Live progress per step goes to stderr: one updating line on a terminal, else a line every
    few seconds (``CURATE_PROGRESS=<seconds>|off``)."""
    set_verbosity(verbose)
    inputs = [*(input or ()), *(more_inputs or ())]
    storage_options(storage_option, [*inputs, output or ""])
    changes = {
        "input": tuple(inputs) if inputs else None,
        "output": output,
        "runner": runner,
        "address": address,
        "workers": workers,
        "dashboard": dashboard,
    }
    started = _start_ray_early(read_run_section(pipeline, **changes))
    try:
        from curate.pipeline import run_pipeline

        cfg = load_pipeline(pipeline).with_run(**changes)
        with _progress_off(quiet):
            report = run_pipeline(cfg, started=started)
    except BaseException:
        if started is not None:  # the error is reported at once; Ray ends before the process
            started.close(wait=False)
        raise
    _report(report, json_out)


def _start_ray_early(run: RunConfig | None) -> RunnerThread | None:
    """The embedded Ray cluster of a new run, starting in the background while the recipe
    loads and the shards are planned (~1.5 s of the driver's that Ray's ~3-4 s of start-up
    used to follow). Only for a new local run directory: a new run always has work, a rerun
    may have none and starts Ray when a step needs it (as before). Ray's session folder is a
    fresh one in /tmp (nothing is written to the run directory before its checks pass)."""
    from curate import objstore
    from curate.engine.runner import RunnerThread, make_runner
    from curate.rundir import RunDir

    if run is None or run.runner != "ray" or run.address or not run.output:
        return None
    if objstore.is_remote(run.output) or RunDir(Path(run.output)).markers.exists():
        return None  # (RunDir without ``at``: its checks report later, in their order)
    workers, dashboard = run.workers, run.dashboard
    return RunnerThread(lambda: make_runner("ray", workers=workers, dashboard=dashboard))


@contextlib.contextmanager
def _progress_off(quiet: bool) -> Iterator[None]:
    from curate.engine.runner import PROGRESS_ENV

    before = os.environ.get(PROGRESS_ENV)
    if quiet:
        os.environ[PROGRESS_ENV] = "off"
    try:
        yield
    finally:
        if quiet:
            if before is None:
                os.environ.pop(PROGRESS_ENV, None)
            else:
                os.environ[PROGRESS_ENV] = before


@app.command("ingest")
def ingest_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Inputs: directories, archives, git repos, bundles, JSONL/Parquet exports."
        ),
    ],
    output: Annotated[
        str,
        typer.Option("--output", "-o", help="Run directory to write (a path or s3://... URL)."),
    ],
    pipeline: Annotated[
        Path | None,
        typer.Option("--pipeline", "-p", help="Take \\[ingest] settings from this recipe."),
    ] = None,
    runner: RunnerOpt = "local",
    address: AddressOpt = None,
    workers: WorkersOpt = None,
    storage_option: StorageOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    verbose: int = VerboseOpt,
) -> None:
    """Ingest repository dumps into a run directory (documents + skipped tables) only."""
    from curate.pipeline import ingest_only

    set_verbosity(verbose)
    storage_options(storage_option, [*paths, output])
    cfg = load_pipeline(pipeline) if pipeline else default_pipeline()
    cfg = cfg.with_run(
        input=tuple(paths), output=output, runner=runner, address=address, workers=workers
    )
    _report(ingest_only(cfg), json_out)
