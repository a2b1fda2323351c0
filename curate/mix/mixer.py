"""``run_mix``: documents + annotations + decisions -> redacted, weighted, sharded Parquet.

Three passes, each per shard through the runner except the small middle one:
1. plan: kept documents with their language and token count (no content read when estimating);
2. weights (driver): per-language targets -> copies per sample unit (``curate.mix.weights``);
3. write: join attributes, redact spans, build samples (files or repositories), apply FIM per
   epoch, write ``mixtures/<name>/part-NNNNN.parquet`` and finally ``mixtures/<name>.manifest.json``
   (beside the parts folder, so the folder holds Parquet only: ``curate.mix.layout``).

When redacting, missing span annotations refuse the mixture before pass 3 (``curate.mix.coverage``);
``repo`` and ``path`` are written with their metadata spans (``secret_metadata_spans``) replaced.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from curate._version import __version__
from curate.engine.runner import LocalRunner, Runner
from curate.errors import UserError
from curate.hashing import hash_json, value_hash
from curate.mix import coverage, fim, inputs
from curate.mix.config import MixtureConfig
from curate.mix.layout import legacy_manifest_path, manifest_path
from curate.mix.parts import PartInfo, PartWriter
from curate.mix.redact import is_span_type, redactor
from curate.mix.samples import RepoFile, Sample, apply_fim, fim_rng, order_repo, repo_samples
from curate.mix.tokens import TokenCounter
from curate.mix.weights import UNKNOWN, assign_copies, plan_languages
from curate.rundir import RunDir, fetch, place, remove, rename, write_json_atomic

log = logging.getLogger(__name__)

BASE_FIELDS = [
    pa.field("content", pa.large_string(), nullable=False),
    pa.field("doc_uid", pa.string(), nullable=False),
    pa.field("content_sha", pa.string()),
    pa.field("repo", pa.string()),
    pa.field("path", pa.string()),
    pa.field("language", pa.string()),
    pa.field("license", pa.string()),
    pa.field("tokens", pa.int64(), nullable=False),
    pa.field("epoch", pa.int32(), nullable=False),
    pa.field("fim", pa.string()),
    pa.field("redactions", pa.int32(), nullable=False),
    pa.field("n_files", pa.int32(), nullable=False),
]
"""Stable mixture columns; selected signal columns (``MixtureConfig.columns``) follow them."""

_DOC_COLUMNS = ["doc_uid", "content_sha", "repo", "path", "language", "source_uri"]
_META = ("license_spdx", "license_category")
_PLAN_SCHEMA = {
    "doc_uid": pl.String,
    "repo": pl.String,
    "language": pl.String,
    "tokens": pl.Int64,
    "shard_id": pl.String,
}


@dataclass(frozen=True)
class _Inputs:
    run: RunDir
    cfg: MixtureConfig
    decisions: bool
    attributes: tuple[tuple[str, tuple[str, ...]], ...]
    """(folder relative to the run directory, columns read from it): a task resolves it in its
    own node's copy of the run, never the driver's folder."""
    span_columns: tuple[str, ...]
    signal_fields: tuple[pa.Field, ...]
    meta_span_columns: tuple[str, ...] = ()
    """Span columns into ``repo``/``path`` values (a ``field`` member), applied to those values."""
    required: tuple[coverage.SpanFolder, ...] = ()
    """Span folders whose coverage of the kept documents the plan pass counts."""
    problems: tuple[str, ...] = ()
    """Run-level redaction gaps (missing annotators / columns)."""


@dataclass(frozen=True)
class _PlanTask:
    inputs: _Inputs
    shard_id: str


@dataclass(frozen=True)
class _WriteTask:
    inputs: _Inputs
    shards: tuple[str, ...]
    plan_key: str
    """The plan's path relative to the run directory (``RunDir.work``): each node reads it
    from its own copy of the run (``curate.rundir.fetch``), never from the driver's disk."""
    out_key: str
    """Where the task writes its parts, relative to the run directory."""
    prefix: str


def output_schema(signal_fields: tuple[pa.Field, ...] | list[pa.Field]) -> pa.Schema:
    return pa.schema([*BASE_FIELDS, *signal_fields], metadata={"curate.schema": "mixture"})


