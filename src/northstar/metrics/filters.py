"""Structured filters to Ibis conditions: user text is only ever a typed literal, never SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from northstar.errors import N_
from northstar.metrics.spec import Filter

#: report(path, message, **params): records a problem found while building an expression
Report = Callable[..., None]


def condition(table: ir.Table, schema: Any, flt: Filter, path: str, report: Report) -> ir.BooleanValue | None:
    """The filter as a condition on ``table``, or None after reporting why it cannot be one."""
    if flt.column not in schema:
        unknown_column(f"{path}.column", flt.column, schema, report)
        return None
    col = table[flt.column]
    if flt.op == "is_null":
        return col.isnull()
    if flt.op == "not_null":
        return col.notnull()
    values = flt.value if isinstance(flt.value, list) else [flt.value]
    typed = [literal(schema[flt.column], v, path, flt.column, report) for v in values]
    if any(v is None for v in typed):
        return None
    if flt.op == "in":
        return col.isin(typed)
    if flt.op == "not_in":
        return col.notin(typed)
    if flt.op == "between":
        return col.between(typed[0], typed[1])
    value = typed[0]
    return {
        "eq": lambda: col == value,
        "ne": lambda: col != value,
        "lt": lambda: col < value,
        "le": lambda: col <= value,
        "gt": lambda: col > value,
        "ge": lambda: col >= value,
    }[flt.op]()


def literal(type_: dt.DataType, value: Any, path: str, column: str, report: Report) -> Any:
    """``value`` as a literal of the column's type, or None after reporting that it is not one."""
    try:
        if type_.is_string():
            if isinstance(value, str):
                return value
        elif type_.is_boolean():
            if isinstance(value, bool):
                return value
        elif type_.is_numeric():
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
        elif type_.is_timestamp():
            if isinstance(value, str | datetime):
                parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
                if getattr(type_, "timezone", None) and parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=UTC)
                return ibis.literal(parsed, type_)
        elif type_.is_date():
            if isinstance(value, date):
                return value
            if isinstance(value, str):
                return date.fromisoformat(value)
    except ValueError:
        pass
    report(
        f"{path}.value",
        N_(
            '{path}: the value "{value}" does not fit the column {column}, which holds {type}; write a value of that type.'
        ),
        value=value,
        column=column,
        type=str(type_),
    )
    return None


def unknown_column(path: str, column: str, schema: Any, report: Report) -> None:
    report(
        path,
        N_('{path}: the source has no column "{column}"; use one of: {known}.'),
        column=column,
        known=", ".join(schema.names),
    )
