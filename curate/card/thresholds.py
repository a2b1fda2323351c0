"""The numeric thresholds a policy's rules apply to each column, for the card's histograms.

Read from the resolved policy the run recorded (``stats/steps/policy.json``: its ``result``
holds the policy as JSON), so the card draws what was applied, not what a recipe says now. A rule
expression is parsed with ``ast`` (the policy language is a subset of Python, see
``curate.policy.expr``); every comparison of a column (or ``fill_null``/``coalesce``/``abs`` of
one) with a number or a rule parameter is a threshold. Overrides that change a number (``threshold``
or ``params`` or ``expr``) give extra, scoped thresholds (``extensions .sql``).
"""

from __future__ import annotations

import ast
import json
import logging
from dataclasses import dataclass
from typing import Any

from curate.rundir import RunDir

log = logging.getLogger(__name__)

_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_WRAPPERS = {"fill_null", "coalesce", "abs"}


@dataclass(frozen=True)
class Threshold:
    """``column op value`` must hold for a file to pass ``rule`` (within ``scope``)."""

    column: str
    rule: str
    op: str
    value: float
    scope: str = ""
    """Empty for every file; else the override's languages/extensions/file names."""

    def label(self) -> str:
        where = f" for {self.scope}" if self.scope else ""
        return f"{self.rule}: {self.column} {self.op} {number(self.value)}{where}"


def number(value: float) -> str:
    """``1048576`` for an integral value (not ``1.04858e+06``), else up to 6 significant digits."""
    return f"{int(value)}" if float(value).is_integer() else f"{value:.6g}"


def recorded_policy(run: RunDir, name: str) -> dict[str, Any] | None:
    """The resolved policy ``name`` of the run's last policy step, or ``None``."""
    path = run.stats / "steps" / "policy.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    policy = (data.get("result") or {}).get("policy")
    if not isinstance(policy, dict) or policy.get("name") != name:
        return None
    return policy


def policy_thresholds(policy: dict[str, Any]) -> dict[str, list[Threshold]]:
    """Thresholds per column of every enabled rule, then of every override that moves one."""
    out: dict[str, list[Threshold]] = {}
    rules = {r["name"]: r for r in policy.get("rules", []) if r.get("enabled", True)}
    for rule in rules.values():
        for t in expr_thresholds(rule["name"], rule["expr"], rule.get("params") or {}):
            out.setdefault(t.column, []).append(t)
    for ov in _overrides(policy):
        rule = rules.get(ov.get("rule", ""))
        if rule is None or ov.get("disable"):
            continue
        params = {**(rule.get("params") or {}), **(ov.get("params") or {})}
        scope = _scope(ov)
        if ov.get("expr"):
            found = expr_thresholds(rule["name"], ov["expr"], params, scope)
        elif ov.get("threshold") is not None:
            base = expr_thresholds(rule["name"], rule["expr"], {})
            found = [
                Threshold(t.column, t.rule, t.op, float(ov["threshold"]), scope)
                for t in base
                if len(base) == 1
            ]
        else:
            found = expr_thresholds(rule["name"], rule["expr"], params, scope)
        for t in found:
            same = [
                b
                for b in out.get(t.column, [])
                if (b.rule, b.op, b.value) == (t.rule, t.op, t.value)
            ]
            if not same:  # an override that leaves the number as it is draws nothing new
                out.setdefault(t.column, []).append(t)
    return out


def _overrides(policy: dict[str, Any]) -> list[dict[str, Any]]:
    overrides = list(policy.get("overrides") or [])
    if policy.get("builtin_overrides", True):
        from curate.languages.quality_overrides import OVERRIDES

        overrides += OVERRIDES
    return overrides


def _scope(ov: dict[str, Any]) -> str:
    parts = [
        f"{key} {', '.join(_short(ov[key]))}"
        for key in ("languages", "extensions", "filenames")
        if ov.get(key)
    ]
    return "; ".join(parts)


def _short(items: list[str], n: int = 4) -> list[str]:
    return list(items) if len(items) <= n else [*items[:n], f"+{len(items) - n} more"]


def expr_thresholds(
    rule: str, source: str, params: dict[str, Any], scope: str = ""
) -> list[Threshold]:
    """Every ``column <op> number`` comparison in ``source`` (a chain counts pairwise)."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        log.warning("card: rule %s: cannot read thresholds of %r", rule, source)
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            sym = _OPS.get(type(op))
            if sym is None:
                continue
            col, num = _column(left, params), _number(right, params)
            if col is None or num is None:
                col, num, sym = _column(right, params), _number(left, params), _FLIP[sym]
            if col is not None and num is not None:
                found.append(Threshold(col, rule, sym, num, scope))
    return found


def _column(node: ast.expr, params: dict[str, Any]) -> str | None:
    if isinstance(node, ast.Name) and node.id not in params:
        return node.id
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _WRAPPERS
        and node.args
    ):
        return _column(node.args[0], params)
    return None


def _number(node: ast.expr, params: dict[str, Any]) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return None if isinstance(node.value, bool) else float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand, params)
        return None if inner is None else -inner
    if isinstance(node, ast.Name) and node.id in params:
        value = params[node.id]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None