def run_mix(run: RunDir, cfg: MixtureConfig, runner: Runner | None = None) -> dict[str, Any]:
    """Write the mixture ``cfg.name`` of ``run``; returns the manifest (also written as
    ``mixtures/<name>.manifest.json``)."""
    runner = runner or LocalRunner()
    started = time.perf_counter()
    shards = run.shard_ids()
    counter = TokenCounter(cfg.tokens)  # validates the tokenizer path early
    inp = _discover(run, cfg)
    if not inp.decisions:
        log.warning("no decisions/%s/ in %s: every document is kept", cfg.policy, run.root)
    if inp.problems and not cfg.allow_unredacted:  # fail before reading any shard
        _check_redaction(run, cfg, list(inp.problems))

    results = runner.map(_plan_shard, [_PlanTask(inp, s) for s in shards], desc="mix: plan")
    empty = pl.DataFrame(schema=_PLAN_SCHEMA)
    docs = pl.concat([empty, *(pl.from_arrow(p) for p, _ in results)], how="vertical_relaxed")
    n_kept = docs.height
    problems = [
        *inp.problems,
        *coverage.document_problems(inp.required, [c for _, c in results], n_kept),
    ]
    _check_redaction(run, cfg, problems)
    if cfg.languages:
        docs = docs.filter(pl.col("language").is_in(list(cfg.languages)))
    docs = docs.with_columns(pl.col("repo" if cfg.repo.enabled else "doc_uid").alias("unit_id"))
    units = _units(docs, cfg)
    available = (
        dict(units.group_by("language").agg(pl.col("tokens").sum()).iter_rows())
        if units.height
        else {}
    )
    counts = dict(units.group_by("language").len().iter_rows()) if units.height else {}
    lang_plans = plan_languages({k: int(v) for k, v in available.items()}, counts, cfg)
    copies = assign_copies(units, lang_plans, cfg.seed)

    for old in run.work.glob(f"mix-{cfg.name}-*") if run.work.is_dir() else []:
        remove(old)  # a killed mix's hand-offs
    work = run.work / f"mix-{cfg.name}-{uuid.uuid4().hex[:12]}"
    doc_plan = docs.join(copies.select("unit_id", "copies"), on="unit_id", how="inner").filter(
        pl.col("copies") > 0
    )
    _write_plan(doc_plan.select("doc_uid", "shard_id", "unit_id", "copies", "tokens"), work)

    groups = _shard_groups(doc_plan, cfg.repo.enabled)
    rel = run.key(work)
    tasks = [
        _WriteTask(inp, tuple(g), f"{rel}/plan.parquet", f"{rel}/parts", f"t{i:05d}")
        for i, g in enumerate(groups)
    ]
    results = runner.map(_write_group, tasks, desc="mix: write")

    out_dir = run.mixture(cfg.name)
    remove(manifest_path(run, cfg.name))
    remove(legacy_manifest_path(run, cfg.name))
    files = _publish(run, out_dir, [p for r in results for p in r["parts"]])
    stats = _merge_stats([r["stats"] for r in results])
    seconds = time.perf_counter() - started
    stats["problems"] = problems
    manifest = _manifest(run, cfg, inp, counter, shards, n_kept, lang_plans, files, stats, seconds)
    write_json_atomic(manifest, manifest_path(run, cfg.name))
    remove(work)
    if not any(run.work.iterdir()):
        run.work.rmdir()  # nothing else hands off through it: leave no empty folder behind
    return manifest


def _write_plan(plan: pl.DataFrame, work: Path) -> None:
    """The write tasks' plan, a stored key of the run (``RunDir.work``: on an object store every
    node reads it from there). The folder's name is new for every mix, so no node ever holds an
    older plan under it."""
    path = work / "plan.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    plan.write_parquet(tmp)
    place(tmp, path)


# --- discovery -----------------------------------------------------------------------------


def _check_redaction(run: RunDir, cfg: MixtureConfig, problems: list[str]) -> None:
    """Refuse (``UserError``) a redacting mixture whose span annotations have gaps, unless the
    user allowed it; a mixture that is not redacted at all says so loudly."""
    if not cfg.redact:
        log.warning(
            "mixture %s: redact = false, content and repo/path are written UNREDACTED", cfg.name
        )
        return
    if not problems:
        return
    if cfg.allow_unredacted:
        log.warning(
            "mixture %s: allow_unredacted, writing despite: %s", cfg.name, "; ".join(problems)
        )
        return
    raise UserError(
        f"{run.root}: refusing to write mixture '{cfg.name}' with unredacted secrets: "
        f"{'; '.join(problems)}; run the annotators first (curate run with "
        f"[annotators.secrets]) or {coverage.OVERRIDE_HINT}"
    )


