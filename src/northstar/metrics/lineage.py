"""Lineage (S7.3): for a computed value, the filter that returns its source rows, and the rows.

``row_filters`` describes, as plain JSON-able data, which rows of which source each part of a
value counts (a ratio has a numerator and a denominator part, NPS and CSAT their answers, a
derived metric the parts of the metrics it uses). Stored next to the value, the description is
replayed by ``source_rows`` for the drill-down, on any Ibis backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from northstar.errors import N_, Problem, ValidationFailed
from northstar.metrics.compiler import periods, source_table
from northstar.metrics.filters import condition, unknown_column
from northstar.metrics.spec import (
    CsatMetric,
    DerivedMetric,
    Filter,
    Grain,
    MetricSpec,
    NpsMetric,
    RatioMetric,
    SimpleMetric,
)


def row_filters(
    spec: MetricSpec, metric: str, *, grain: Grain, period_start: date, dimensions: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One filter per part of the value of ``metric`` for one period and one slice.

    Each filter: part ("numerator", "denominator", "measure", "answers"; derived metrics prefix
    the metric used, e.g. "fcr_rate.numerator"), measure path, source, time column, the period's
    bounds (local dates and UTC instants), the dimension columns with their values (a list for a
    group's members), and the measure's own conditions. ``period_start`` is moved to the start of its period.
    """
    if metric not in spec.metrics:
        raise ValidationFailed(
            N_('metric: unknown metric "{ref}"; use one of: {known}.'),
            ref=metric,
            known=", ".join(spec.metrics) or "—",
        )
    (period,) = periods(grain, period_start, period_start + timedelta(days=1), spec.timezone)
    out: list[dict[str, Any]] = []

    def part(name: str, role: str, path: str, source: str, where: list[Filter]) -> None:
        declared = spec.sources[source]
        equals = {}
        for dim, value in dimensions.items():
            if dim not in declared.dimensions:
                raise ValidationFailed(
                    N_('dimensions: the source {source} does not declare the dimension "{dim}".'),
                    source=source,
                    dim=dim,
                )
            equals[declared.dimensions[dim]] = value
        out.append(
            {
                "part": role if name == metric else f"{name}.{role}",
                "measure": path,
                "source": source,
                "time_column": declared.time_column,
                "period_start": period.start.isoformat(),
                "period_end": period.local_to.isoformat(),
                "utc_from": period.utc_from.isoformat(),
                "utc_to": period.utc_to.isoformat(),
                "equals": equals,
                "where": [f.model_dump(mode="json") for f in where],
            }
        )

    def visit(name: str) -> None:
        m = spec.metrics[name]
        if isinstance(m, SimpleMetric | RatioMetric):
            roles = (
                {"measure": m.measure}
                if isinstance(m, SimpleMetric)
                else {"numerator": m.numerator, "denominator": m.denominator}
            )
            for role, ref in roles.items():
                measure = spec.measures[ref]
                part(name, role, f"measures.{ref}", measure.source, list(measure.where))
        elif isinstance(m, NpsMetric | CsatMetric):
            answered = Filter(column=m.column, op="not_null")
            part(name, "answers", f"metrics.{name}", m.source, [answered])
        elif isinstance(m, DerivedMetric):
            for dep in spec.formula(name).measures:
                visit(dep)

    visit(metric)
    return out


def source_rows(con: ibis.BaseBackend, spec: MetricSpec, row_filter: Mapping[str, Any]) -> ir.Table:
    """The source rows a stored ``row_filter`` names, as an Ibis table (page it with limit/offset)."""
    source = row_filter["source"]
    table = source_table(con, spec, source)
    schema = table.schema()
    problems: list[Problem] = []

    def report(path: str, message: str, **params: Any) -> None:
        problems.append(Problem(message, {"path": path, **params}, field=path))

    conditions: list[ir.BooleanValue | None] = []
    time_col = row_filter["time_column"]
    if time_col not in schema:
        unknown_column("time_column", time_col, schema, report)
    else:
        ts, type_ = table[time_col], schema[time_col]
        if type_.is_date():
            low: Any = date.fromisoformat(row_filter["period_start"])
            high: Any = date.fromisoformat(row_filter["period_end"])
        else:
            low = datetime.fromisoformat(row_filter["utc_from"])
            high = datetime.fromisoformat(row_filter["utc_to"])
            if getattr(type_, "timezone", None):
                low, high = low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)
            low, high = ibis.literal(low, type_), ibis.literal(high, type_)
        conditions += [ts >= low, ts < high]
    for column, value in row_filter["equals"].items():
        # a list is a group's members (a department subtree), a single value one slice
        op = "is_null" if value is None else "in" if isinstance(value, list) else "eq"
        flt = Filter(column=column, op=op, value=value)
        conditions.append(condition(table, schema, flt, f"equals.{column}", report))
    for i, raw in enumerate(row_filter["where"]):
        conditions.append(condition(table, schema, Filter.model_validate(raw), f"where[{i}]", report))
    if problems:
        raise ValidationFailed(
            N_("The source rows cannot be listed: {count} problem(s), each naming its place and the fix."),
            problems=problems,
            count=len(problems),
        )
    return table.filter(*[c for c in conditions if c is not None])
