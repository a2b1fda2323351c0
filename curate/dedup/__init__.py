"""Exact and MinHash near-dedup as barrier steps writing attributes (never deletions).

>>> from curate.dedup import run_dedup, DedupConfig      # doctest: +SKIP
>>> run_dedup(RunDir.at("runs/r1"), DedupConfig(), LocalRunner())   # doctest: +SKIP

See docs/dedup.md for the algorithm, the keep policy and measured quality and speed.
"""

from __future__ import annotations

from typing import Any

from curate.dedup.config import DedupConfig
from curate.engine.runner import Runner
from curate.rundir import RunDir

__all__ = ["DedupConfig", "run_dedup", "run_exact_dedup", "run_near_dedup"]


def run_exact_dedup(run: RunDir, cfg: DedupConfig, runner: Runner) -> dict[str, Any]:
    from curate.dedup.exact import run_exact_dedup as _run

    return _run(run, cfg, runner)


def run_near_dedup(run: RunDir, cfg: DedupConfig, runner: Runner) -> dict[str, Any]:
    from curate.dedup.near import run_near_dedup as _run

    return _run(run, cfg, runner)


def run_dedup(run: RunDir, cfg: DedupConfig, runner: Runner) -> dict[str, Any]:
    """The ``[dedup]`` pipeline step: exact and near dedup, their per-shard steps fused
    (``curate.dedup.phases``), then repository dedup; returns the counts and the dedup rates by
    language (kept in ``stats/steps/dedup.json``)."""
    from curate.dedup.exact import exact_phases
    from curate.dedup.near import near_phases
    from curate.dedup.phases import run_phases
    from curate.dedup.stats import rates_by_language

    report: dict[str, Any] = {}
    if not cfg.enabled:
        return report
    # near first: its shard units are the long ones (content), which start largest first
    kinds = {
        name: phases(run, cfg, runner)
        for name, phases, on in (
            ("near", near_phases, cfg.near.enabled),
            ("exact", exact_phases, cfg.exact.enabled),
        )
        if on
    }
    done = dict(zip(kinds, run_phases(run, runner, list(kinds.values())), strict=True))
    report |= {name: done[name] for name in ("exact", "near") if name in done}
    if cfg.near.enabled and cfg.near.repos:
        from curate.dedup.repos import run_repo_dedup

        report["repos"] = run_repo_dedup(run, cfg, runner)
    report["by_language"] = rates_by_language(run)
    return report
