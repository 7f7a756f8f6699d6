"""Indicator formulas as a whitelisted arithmetic tree.

A card's formula ("on_time_orders / delivered_orders * 100", or in Chinese
"准时交付订单数 ÷ 应交付订单数 × 100%") is parsed with Python's own expression grammar and then
checked node by node: numbers, the card's measure names, + − × ÷, parentheses and min/max/abs
are allowed, anything else is refused. Nothing is ever evaluated as code; ``evaluate`` walks the
checked tree with Decimal arithmetic.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from northstar.errors import N_

_FUNCTIONS = {"min", "max", "abs"}
_OPERATORS: dict[type[ast.operator], str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
# the typographic forms people paste from Word and Excel
_REWRITES = (("×", "*"), ("÷", "/"), ("−", "-"), ("（", "("), ("）", ")"), ("，", ","))
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")


class FormulaError(Exception):
    """A formula that cannot be used; ``template`` is a catalogue key with ``params``."""

    def __init__(self, template: str, **params: Any) -> None:
        super().__init__(template.format(**params))
        self.template = template
        self.params = params


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.expr
    #: the measure names the formula uses, in order of first use
    measures: tuple[str, ...]

    def evaluate(self, values: Mapping[str, Decimal | int | None]) -> Decimal | None:
        """The formula's value, or None when a measure is missing or a divisor is zero."""
        return _eval(self.tree, values)


def _normalise(text: str) -> str:
    for a, b in _REWRITES:
        text = text.replace(a, b)
    # "× 100%" means "× 100": the percent sign only names the unit
    return _PERCENT.sub(r"\1", text)


def parse(text: str, measures: Sequence[str]) -> Formula:
    """Parse ``text`` and check that it only names ``measures``; raise FormulaError otherwise."""
    source = _normalise(text).strip()
    if not source:
        raise FormulaError(
            N_("The formula is empty: write it over the measures, e.g. on_time / delivered * 100.")
        )
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        raise FormulaError(
            N_(
                "The formula does not parse near column {column}: write it as arithmetic over the "
                "measure names, e.g. on_time / delivered * 100."
            ),
            column=exc.offset or 1,
        ) from None
    used: list[str] = []
    known = set(measures)
    for node in ast.walk(tree):
        _check(node, known, used, measures)
    return Formula(text=text, tree=tree, measures=tuple(used))


def _check(node: ast.AST, known: set[str], used: list[str], measures: Sequence[str]) -> None:
    if isinstance(node, ast.Name):
        if node.id in _FUNCTIONS:
            return
        if node.id not in known:
            raise FormulaError(
                N_(
                    'The formula names "{name}", which is not one of the measures ({known}): add it '
                    "as a measure or correct the spelling."
                ),
                name=node.id,
                known=", ".join(measures) or "—",
            )
        if node.id not in used:
            used.append(node.id)
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _refused(repr(node.value))
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            raise _refused(type(node.op).__name__)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise _refused(type(node.op).__name__)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
            raise _refused(ast.unparse(node.func))
        return
    if isinstance(node, ast.operator | ast.unaryop | ast.Load | ast.expr_context):
        return
    raise _refused(type(node).__name__)


def _refused(what: str) -> FormulaError:
    return FormulaError(
        N_(
            "The formula uses {what}, which a formula may not: only numbers, measure names, "
            "+ − × ÷, parentheses and min, max, abs."
        ),
        what=what,
    )


def _eval(node: ast.expr, values: Mapping[str, Decimal | int | None]) -> Decimal | None:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        return None if value is None else Decimal(value)
    if isinstance(node, ast.UnaryOp):
        inner = _eval(node.operand, values)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values), _eval(node.right, values)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        try:
            return left / right
        except (ZeroDivisionError, InvalidOperation):
            return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_eval(a, values) for a in node.args]
        if any(a is None for a in args) or not args:
            return None
        nums = [a for a in args if a is not None]
        if node.func.id == "abs":
            return abs(nums[0])
        return min(nums) if node.func.id == "min" else max(nums)
    raise _refused(type(node).__name__)
