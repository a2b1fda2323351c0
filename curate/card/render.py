"""Markdown body of the dataset card."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from curate.card.config import CardConfig
from curate.card.stats import CardStats
from curate.card.units import human

if TYPE_CHECKING:
    from curate.card.plots import Plot

__all__ = ["body", "human", "table"]


def _num(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else "-" if n is None else str(n)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2%}"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "| " + " | ".join(headers) + " |\n|" + "|".join("---" for _ in headers) + "|\n"
    return head + "".join(
        "| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |\n" for r in rows
    )


def _limited(rows: list[dict[str, Any]], n: int) -> tuple[list[dict[str, Any]], str]:
    if len(rows) <= n:
        return rows, ""
    rest = rows[n:]
    return rows[
        :n
    ], f"\n_{len(rest)} more rows ({sum(r.get('files', 0) for r in rest):,} files) not shown._\n"


def body(
    stats: CardStats, cfg: CardConfig, title: str, plots: dict[str, Plot], pipeline_toml: str
) -> str:
    out: list[str] = [f"# {title}\n"]
    if cfg.description:
        out.append(cfg.description.strip() + "\n")
    m = stats.mixture
    total_in = stats.documents + stats.skipped
    out.append(
        f"Built with code-curate from {total_in:,} input files ({human(stats.document_bytes + stats.skipped_bytes)}): "
        f"{stats.documents:,} ingested, {stats.kept:,} kept by policy `{stats.policy or 'none'}`"
        + (
            f", mixture `{stats.mixture_name}` of {m['totals']['rows']:,} rows and ~{m['totals']['tokens']:,} tokens "
            f"in {m['totals']['files']} Parquet files."
            if m
            else "."
        )
        + "\n"
    )
    if m:
        out.append(
            "```python\nfrom datasets import load_dataset\n"
            f'ds = load_dataset("<this folder or Hub repo>", "{stats.mixture_name}", split="train")\n```\n'
        )
        out.append(
            "Columns: " + ", ".join(f"`{c['name']}` ({c['type']})" for c in m["schema"]) + ".\n"
        )

    out.append("## Sources\n")
    for src in cfg.sources:
        out.append(f"- {src}")
    if stats.source_kinds:
        out.append(
            ("\n" if cfg.sources else "")
            + "Input kinds: "
            + ", ".join(f"{k} ({v})" for k, v in stats.source_kinds.items())
            + ".\n"
        )
    rows, more = _limited(stats.sources, cfg.max_rows)
    out.append(_sources(rows) + more)

    out.append("## Languages\n")
    if "languages" in plots:
        out.append(_image("language shares", plots["languages"]))
    rows, more = _limited(stats.languages, cfg.max_rows)
    out.append(table(
        ["language", "files", "bytes", "kept files", "kept bytes", "mixture rows", "tokens", "share", "requested"],
        [[r["language"], _num(r["files"]), human(r["bytes"]), _num(r["kept_files"]), human(r["kept_bytes"]),
          _num(r["mixture_rows"]), _num(r["tokens"]), _pct(r["share"]), _pct(r["requested_share"])] for r in rows],
    ) + more)  # fmt: skip
    if m:
        out.append(
            f"Tokens: {m['token_counter']}. Epoch cap {m['config']['max_epochs']}, strategy `{m['config']['strategy']}`.\n"
        )

    out.append("## Licenses\n")
    if not stats.licenses and not stats.license_ids:
        out.append("No license annotator ran; licenses are unknown.\n")
    for name, rows_all in (("license category", stats.licenses), ("license", stats.license_ids)):
        if rows_all:
            rows, more = _limited(rows_all, cfg.max_rows)
            key = "license_category" if name == "license category" else "license_spdx"
            out.append(table([name, "files", "bytes", "kept files", "kept bytes"],
                             [[r[key], _num(r["files"]), human(r["bytes"]), _num(r["kept_files"]), human(r["kept_bytes"])] for r in rows]) + more)  # fmt: skip

    if stats.license_methods:
        out.append(_license_methods(stats))
    if stats.unlicensed is not None:
        out.append(_unlicensed(stats) + "\n")
    if stats.stars:
        out.append("## Repository stars\n")
        out.append(
            "Files by the star count the export recorded for their repository (`repo_stars`); "
            "*unknown*: no count.\n"
        )
        out.append(table(["stars", "files", "bytes", "kept files", "kept bytes"],
                         [[r["bucket"], _num(r["files"]), human(r["bytes"]), _num(r["kept_files"]), human(r["kept_bytes"])] for r in stats.stars]))  # fmt: skip

    out.append("## Filter funnel\n")
    out.append(
        "Every input file is counted exactly once: skipped at ingest (with its reason), dropped by the "
        "first policy rule it failed, or kept. The rows add up to the input total.\n"
    )
    if "funnel" in plots:
        out.append(_image("filter funnel", plots["funnel"]))
    funnel_rows = [
        [
            r["stage"],
            _num(r["files"]),
            human(r["bytes"]),
            _pct(r["files"] / total_in if total_in else None),
        ]
        for r in stats.funnel
    ]
    funnel_rows.append(
        [
            "**total input**",
            _num(sum(r["files"] for r in stats.funnel)),
            human(sum(r["bytes"] for r in stats.funnel)),
            "100.00%",
        ]
    )
    out.append(table(["stage", "files", "bytes", "share of input"], funnel_rows))

    out.append("## Drops by category\n")
    out.append(
        "The files not kept, by why: skipped at ingest, or dropped by a policy rule, grouped by the "
        "prefix of the rule's drop reason (`dedup:exact_...` and `dedup:near_...` apart from "
        "`license:`, `secrets:`, `decontam:`, `optout:` and `quality:`; a reason without one is "
        "an *other rule*).\n"
    )
    if "drops" in plots:
        out.append(_image("drops by category", plots["drops"]))
    not_kept = total_in - stats.kept
    out.append(table(["category", "files", "bytes", "share of files not kept"],
                     [[r["category"], _num(r["files"]), human(r["bytes"]),
                       _pct(r["files"] / not_kept if not_kept else None)] for r in stats.drops]
                     + [["**total not kept**", _num(sum(r["files"] for r in stats.drops)),
                         human(sum(r["bytes"] for r in stats.drops)), "100.00%" if not_kept else "-"]]))  # fmt: skip

    out.append("## Deduplication and decontamination\n")
    if stats.dedup:
        out.append(table(["column", "annotated", "true", "false", "distinct"],
                         [[r["column"], _num(r["non_null"]), _num(r.get("true")), _num(r.get("false")), _num(r.get("distinct"))] for r in stats.dedup]))  # fmt: skip
        out.append(
            "Removals are counted in the funnel under the policy rules that use these columns, "
            "and under `dedup` / `decontamination` in the drops by category.\n"
        )
    else:
        out.append("No deduplication or decontamination annotations in this run.\n")

    out.append("## Redaction of secrets and personal information\n")
    if stats.redaction:
        out.append(table(["column", "kind", "spans", "files", "spans in kept files"],
                         [[r["column"], r["kind"], _num(r["spans"]), _num(r["files"]), _num(r["spans_in_kept"])] for r in stats.redaction]))  # fmt: skip
    else:
        out.append("No secret or PII findings were recorded.\n")
    if m:
        out.append(
            f"The mixture replaced {m['redaction']['spans']:,} spans in {m['redaction']['rows']:,} files with placeholders.\n"
        )

    out.append("## Opt-out\n")
    versions = sorted(
        {*stats.optout_versions, *([cfg.optout_version] if cfg.optout_version else [])}
    )
    out.append(f"Opt-out list version: {', '.join(versions) if versions else 'none applied'}.\n")
    if stats.optout:
        out.append(table(["column", "annotated", "true", "false", "distinct"],
                         [[r["column"], _num(r["non_null"]), _num(r.get("true")), _num(r.get("false")), _num(r.get("distinct"))] for r in stats.optout]))  # fmt: skip

    hist = [(k, v) for k, v in plots.items() if k.startswith("hist:")]
    if hist:
        out.append("## Signal distributions\n")
        out.append(
            "Kept (green) and dropped (orange) files, 0.5-99.5 percentile range; vertical lines "
            "are the policy's thresholds on the column (dashed: an override's scope).\n"
        )
        out.extend(_image(k[5:], v) for k, v in hist)

    if m:
        out.append("## Mixture\n")
        shares = m.get("shares", {})
        out.append(table(["language", "requested share", "actual share", "available tokens", "written tokens", "epochs", "capped"],
                         [[k, _pct(v["requested_share"]), _pct(v["actual_share"]), _num(v["available_tokens"]), _num(v["written_tokens"]),
                           v["epochs"], "yes" if v["capped"] else ""] for k, v in shares.items()]))  # fmt: skip
        extras = {k: m["config"][k] for k in ("repo", "fim") if k in m["config"]}
        out.append(
            f"Code version {m['code_version']}, config fingerprint `{m['config_fingerprint']}`.\n"
        )
        if extras:
            out.append("Repository-sample and fill-in-the-middle settings of this mixture:\n")
            out.append("```json\n" + json.dumps(extras, indent=2) + "\n```\n")

    out.append("## Pipeline configuration\n")
    out.append("```toml\n" + (pipeline_toml.strip() or "# (no recipe recorded)") + "\n```\n")
    return "\n".join(out)


def _image(alt: str, plot: Plot) -> str:
    text = f"![{alt}](plots/{plot.path.name})\n"
    return text + (f"\n_{plot.caption}_\n" if plot.caption else "")


def _sources(rows: list[dict[str, Any]]) -> str:
    """The sources table; with an export among them, its kind and the documents columns its own
    metadata filled (``source_licenses``, ``repo_stars``: files that got a value)."""
    head = ["source", "files", "bytes", "kept files", "kept bytes"]
    cells = [[r["source"], _num(r["files"]), human(r["bytes"]), _num(r["kept_files"]),
              human(r["kept_bytes"])] for r in rows]  # fmt: skip
    if not any(r.get("export") for r in rows):
        return table(head, cells)
    for r, c in zip(rows, cells, strict=True):
        mapped = r.get("metadata") or {}
        c.append(f"export ({r['kind']})" if r.get("export") else r.get("kind") or "-")
        c.append(
            ", ".join(f"`{k}` ({_num(n)} files)" for k, n in mapped.items())
            if mapped
            else ("none" if r.get("export") else "-")
        )
    note = (
        "\nExport metadata: the export's own per-file columns kept as documents columns "
        "(`source_licenses` from its license column, `repo_stars` from its star count; which "
        "export columns are read is set by `[ingest.export.metadata]`).\n"
    )
    return table([*head, "input", "export metadata"], cells) + note


def _license_methods(stats: CardStats) -> str:
    """License evidence by ``license_method``, and the sentence on files whose only license is
    the export's metadata (absent when no file had any)."""
    text = "License evidence: where each file's license came from (`license_method`).\n\n"
    text += table(["evidence", "method", "files", "bytes", "kept files", "kept bytes"],
                  [[r["label"], f"`{r['method']}`", _num(r["files"]), human(r["bytes"]),
                    _num(r["kept_files"]), human(r["kept_bytes"])] for r in stats.license_methods])  # fmt: skip
    m = stats.metadata_licensed or {}
    if m.get("kept_files"):
        text += (
            f"\n**{m['kept_files']:,} kept files ({human(m['kept_bytes'])}) are licensed only by "
            "the export's metadata (`source_licenses`)**, not by a license found in the files "
            "or their repository.\n"
        )
    elif stats.has_source_licenses:
        text += (
            "\nNo kept file is licensed only by the export's metadata (`source_licenses`): "
            "every kept file with a license has one found in the files.\n"
        )
    return text


def _unlicensed(stats: CardStats) -> str:
    """The sentence on files without license evidence that the policy kept (zero says zero)."""
    u = stats.unlicensed or {}
    n, b = u.get("kept_files", 0), u.get("kept_bytes", 0)
    if not n:
        return (
            "Unlicensed files kept: 0 (no kept file lacks license evidence; "
            f"{u.get('files', 0):,} such files were ingested)."
        )
    share = n / stats.kept if stats.kept else 0.0
    return (
        f"**Unlicensed files kept: {n:,}** ({human(b)}, {share:.2%} of kept files): no license "
        "evidence was found for them (`license_category` `no_license`) and the policy kept them; "
        "their authors did not grant a license, so check your use of them."
    )