def _discover(run: RunDir, cfg: MixtureConfig) -> _Inputs:
    if cfg.redact:
        redactor(cfg.redaction_style)("", [])  # an unknown style fails here, not in a worker
    columns = run.attribute_columns()
    all_spans = sorted(c for c, (_, f) in columns.items() if is_span_type(f.type))
    meta = tuple(c for c in all_spans if coverage.is_metadata_span_type(columns[c][1].type))
    spans = tuple(c for c in all_spans if c not in meta) if cfg.redact else ()
    meta = meta if cfg.redact else ()
    req = coverage.requirements(run, cfg.required_spans) if cfg.redact else None
    wanted = [c for c in cfg.columns if c in columns and c not in {f.name for f in BASE_FIELDS}]
    missing = [c for c in cfg.columns if c not in columns]
    if missing:
        log.info("mixture columns not written by any annotator (left out): %s", missing)
    read: dict[str, list[str]] = defaultdict(list)
    folders = run.attribute_folders()
    for c in sorted({*spans, *meta, *wanted, *(m for m in _META if m in columns)}):
        read[run.key(folders[columns[c][0]])].append(c)
    return _Inputs(
        run=run,
        cfg=cfg,
        decisions=inputs.decisions_present(run, cfg.policy),
        attributes=tuple((k, tuple(v)) for k, v in sorted(read.items())),
        span_columns=spans,
        signal_fields=tuple(columns[c][1] for c in wanted),
        meta_span_columns=meta,
        required=req.folders if req else (),
        problems=req.problems if req else (),
    )


# --- pass 1: plan --------------------------------------------------------------------------


def _kept(run: RunDir, inp: _Inputs, shard_id: str, docs: pl.DataFrame) -> pl.DataFrame:
    if not inp.decisions:
        return docs
    dec = pl.from_arrow(inputs.read_decisions(run, inp.cfg.policy, shard_id, ["doc_uid", "keep"]))
    keep = dec.filter(pl.col("keep")).select("doc_uid")
    return docs.join(keep, on="doc_uid", how="semi", maintain_order="left")


def _plan_shard(task: _PlanTask) -> tuple[pa.Table, dict[str, int]]:
    """The shard's kept documents with their token counts, and per required span folder the
    number of kept documents it does not cover."""
    inp, sid = task.inputs, task.shard_id
    run = inp.run
    counter = TokenCounter(inp.cfg.tokens)
    cols = ["doc_uid", "repo", "language", "size_bytes"] + (["content"] if counter.exact else [])
    table = inputs.read_table(RunDir.shard_file(run.documents, sid), columns=cols)
    docs = _kept(run, inp, sid, pl.from_arrow(table))
    if counter.exact:
        tokens = counter.count(docs["content"].to_arrow())
    else:
        tokens = np.ceil(docs["size_bytes"].to_numpy() / inp.cfg.tokens.bytes_per_token)
    out = docs.select(
        "doc_uid",
        "repo",
        pl.col("language").fill_null(UNKNOWN),
        pl.Series("tokens", tokens, dtype=pl.Int64),
        pl.lit(sid).alias("shard_id"),
    )
    gaps = {f.key: coverage.uncovered(run, f, sid, docs["doc_uid"]) for f in inp.required}
    return out.to_arrow(), {k: n for k, n in gaps.items() if n}


def _units(docs: pl.DataFrame, cfg: MixtureConfig) -> pl.DataFrame:
    """One row per unit (``unit_id``, ``language``,
    ``tokens``). A unit is a file, or a repository in repository-level mode (its language is the
    one with the most tokens, ties by name)."""
    if docs.is_empty():
        return pl.DataFrame(
            schema={"unit_id": pl.String, "language": pl.String, "tokens": pl.Int64}
        )
    if not cfg.repo.enabled:
        return docs.select("unit_id", "language", "tokens")
    by_lang = (
        docs.group_by("repo", "language")
        .agg(pl.col("tokens").sum())
        .sort(["repo", "tokens", "language"], descending=[False, True, False])
    )
    lang = by_lang.group_by("repo", maintain_order=True).agg(pl.col("language").first())
    total = docs.group_by("repo").agg(pl.col("tokens").sum())
    return lang.join(total, on="repo").select(pl.col("repo").alias("unit_id"), "language", "tokens")


