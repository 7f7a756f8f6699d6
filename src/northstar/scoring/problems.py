"""What is wrong with a rule stored as JSON on an indicator card, field by field.

Pydantic's own messages are English sentences about types; a person designing a card needs
the field, the problem and the fix, in their language. Our validators put a catalogue
template in ``ctx["template"]``; the few generic pydantic errors a rule can meet get ours here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from northstar.errors import N_, Problem, ValidationFailed
from northstar.scoring.rules import Rule

RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)

_NUMBER_ERRORS = frozenset(
    {"decimal_parsing", "decimal_type", "finite_number", "float_parsing", "float_type", "int_parsing"}
)
_OBJECT_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})


@dataclass(frozen=True)
class RuleProblem:
    """One thing wrong with a rule: where ("rule.bands[1].lower"), and a template naming the fix."""

    path: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.path}: {self.template.format(**self.params)}"

    def as_problem(self) -> Problem:
        """The same problem in the shape the error handler renders for any input."""
        return Problem(self.template, dict(self.params), field=self.path)


def parse_rule(data: Any) -> Rule:
    """The rule in ``data``, or ValidationFailed listing every problem with its field."""
    try:
        return RULE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = _problems(exc, data, "rule")
    raise ValidationFailed(
        N_("The scoring rule is not valid: correct the fields listed."),
        problems=[p.as_problem() for p in problems],
    )


def rule_problems(data: Any, prefix: str = "rule") -> list[RuleProblem]:
    """Every problem with a rule given as JSON data, paths under ``prefix``; [] when it can be scored."""
    try:
        RULE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        return _problems(exc, data, prefix)
    return []


def _problems(exc: ValidationError, data: Any, prefix: str) -> list[RuleProblem]:
    kind = data.get("kind") if isinstance(data, dict) else None
    return [_problem(error, kind, prefix) for error in exc.errors()]


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    return prefix + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def _problem(error: ErrorDetails, kind: object, prefix: str) -> RuleProblem:
    loc = tuple(error["loc"])
    # Inside a discriminated union pydantic puts the member's tag first; the stored JSON has no
    # such level, so the path drops it.
    if loc and loc[0] == kind and error["type"] not in ("union_tag_invalid", "union_tag_not_found"):
        loc = loc[1:]
    ctx = error.get("ctx") or {}
    names = [part for part in loc if isinstance(part, str)]
    name = names[-1] if names else prefix
    value = error.get("input")
    kind_error = error["type"]
    if "template" in ctx:
        at = ctx.get("at") or ""
        params = {k: v for k, v in ctx.items() if k not in ("template", "at")}
        path = _path(prefix, loc) + (f".{at}" if at else "")
        return RuleProblem(path, ctx["template"], params)
    path = _path(prefix, loc)
    if kind_error == "union_tag_invalid":
        return RuleProblem(
            path + ".kind",
            N_(
                'Unknown rule kind "{kind}": use one of linear, bands, range, yes_no, rubric, deduction, bonus, penalty, veto.'
            ),
            {"kind": str(ctx.get("tag", ""))},
        )
    if kind_error == "union_tag_not_found":
        return RuleProblem(
            path + ".kind",
            N_(
                "The rule has no kind: use one of linear, bands, range, yes_no, rubric, deduction, bonus, penalty, veto."
            ),
        )
    if kind_error == "missing":
        return RuleProblem(path, N_('"{field}" is missing: enter a value.'), {"field": name})
    if kind_error in _NUMBER_ERRORS:
        return RuleProblem(
            path,
            N_('"{value}" is not a number: enter digits such as 96.5.'),
            {"field": name, "value": str(value)},
        )
    if kind_error == "extra_forbidden":
        return RuleProblem(
            path,
            N_('"{field}" is not a setting of a {kind} rule: remove it.'),
            {"field": name, "kind": str(kind)},
        )
    if kind_error in ("greater_than", "greater_than_equal"):
        limit = ctx.get("gt", ctx.get("ge"))
        return RuleProblem(
            path,
            N_('"{field}" must be greater than {limit}: enter a larger number.')
            if kind_error == "greater_than"
            else N_('"{field}" must be at least {limit}: enter a larger number.'),
            {"field": name, "limit": str(limit)},
        )
    if kind_error == "too_short":
        return RuleProblem(
            path,
            N_('"{field}" needs at least {min} entries: add {more} more.'),
            {
                "field": name,
                "min": str(ctx.get("min_length")),
                "more": str(int(ctx.get("min_length", 0)) - int(ctx.get("actual_length", 0))),
            },
        )
    if kind_error == "string_too_short" and ctx.get("min_length") == 1:
        return RuleProblem(path, N_('"{field}" is empty: fill it in.'), {"field": name})
    if kind_error in ("string_too_short", "string_too_long"):
        return RuleProblem(
            path,
            N_('"{field}" must have at least {limit} characters: enter a longer text.')
            if kind_error == "string_too_short"
            else N_('"{field}" must have at most {limit} characters: shorten it.'),
            {"field": name, "limit": str(ctx.get("min_length", ctx.get("max_length")))},
        )
    if kind_error == "string_type":
        return RuleProblem(path, N_('"{field}" must be text: put it in quotes.'), {"field": name})
    if kind_error == "list_type":
        return RuleProblem(
            path, N_('"{field}" must be a list: put its entries in square brackets.'), {"field": name}
        )
    if kind_error in _OBJECT_ERRORS and loc and isinstance(loc[-1], int):
        return RuleProblem(
            path,
            N_('Entry {n} of "{field}" must be an object with named fields, such as {{"score": 100}}.'),
            {"field": name, "n": str(loc[-1] + 1)},
        )
    if kind_error in _OBJECT_ERRORS:
        return RuleProblem(
            path,
            N_('"{field}" must be an object with named fields, such as {{"kind": "linear"}}.'),
            {"field": name},
        )
    return RuleProblem(path, N_('"{field}" is not valid: {detail}'), {"field": name, "detail": error["msg"]})
