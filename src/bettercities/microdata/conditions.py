"""Conditions of a spec translated into Ibis expressions: the checked syntax tree of
:func:`bettercities.microdata.schemas.parse_condition` is walked node by node; nothing is ever evaluated
by Python."""

from __future__ import annotations

import ast
import operator
from functools import cache
from typing import TYPE_CHECKING, Any

from bettercities.microdata.schemas import parse_condition

if TYPE_CHECKING:
    import ibis.expr.types as ir

_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITHMETIC = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}


def to_ibis(table: ir.Table, text: str) -> ir.BooleanValue:
    """The condition ``text`` as a boolean Ibis expression over ``table``'s columns."""
    import ibis

    expression = _as_value(_node(table, parse_condition(text).body))
    if not isinstance(expression, ibis.expr.types.Column):  # a constant such as ``true``: one per record
        anything = table[table.columns[0]]
        expression = (anything.isnull() | anything.notnull()) & expression
    return expression


def _node(table: ir.Table, node: ast.AST) -> Any:

    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return table[node.id]
    if isinstance(node, ast.BoolOp):
        values = [_as_value(_node(table, v)) for v in node.values]
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _node(table, node.operand)
        if isinstance(node.op, ast.Not):
            return ~_as_value(operand)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        return _ARITHMETIC[type(node.op)](_node(table, node.left), _node(table, node.right))
    if isinstance(node, ast.Compare):
        parts = []
        left = _node(table, node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                members = [_node(table, e) for e in right_node.elts]  # type: ignore[attr-defined]
                test = _as_value(left).isin(members)
                parts.append(~test if isinstance(op, ast.NotIn) else test)
                right = None
            else:
                right = _node(table, right_node)
                parts.append(_as_value(_COMPARE[type(op)](left, right)))
            left = right
        result = parts[0]
        for part in parts[1:]:
            result = result & part
        return result
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_node(table, a) for a in node.args]
        if node.func.id == "between":
            return _as_value(args[0]).between(args[1], args[2])
        if node.func.id == "isnull":
            return _as_value(args[0]).isnull()
        return _as_value(args[0]).notnull()
    raise ValueError(f"unexpected node {type(node).__name__}")  # parse_condition refuses it earlier


def _as_value(value: Any) -> Any:
    import ibis

    return value if isinstance(value, ibis.expr.types.Value) else ibis.literal(value)


def count_true(condition: ir.BooleanValue) -> ir.IntegerScalar:
    """The number of records where ``condition`` is true (false and null not counted): the engines' own
    ``COUNT_IF`` aggregate (DuckDB; Spark SQL since 3.0), which Ibis calls by name."""
    return _count_if()(condition)


@cache
def _count_if() -> Any:
    import ibis

    @ibis.udf.agg.builtin(name="count_if")
    def count_if(arg: bool) -> int:  # type: ignore[empty-body]
        """The engine's COUNT_IF."""

    return count_if