def _shard_groups(doc_plan: pl.DataFrame, by_repo: bool) -> list[list[str]]:
    """Shards processed together: one each, or (repository mode) connected through shared repos."""
    shards = sorted(doc_plan["shard_id"].unique().to_list()) if doc_plan.height else []
    if not by_repo:
        return [[s] for s in shards]
    parent = {s: s for s in shards}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pairs = doc_plan.select("unit_id", "shard_id").unique().sort("unit_id", "shard_id")
    for _, group in pairs.group_by("unit_id", maintain_order=True):
        ids = group["shard_id"].to_list()
        for other in ids[1:]:
            a, b = find(ids[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = defaultdict(list)
    for s in shards:
        groups[find(s)].append(s)
    return [groups[k] for k in sorted(groups)]


# --- pass 3: write -------------------------------------------------------------------------


def _load_shard(
    run: RunDir, inp: _Inputs, sid: str, plan: pl.DataFrame
) -> tuple[pl.DataFrame, pa.ChunkedArray]:
    """Kept documents of one shard joined with their plan row and attribute columns (a polars
    frame without ``content``) and their redacted contents (Arrow, row-aligned with the frame).
    Content stays in Arrow: converting it to polars and back would copy every byte twice."""
    mine = plan.filter(pl.col("shard_id") == sid).drop("shard_id")
    table = inputs.read_table(RunDir.shard_file(run.documents, sid), [*_DOC_COLUMNS, "content"])
    meta = pl.from_arrow(table.drop_columns(["content"])).with_row_index("_row")
    frame = meta.join(mine, on="doc_uid", how="inner", maintain_order="left")
    for key, cols in inp.attributes:
        folder = run.path(key)
        attr = inputs.read_attribute_shard(folder, sid, list(cols))
        if attr is None:
            log.warning("%s: no output for shard %s; its columns are null", folder, sid)
            schema = inputs.folder_schema(folder)
            dtypes = pl.from_arrow(schema.empty_table()).schema if schema else {}
            frame = frame.with_columns(pl.lit(None, dtypes.get(c)).alias(c) for c in cols)
            continue
        frame = frame.join(pl.from_arrow(attr), on="doc_uid", how="left", maintain_order="left")
    for c in _META:
        if c not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(c))
    rows = frame["_row"].to_numpy()
    frame, redacted = _redact(frame.drop("_row"), table.column("content"), rows, inp)
    return _redact_metadata(frame, inp), _gather(table.column("content"), rows, redacted)


def _redact_metadata(frame: pl.DataFrame, inp: _Inputs) -> pl.DataFrame:
    """``frame`` plus ``repo_out``/``path_out`` (the values written: metadata spans replaced, by
    the same redactor as content) and ``meta_redacted``. ``repo``/``path`` stay as they are for
    grouping, dependency order and FIM grammars, which never reach the output."""
    out = frame.with_columns(
        pl.col("repo").alias("repo_out"),
        pl.col("path").alias("path_out"),
        pl.lit(False).alias("meta_redacted"),
    )
    if not inp.meta_span_columns or frame.is_empty():
        return out
    n = pl.sum_horizontal(pl.col(c).list.len().fill_null(0) for c in inp.meta_span_columns)
    mask = out.select(n > 0).to_series()
    if not mask.any():
        return out
    apply = redactor(inp.cfg.redaction_style)
    values: dict[str, list[str | None]] = {"repo_out": [], "path_out": []}
    rows = out.filter(mask).select("repo", "path", *inp.meta_span_columns).iter_rows()
    for repo, path, *lists in rows:
        spans = [s for col in lists for s in (col or [])]
        for name, value in (("repo", repo), ("path", path)):
            mine = [s for s in spans if s.get("field") == name]
            values[f"{name}_out"].append(apply(value, mine) if value and mine else value)
    positions = mask.arg_true()
    return out.with_columns(
        out["repo_out"].scatter(positions, pl.Series(values["repo_out"], dtype=pl.String)),
        out["path_out"].scatter(positions, pl.Series(values["path_out"], dtype=pl.String)),
        mask.alias("meta_redacted"),
    )


def _redact(
    frame: pl.DataFrame, content: pa.ChunkedArray, rows: np.ndarray, inp: _Inputs
) -> tuple[pl.DataFrame, dict[int, str]]:
    """``frame`` with its ``redactions`` count, and the redacted text of the frame rows that
    have spans (by frame position). Only those rows become Python strings."""
    if not inp.span_columns or frame.is_empty():
        return frame.with_columns(pl.lit(0, pl.Int32).alias("redactions")), {}
    lengths = [pl.col(c).list.len().fill_null(0) for c in inp.span_columns]
    frame = frame.with_columns(pl.sum_horizontal(lengths).cast(pl.Int32).alias("redactions"))
    mask = frame["redactions"] > 0
    if not mask.any():
        return frame, {}
    apply = redactor(inp.cfg.redaction_style)
    positions = mask.arg_true().to_list()
    spans = frame.filter(mask).select(inp.span_columns).iter_rows()
    return frame, {
        i: apply(content[int(rows[i])].as_py(), [s for col in row for s in (col or [])])
        for i, row in zip(positions, spans, strict=True)
    }


def _gather(
    content: pa.ChunkedArray, rows: np.ndarray, replaced: dict[int, str]
) -> pa.ChunkedArray:
    """``content[rows]`` with the positions in ``replaced`` set to their new text, in at most one
    copy of the column (none when every row is kept in order, nothing is replaced and the column
    is one chunk). The result is one chunk: the Parquet writer cuts pages at chunk boundaries,
    and longer pages compress better (1.4% smaller parts on source code)."""
    if not replaced:
        if len(rows) == len(content) and np.array_equal(rows, np.arange(len(rows))):
            return (
                content if content.num_chunks == 1 else pa.chunked_array([content.combine_chunks()])
            )
        return content.take(pa.array(rows))
    positions = np.fromiter(replaced, dtype=np.int64, count=len(replaced))
    index = rows.astype(np.int64, copy=True)
    index[positions] = len(content) + np.arange(len(positions))
    extra = pa.array(list(replaced.values()), content.type)
    return pa.chunked_array([*content.chunks, extra], content.type).take(pa.array(index))


def _replace(content: pa.ChunkedArray | pa.Array, mask: pl.Series, values: list[str]) -> pa.Array:
    """``content`` with the rows where ``mask`` is true replaced by ``values`` (in order)."""
    array = content.combine_chunks() if isinstance(content, pa.ChunkedArray) else content
    return pc.replace_with_mask(array, pa.array(mask.to_numpy()), pa.array(values, array.type))


def _write_group(task: _WriteTask) -> dict[str, Any]:
    inp, cfg = task.inputs, task.inputs.cfg
    run = inp.run
    counter = TokenCounter(cfg.tokens)
    plan = (
        pl.scan_parquet(fetch(run.path(task.plan_key)))
        .filter(pl.col("shard_id").is_in(list(task.shards)))
        .collect()
    )
    schema = output_schema(inp.signal_fields)
    writer = PartWriter(
        run.path(task.out_key),
        task.prefix,
        schema,
        cfg.target_file_bytes,
        cfg.row_group_bytes,
        cfg.compression_level,
    )
    stats = _Stats()
    try:
        if cfg.repo.enabled:
            frames = []
            for sid in task.shards:
                meta, content = _load_shard(run, inp, sid, plan)
                stats.meta_redacted += int(meta["meta_redacted"].sum())
                frames.append(
                    meta.with_columns(pl.Series("content", content.to_pylist(), pl.String))
                )
            frame = pl.concat(frames, how="diagonal_relaxed")
            _write_repos(frame, inp, counter, writer, stats)
        else:
            for sid in task.shards:
                loaded = _load_shard(run, inp, sid, plan)
                stats.meta_redacted += int(loaded[0]["meta_redacted"].sum())
                _write_files(loaded, inp, counter, writer, stats)
        parts = writer.close()
    except BaseException:
        writer.abort()
        raise
    for info in parts:  # this node's mirror path -> the run's key, which the driver resolves
        info.path = run.key(info.path)
    return {"parts": parts, "stats": stats.to_dict()}


def _write_files(
    loaded: tuple[pl.DataFrame, pa.ChunkedArray],
    inp: _Inputs,
    counter: TokenCounter,
    writer: PartWriter,
    stats: _Stats,
) -> None:
    frame, content = loaded
    cfg = inp.cfg
    if frame.is_empty():
        return
    redacted = frame["redactions"] > 0
    if counter.exact:
        tokens = frame["tokens"]
        if redacted.any():
            recount = counter.count(content.filter(pa.array(redacted.to_numpy())))
            tokens = tokens.scatter(redacted.arg_true(), pl.Series(recount))
    else:
        tokens = pl.Series(counter.count(content))
    frame = frame.with_columns(tokens.alias("tokens"))
    for epoch in range(int(frame["copies"].max() or 0)):
        keep = frame["copies"] > epoch
        if keep.all():  # no copy of the content column for a full epoch
            part, text = frame, content
        else:
            part, text = frame.filter(keep), content.filter(pa.array(keep.to_numpy()))
        modes: list[str | None] = [None] * part.height
        if cfg.fim.rate > 0:
            part, text, modes = _fim_files(part, text, epoch, inp, counter)
        out = part.select(
            "doc_uid", "content_sha", pl.col("repo_out").alias("repo"),
            pl.col("path_out").alias("path"),
            pl.col("language").cast(pl.String),
            pl.col("license_spdx").cast(pl.String).alias("license"),
            "tokens",
            pl.lit(epoch, pl.Int32).alias("epoch"),
            pl.Series("fim", modes, dtype=pl.String),
            "redactions",
            pl.lit(1, pl.Int32).alias("n_files"),
            *[f.name for f in inp.signal_fields],
        )  # fmt: skip
        _emit(out, text, part["source_uri"], part["license_category"], writer, stats)


def _fim_files(
    part: pl.DataFrame, text: pa.ChunkedArray, epoch: int, inp: _Inputs, counter: TokenCounter
) -> tuple[pl.DataFrame, pa.ChunkedArray | pa.Array, list[str | None]]:
    """Apply FIM to the rows the seeded draw picks (per document and epoch)."""
    cfg = inp.cfg
    modes: list[str | None] = [None] * part.height
    chosen, texts = [], []
    node = cfg.fim.boundary == "node"
    uids, langs, paths = (
        part["doc_uid"].to_list(),
        part["language"].to_list(),
        part["path"].to_list(),
    )
    for i, uid in enumerate(uids):
        rng = fim_rng(cfg.seed, uid, epoch)
        mode = fim.choose_mode(rng, cfg.fim)
        if mode is None:
            continue
        value = text[i].as_py()
        grammar = _grammar(paths[i], langs[i]) if node else None  # only node boundaries parse
        sample = Sample(value, ((0, len(value), grammar),), ())
        modes[i] = mode
        chosen.append(i)
        texts.append(apply_fim(sample, mode, rng, cfg.fim))
    if not chosen:
        return part, text, modes
    mask = pl.Series([False] * part.height).scatter(chosen, True)
    recount = pl.Series(counter.count(pa.array(texts, pa.large_string())))
    part = part.with_columns(part["tokens"].scatter(chosen, recount))
    return part, _replace(text, mask, texts), modes


def _grammar(path: str | None, language: str | None) -> str | None:
    from curate.mix.deps import grammar_for

    return grammar_for(path or "", language)


def _write_repos(
    frame: pl.DataFrame, inp: _Inputs, counter: TokenCounter, writer: PartWriter, stats: _Stats
) -> None:
    cfg = inp.cfg
    if frame.is_empty():
        return
    signals = [f.name for f in inp.signal_fields]
    rows: list[dict[str, Any]] = []
    sources: list[str] = []
    categories: list[str | None] = []
    pending = 0
    strings = [c for c in [*_META, *signals] if frame[c].dtype == pl.String]
    per_repo = _repo_summary(frame, strings)
    ordered_frame = frame.sort("repo", "path", "doc_uid")
    columns = ordered_frame.select("path", "doc_uid", "language", "content", "path_out")
    bounds = (
        ordered_frame.with_row_index("_i")
        .group_by("repo", maintain_order=True)
        .agg(pl.col("_i").first().alias("lo"), pl.len().alias("n"))
    )
    paths, uids, langs, texts, shown = (columns[c].to_list() for c in columns.columns)
    for repo, lo, n in bounds.iter_rows():
        seen: set[str] = set()
        files, display = [], {}
        for i in range(lo, lo + n):
            key = paths[i] if paths[i] not in seen else f"{paths[i]}#{uids[i]}"
            seen.add(key)
            files.append(RepoFile(key, paths[i], langs[i], texts[i]))
            display[key] = shown[i]
        # dependency order on the real paths; headers and columns get the redacted ones
        ordered = [
            RepoFile(f.key, display[f.key], f.language, f.content)
            for f in order_repo(files, cfg.repo)
        ]
        info = per_repo[repo]
        language, meta, copies = info["language"], info["meta"], info["copies"]
        redactions, source, name = info["redactions"], info["source"], info["repo_out"]
        base_uid = f"repo:{name}" if name == repo else f"repo:{name}~{value_hash(repo)[:8]}"
        for k, sample in enumerate(repo_samples(name, ordered, cfg.repo)):
            uid = base_uid + (f"#{k}" if k else "")
            for epoch in range(copies):
                text, mode = sample.text, None
                if cfg.fim.rate > 0:
                    rng = fim_rng(cfg.seed, uid, epoch)
                    mode = fim.choose_mode(rng, cfg.fim)
                    if mode is not None:
                        text = apply_fim(sample, mode, rng, cfg.fim)
                row = {
                    "content": text, "doc_uid": uid, "content_sha": None, "repo": name, "path": None,
                    "language": language, "license": meta.get("license_spdx"), "tokens": 0,
                    "epoch": epoch, "fim": mode, "redactions": redactions if epoch == 0 and k == 0 else 0,
                    "n_files": len(sample.files),
                }  # fmt: skip
                row.update({c: meta.get(c) for c in signals})
                rows.append(row)
                sources.append(source)
                categories.append(meta.get("license_category"))
                pending += len(text)
                if pending >= cfg.row_group_bytes:
                    _emit_rows(rows, sources, categories, counter, writer, stats)
                    rows, sources, categories, pending = [], [], [], 0
    _emit_rows(rows, sources, categories, counter, writer, stats)


def _emit_rows(rows: list[dict[str, Any]], sources: list[str], categories: list[str | None],
               counter: TokenCounter, writer: PartWriter, stats: _Stats) -> None:  # fmt: skip
    if not rows:
        return
    table = pa.Table.from_pylist(rows, schema=writer.schema)
    tokens = pa.array(counter.count(table.column("content")), pa.int64())
    table = table.set_column(table.schema.get_field_index("tokens"), "tokens", tokens)
    meta = pl.from_arrow(table.drop_columns(["content"]))
    sources_s, categories_s = (
        pl.Series(sources, dtype=pl.String),
        pl.Series(categories, dtype=pl.String),
    )
    _emit(meta, table.column("content"), sources_s, categories_s, writer, stats)


def _emit(
    meta: pl.DataFrame,
    content: pa.Array | pa.ChunkedArray,
    sources: pl.Series,
    categories: pl.Series,
    writer: PartWriter,
    stats: _Stats,
) -> None:
    """Write one slice: metadata columns from polars, ``content`` straight from Arrow."""
    table = meta.to_arrow()
    table = table.append_column(
        "content", content if isinstance(content, pa.ChunkedArray) else pa.chunked_array([content])
    )
    writer.write(table.select(writer.schema.names))
    nbytes = pc.fill_null(pc.binary_length(content), 0).to_numpy(zero_copy_only=False)
    stats.add(meta, nbytes, sources, categories)


def _repo_summary(frame: pl.DataFrame, strings: list[str]) -> dict[str, dict[str, Any]]:
    """Per repository: language with the most tokens (ties by name), most common value of each
    string column (ties by value), copies, redactions and first source, in one pass."""
    lang = (
        frame.group_by("repo", "language").agg(pl.col("tokens").sum())
        .sort(["repo", "tokens", "language"], descending=[False, True, False], nulls_last=True)
        .group_by("repo", maintain_order=True).agg(pl.col("language").first())
    )  # fmt: skip
    base = frame.group_by("repo").agg(
        pl.col("copies").max(),
        pl.col("redactions").sum(),
        pl.col("source_uri").sort().first(),
        pl.col("repo_out").sort().first(),
    )
    out = {r["repo"]: {"language": None, "meta": {}, **r} for r in base.iter_rows(named=True)}
    for repo, language in lang.iter_rows():
        out[repo]["language"] = language
    for c in strings:
        common = (
            frame.drop_nulls(c).group_by("repo", c).len()
            .sort(["repo", "len", c], descending=[False, True, False])
            .group_by("repo", maintain_order=True).agg(pl.col(c).first())
        )  # fmt: skip
        for repo, value in common.iter_rows():
            out[repo]["meta"][c] = value
    for info in out.values():
        info["copies"], info["source"] = int(info["copies"]), info["source_uri"]
        info["redactions"] = int(info["redactions"])
    return out


# --- statistics and manifest ---------------------------------------------------------------


class _Stats:
    """Mergeable counters: rows / content bytes / tokens by language, license category, source."""

    KEYS = ("language", "license_category", "source")

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, list[int]]] = {
            k: defaultdict(lambda: [0, 0, 0]) for k in self.KEYS
        }
        self.fim: Counter[str] = Counter()
        self.redactions = 0
        self.redacted_docs = 0
        self.meta_redacted = 0

    def add(
        self, out: pl.DataFrame, nbytes: Any, sources: pl.Series, categories: pl.Series
    ) -> None:
        frame = out.select(
            pl.col("language").fill_null(UNKNOWN),
            pl.Series("bytes", nbytes, dtype=pl.Int64),
            "tokens",
        ).with_columns(
            sources.fill_null(UNKNOWN).alias("source"),
            categories.fill_null(UNKNOWN).alias("license_category"),
        )
        for key in self.KEYS:
            agg = frame.group_by(key).agg(pl.len(), pl.col("bytes").sum(), pl.col("tokens").sum())
            for name, n, b, t in agg.iter_rows():
                acc = self.tables[key][name]
                acc[0] += n
                acc[1] += b
                acc[2] += t
        self.fim.update(m for m in out["fim"].to_list() if m)
        first = out.filter(pl.col("epoch") == 0)
        self.redactions += int(first["redactions"].sum() or 0)
        self.redacted_docs += int((first["redactions"] > 0).sum())

    def to_dict(self) -> dict[str, Any]:
        return {
            **{k: {n: list(v) for n, v in t.items()} for k, t in self.tables.items()},
            "fim": dict(self.fim),
            "redactions": self.redactions,
            "redacted_rows": self.redacted_docs,
            "meta_redacted": self.meta_redacted,
        }


