"""A small, safe expression language for policy rules, compiled to polars expressions.

Rules are written as Python-like expressions over column names and parsed with ``ast``; only the
nodes below compile, anything else is a ``ConfigError`` naming the rule and the bad token:

- literals: numbers, strings, ``True``/``False``/``None``; lists/tuples only right of ``in``
- names: a column (or a rule parameter, see ``params``)
- comparisons ``< <= > >= == !=`` (chains allowed), ``in`` / ``not in`` a literal list,
  ``x is None`` / ``x is not None``
- ``and`` / ``or`` / ``not``, arithmetic ``+ - * / // %``, unary ``-``, ``a if cond else b``
- functions: ``len(x)`` (characters of a string), ``lower(x)``, ``upper(x)``, ``abs(x)``,
  ``min(a, b, ...)``, ``max(a, b, ...)``, ``coalesce(a, b, ...)``, ``is_null(x)``,
  ``fill_null(x, v)``, ``startswith(x, "s")``, ``endswith(x, "s")``, ``contains(x, "s")``
  (literal), ``matches(x, "regex")``

Nulls follow polars (Kleene logic: ``null and False`` is False, ``null or True`` is True, a
comparison with null is null). What a rule does with a null result is the rule's ``on_null``.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from curate.errors import ConfigError

Scalar = int | float | str | bool | None

_CMP: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_BIN: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


@dataclass(frozen=True)
class Compiled:
    expr: pl.Expr
    columns: frozenset[str]
    """Column names the expression reads (parameters excluded)."""


class _Compiler:
    def __init__(self, rule: str, source: str, params: Mapping[str, Scalar]):
        self.rule = rule
        self.source = source
        self.params = params
        self.columns: set[str] = set()

    def error(self, node: ast.AST, what: str) -> ConfigError:
        segment = ast.get_source_segment(self.source, node) or type(node).__name__
        return ConfigError(f"policy rule {self.rule!r}: {what}: {segment!r} in {self.source!r}")

    def literal(self, node: ast.AST) -> Scalar:
        if isinstance(node, ast.Constant) and isinstance(
            node.value, int | float | str | bool | type(None)
        ):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = self.literal(node.operand)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return -value
        if isinstance(node, ast.Name) and node.id in self.params:
            return self.params[node.id]
        raise self.error(node, "expected a literal")

    def compile(self, node: ast.AST) -> pl.Expr:
        method = getattr(self, f"c_{type(node).__name__}", None)
        if method is None:
            raise self.error(node, f"unsupported syntax ({type(node).__name__})")
        return method(node)

    def c_Expression(self, node: ast.Expression) -> pl.Expr:
        return self.compile(node.body)

    def c_Constant(self, node: ast.Constant) -> pl.Expr:
        if not isinstance(node.value, int | float | str | bool | type(None)):
            raise self.error(node, "unsupported literal")
        return pl.lit(node.value)

    def c_Name(self, node: ast.Name) -> pl.Expr:
        if node.id in self.params:
            return pl.lit(self.params[node.id])
        if node.id in {"true", "false", "null", "none"}:
            raise self.error(node, "use True / False / None")
        self.columns.add(node.id)
        return pl.col(node.id)

    def c_BoolOp(self, node: ast.BoolOp) -> pl.Expr:
        parts = [self.compile(v) for v in node.values]
        out = parts[0]
        for part in parts[1:]:
            out = (out & part) if isinstance(node.op, ast.And) else (out | part)
        return out

    def c_UnaryOp(self, node: ast.UnaryOp) -> pl.Expr:
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.Not):
            return ~operand
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise self.error(node, "unsupported operator")

    def c_BinOp(self, node: ast.BinOp) -> pl.Expr:
        op = _BIN.get(type(node.op))
        if op is None:
            raise self.error(node, "unsupported operator")
        return op(self.compile(node.left), self.compile(node.right))

    def c_IfExp(self, node: ast.IfExp) -> pl.Expr:
        return (
            pl.when(self.compile(node.test))
            .then(self.compile(node.body))
            .otherwise(self.compile(node.orelse))
        )

    def c_Compare(self, node: ast.Compare) -> pl.Expr:
        parts: list[pl.Expr] = []
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            parts.append(self._compare(left_node, op, right_node))
            left_node = right_node
        out = parts[0]
        for part in parts[1:]:
            out = out & part
        return out

    def _compare(self, left_node: ast.AST, op: ast.cmpop, right_node: ast.AST) -> pl.Expr:
        if isinstance(op, ast.Is | ast.IsNot):
            if not (isinstance(right_node, ast.Constant) and right_node.value is None):
                raise self.error(right_node, "'is' only compares with None")
            left = self.compile(left_node)
            return left.is_null() if isinstance(op, ast.Is) else left.is_not_null()
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(right_node, ast.List | ast.Tuple | ast.Set):
                raise self.error(right_node, "'in' needs a literal list")
            values = [self.literal(v) for v in right_node.elts]
            test = self.compile(left_node).is_in(values)
            return test if isinstance(op, ast.In) else ~test
        fn = _CMP.get(type(op))
        if fn is None:
            raise self.error(right_node, "unsupported comparison")
        return fn(self.compile(left_node), self.compile(right_node))

    def c_Call(self, node: ast.Call) -> pl.Expr:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise self.error(node, "only plain calls of the allowed functions")
        name = node.func.id
        spec = _FUNCTIONS.get(name)
        if spec is None:
            raise self.error(
                node.func, f"unknown function (allowed: {', '.join(sorted(_FUNCTIONS))})"
            )
        nargs, literal_tail, build = spec
        if (nargs >= 0 and len(node.args) != nargs) or (nargs < 0 and len(node.args) < -nargs):
            raise self.error(node, f"wrong number of arguments to {name}()")
        args: list[Any] = []
        for index, arg in enumerate(node.args):
            if literal_tail and index > 0:
                value = self.literal(arg)
                if not isinstance(value, str):
                    raise self.error(arg, f"{name}() needs a string literal")
                args.append(value)
            else:
                args.append(self.compile(arg))
        return build(*args)


def _len(x: pl.Expr) -> pl.Expr:
    return x.str.len_chars()


_FUNCTIONS: dict[str, tuple[int, bool, Callable[..., pl.Expr]]] = {
    # name: (number of args, or -minimum for variadic; later args are string literals; builder)
    "len": (1, False, _len),
    "lower": (1, False, lambda x: x.str.to_lowercase()),
    "upper": (1, False, lambda x: x.str.to_uppercase()),
    "abs": (1, False, lambda x: x.abs()),
    "min": (-2, False, lambda *xs: pl.min_horizontal(*xs)),
    "max": (-2, False, lambda *xs: pl.max_horizontal(*xs)),
    "coalesce": (-2, False, lambda *xs: pl.coalesce(*xs)),
    "is_null": (1, False, lambda x: x.is_null()),
    "fill_null": (2, False, lambda x, v: x.fill_null(v)),
    "startswith": (2, True, lambda x, s: x.str.starts_with(s)),
    "endswith": (2, True, lambda x, s: x.str.ends_with(s)),
    "contains": (2, True, lambda x, s: x.str.contains(s, literal=True)),
    "matches": (2, True, lambda x, s: x.str.contains(s)),
}


def parse(rule: str, source: str) -> ast.Expression:
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError as err:
        raise ConfigError(
            f"policy rule {rule!r}: cannot parse expression {source!r}: {err.msg}"
        ) from None


def compile_expr(rule: str, source: str, params: Mapping[str, Scalar] | None = None) -> Compiled:
    """Compile ``source`` (the rule ``rule``'s expression) to a polars expression."""
    params = dict(params or {})
    tree = parse(rule, source)
    compiler = _Compiler(rule, source.strip(), params)
    expr = compiler.compile(tree)
    return Compiled(expr=expr, columns=frozenset(compiler.columns))


def numeric_literals(rule: str, source: str) -> list[ast.Constant]:
    """Numeric constants of an expression, in source order (for ``threshold`` edits)."""
    tree = parse(rule, source)
    found = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, int | float)
        and not isinstance(n.value, bool)
    ]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def replace_threshold(rule: str, source: str, value: float | int) -> str:
    """``source`` with its single numeric literal replaced by ``value``."""
    found = numeric_literals(rule, source)
    if len(found) != 1:
        raise ConfigError(
            f"policy rule {rule!r}: 'threshold' needs exactly one number in {source!r} "
            f"(found {len(found)}); name the value with params instead"
        )
    node = found[0]
    text = source.strip()
    start, end = node.col_offset, node.end_col_offset
    return f"{text[:start]}{value!r}{text[end:]}"
