"""The decision policy: ordered named rules over annotation columns (documents metadata plus every
attribute folder), written as expressions in the pipeline TOML and compiled to polars.

>>> from curate.policy import PolicyConfig, decide
>>> import polars as pl
>>> cfg = PolicyConfig(defaults=False, rules=[{"name": "short", "expr": "size_bytes < 10"}])
>>> decide(pl.DataFrame({"doc_uid": ["a", "b"], "size_bytes": [3, 30]}), cfg).collect()["keep"].to_list()
[True, False]
"""

from __future__ import annotations

from curate.policy.config import (
    OverrideConfig,
    PolicyConfig,
    RuleConfig,
    load_policy,
    policy_from_dict,
)
from curate.policy.decisions import decide_shard, run_decisions
from curate.policy.evaluate import decide
from curate.policy.explain import explain, explain_frame
from curate.policy.expr import compile_expr
from curate.policy.stats import language_summary, policy_stats, rule_stats
from curate.policy.whatif import apply_sets, whatif, whatif_frame

__all__ = [
    "OverrideConfig",
    "PolicyConfig",
    "RuleConfig",
    "apply_sets",
    "compile_expr",
    "decide",
    "decide_shard",
    "explain",
    "explain_frame",
    "language_summary",
    "load_policy",
    "policy_from_dict",
    "policy_stats",
    "rule_stats",
    "run_decisions",
    "whatif",
    "whatif_frame",
]