def _merge_stats(parts: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: defaultdict(lambda: [0, 0, 0]) for k in _Stats.KEYS}
    fim_counts: Counter[str] = Counter()
    redactions = redacted = meta = 0
    for p in parts:
        for k in _Stats.KEYS:
            for name, vals in p[k].items():
                acc = merged[k][name]
                for i in range(3):
                    acc[i] += vals[i]
        fim_counts.update(p["fim"])
        redactions += p["redactions"]
        redacted += p["redacted_rows"]
        meta += p["meta_redacted"]
    return {**{k: dict(v) for k, v in merged.items()}, "fim": dict(fim_counts),
            "redactions": redactions, "redacted_rows": redacted, "meta_redacted": meta}  # fmt: skip


def _publish(run: RunDir, out_dir: Path, parts: list[PartInfo]) -> list[dict[str, Any]]:
    """Replace the mixture's previous parts with the new ones (``info.path``: keys of the run
    written by the tasks, on any node), numbered in task order. On an object store each part is
    renamed by a server-side copy, so no part passes through the driver."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("part-*.parquet"):
        remove(old)
    files = []
    for i, info in enumerate(p for p in parts if p.rows):
        final = out_dir / f"part-{i:05d}.parquet"
        rename(run.path(info.path), final)
        files.append({"path": final.name, "rows": info.rows, "file_bytes": info.file_bytes,
                      "content_bytes": info.content_bytes, "tokens": info.tokens})  # fmt: skip
    for info in parts:
        if not info.rows:
            remove(run.path(info.path))
    return files


def _by_name(counts: dict[str, list[int]], names: dict[str, str]) -> dict[str, list[int]]:
    """Counts keyed by source URI re-keyed by the sources' location-independent names."""
    out: dict[str, list[int]] = {}
    for uri, values in counts.items():
        key = names.get(uri, uri.rsplit("/", 1)[-1])
        out[key] = [a + b for a, b in zip(out.get(key, [0] * len(values)), values, strict=True)]
    return out


