"""``write_card``: the dataset card (``RUN/card/README.md`` + ``RUN/card/plots/*.png``)."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from curate.card import front_matter, plots, render, thresholds
from curate.card.config import CardConfig
from curate.card.stats import CardStats, collect, numeric_values_by_column
from curate.rundir import RunDir, place

log = logging.getLogger(__name__)


def write_card(
    run: RunDir,
    cfg: CardConfig,
    pipeline_toml_text: str = "",
    *,
    out_dir: Path | None = None,
    configs: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the card of ``run`` into ``out_dir`` (default ``RUN/card``) and return the path of
    its README.md; ``configs`` replaces the front matter's ``configs`` (``curate publish``)."""
    stats = collect(run, cfg.policy, cfg.mixture)
    stats.optout_versions += _optout_list_version(pipeline_toml_text)
    out = out_dir or run.card
    out.mkdir(parents=True, exist_ok=True)
    made = _plots(run, stats, cfg, out) if cfg.plots else {}
    meta = metadata(stats, cfg)
    if configs is not None:
        meta["configs"] = configs
    problems = front_matter.check(meta)
    for p in problems:
        log.warning("dataset card front matter: %s", p)
    title = cfg.pretty_name or f"{run.name} (code-curate)"
    text = _front(meta) + "\n" + render.body(stats, cfg, title, made, pipeline_toml_text)
    path = out / "README.md"
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(text, encoding="utf-8")
    place(tmp, path)
    return path


def metadata(stats: CardStats, cfg: CardConfig) -> dict[str, Any]:
    """The YAML front matter as a dict (Hugging Face dataset card fields)."""
    kept_ids = [
        r["license_spdx"]
        for r in stats.license_ids
        if r["kept_files"] and r["license_spdx"] != "unknown"
    ]
    mapped = front_matter.map_licenses(kept_ids)
    licenses = [cfg.license] if cfg.license else mapped.ids
    rows = stats.mixture["totals"]["rows"] if stats.mixture else stats.kept
    meta: dict[str, Any] = {
        "license": licenses[0] if len(licenses) == 1 else licenses,
        "language": ["code"],
        "size_categories": [front_matter.size_category(rows)],
        "task_categories": list(cfg.task_categories),
        "tags": sorted(
            {
                *cfg.tags,
                *(
                    _tag(r["language"])
                    for r in stats.languages
                    if r["kept_files"] and r["language"] != "unknown"
                ),
            }
        ),
        "pretty_name": cfg.pretty_name or f"{stats.mixture_name or 'code'} mixture",
    }
    if "other" in licenses:
        meta |= front_matter.other_license_fields(mapped.unmapped)
        meta["license_details"] = (
            "Files keep their original licenses; see the license tables in this card"
            + (f" (not Hub license ids: {', '.join(mapped.unmapped)})." if mapped.unmapped else ".")
        )
    # our own namespace: the Hub keeps unknown front-matter keys and validates only its own
    ours: dict[str, Any] = {}
    if stats.unlicensed is not None:
        ours["unlicensed_kept_files"] = stats.unlicensed["kept_files"]
        ours["unlicensed_kept_bytes"] = stats.unlicensed["kept_bytes"]
    if stats.metadata_licensed is not None:
        ours["export_metadata_licensed_kept_files"] = stats.metadata_licensed["kept_files"]
        ours["export_metadata_licensed_kept_bytes"] = stats.metadata_licensed["kept_bytes"]
        ours["kept_files_by_license_method"] = {
            r["method"]: r["kept_files"] for r in stats.license_methods
        }
    if ours:
        meta["curate"] = ours
    if stats.mixture_name and stats.mixture:
        # relative to README.md (RUN/card/), like the plots: load_dataset(RUN/card) reads it
        path = cfg.data_files or f"../mixtures/{stats.mixture_name}/part-*.parquet"
        meta["configs"] = [
            {"config_name": "default", "data_files": [{"split": "train", "path": path}]}
        ]
    return meta


def _tag(language: str) -> str:
    return language.lower().replace("+", "p").replace("#", "sharp").replace(" ", "-")


def _front(meta: dict[str, Any]) -> str:
    from huggingface_hub import DatasetCardData

    data = DatasetCardData(**meta)
    return "---\n" + data.to_yaml() + "\n---\n"


def _plots(run: RunDir, stats: CardStats, cfg: CardConfig, out: Path) -> dict[str, plots.Plot]:
    folder = out / "plots"
    made: dict[str, plots.Plot | None] = {
        "languages": plots.language_shares(stats, folder / "languages.png"),
        "funnel": plots.funnel(stats, folder / "funnel.png"),
        "drops": plots.drops(stats, folder / "drops.png"),
    }
    recorded = thresholds.recorded_policy(run, cfg.policy) if stats.policy else None
    lines = thresholds.policy_thresholds(recorded) if recorded else {}
    columns = list(cfg.histograms) or stats.numeric_columns[: cfg.max_histograms]
    for col in columns:
        if col not in stats.numeric_columns:
            log.warning("card: no numeric attribute column %s to plot", col)
    columns = [c for c in columns if c in stats.numeric_columns]
    values = numeric_values_by_column(run, columns, cfg.policy)
    for col in columns:
        made[f"hist:{col}"] = plots.histogram(
            run, col, cfg.policy, folder / f"hist-{col}.png", lines.get(col, []), values[col]
        )
    return {k: v for k, v in made.items() if v is not None}


def _optout_list_version(pipeline_toml_text: str) -> list[str]:
    """The opt-out list named in the recipe (``annotators.optout.path``), identified by file name
    and content hash, so the card says exactly which list version was applied."""
    import hashlib
    import tomllib

    try:
        data = tomllib.loads(pipeline_toml_text) if pipeline_toml_text else {}
    except tomllib.TOMLDecodeError:
        return []
    path = ((data.get("annotators") or {}).get("optout") or {}).get("path")
    if not path:
        return []
    p = Path(path)
    if not p.is_file():
        return [f"{path} (file not found when the card was written)"]
    return [f"{p.name} sha256:{hashlib.sha256(p.read_bytes()).hexdigest()[:16]}"]