def _table(counts: dict[str, list[int]]) -> dict[str, dict[str, int]]:
    return {k: {"rows": v[0], "bytes": v[1], "tokens": v[2]} for k, v in sorted(counts.items())}


def _manifest(run: RunDir, cfg: MixtureConfig, inp: _Inputs, counter: TokenCounter, shards: list[str],
              n_kept: int, plans: dict[str, Any], files: list[dict[str, Any]], stats: dict[str, Any],
              seconds: float) -> dict[str, Any]:  # fmt: skip

    by_lang = _table(stats["language"])
    written = sum(v["tokens"] for v in by_lang.values()) or 1
    shares = {}
    for lang, p in plans.items():
        got = by_lang.get(lang, {}).get("tokens", 0)
        shares[lang] = {
            "requested_share": round(p.requested_share, 6),
            "actual_share": round(got / written, 6),
            "requested_tokens": round(p.requested_tokens),
            "target_tokens": round(p.target_tokens),
            "available_tokens": p.available_tokens,
            "written_tokens": got,
            "epochs": round(p.epochs, 4),
            "capped": p.capped,
        }
    content_bytes = sum(f["content_bytes"] for f in files)
    return {
        "name": cfg.name,
        "format": "parquet",
        "schema": [{"name": f.name, "type": str(f.type)} for f in output_schema(inp.signal_fields)],
        "code_version": __version__,
        "config_fingerprint": hash_json(cfg.model_dump(mode="json")),
        "config": json.loads(cfg.model_dump_json()),
        "policy": cfg.policy if inp.decisions else None,
        "token_counter": counter.describe(),
        "inputs": {
            "shards": len(shards),
            "kept_documents": n_kept,
            "attributes": sorted({Path(f).name for f, _ in inp.attributes}),
            "span_columns": list(inp.span_columns),
            "metadata_span_columns": list(inp.meta_span_columns),
        },
        "files": files,
        "totals": {
            "files": len(files),
            "rows": sum(f["rows"] for f in files),
            "content_bytes": content_bytes,
            "file_bytes": sum(f["file_bytes"] for f in files),
            "tokens": sum(f["tokens"] for f in files),
        },
        "per_language": by_lang,
        "per_license_category": _table(stats["license_category"]),
        "per_source": _table(_by_name(stats["source"], run.source_names())),
        "shares": shares,
        "fim": stats["fim"],
        "redaction": _redaction_summary(cfg, stats),
        "seconds": round(seconds, 3),
        "mb_per_s": round(content_bytes / 1e6 / seconds, 2) if seconds else None,
    }


def _redaction_summary(cfg: MixtureConfig, stats: dict[str, Any]) -> dict[str, Any]:
    """``status``: ``complete`` (every kept document covered by every required span annotator),
    ``unredacted`` (written with ``allow_unredacted`` despite ``problems``) or ``disabled``
    (``redact = false``)."""
    problems = list(stats.get("problems", []))
    status = "disabled" if not cfg.redact else "unredacted" if problems else "complete"
    return {
        "status": status,
        "unredacted": status != "complete",
        "required": list(cfg.required_spans) if cfg.redact else [],
        "allow_unredacted": cfg.allow_unredacted,
        "problems": problems,
        "spans": stats["redactions"],
        "rows": stats["redacted_rows"],
        "metadata_rows": stats["meta_redacted"],
    }
