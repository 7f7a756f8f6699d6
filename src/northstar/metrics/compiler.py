"""Compile a metric spec and a request to Ibis expressions, on any Ibis backend.

The plan (DESIGN.md, "Metrics engine"):

1. Periods: the request's range is cut into whole periods of the grain in the spec's time zone;
   each period's bounds are converted to UTC in Python (exact across daylight-saving changes)
   and the event time is bucketed with one CASE expression, so no backend time-zone function is
   needed.
2. One grouped aggregation per source, at (dimensions, period), holding every measure that the
   requested metrics need from it, each with its own filter (``agg(...) FILTER (WHERE ...)``);
   the percentiles of one column under one filter are one multi-quantile aggregate, so that
   each group's values are gathered and ordered once for its median, p90 and p95.
3. The per-source aggregates are outer-joined on (dimensions, period), null-safe.
4. Metrics are columns of the joined table: ratio = scale × sum(num) / sum(den), null on a zero
   denominator; NPS and CSAT from their counts; derived formulas translated from the checked
   formula tree into column arithmetic.
5. The wide result is turned long: dimensions…, period_start, metric, value, numerator,
   denominator.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from northstar.errors import N_, Problem, ValidationFailed
from northstar.metrics.filters import condition, unknown_column
from northstar.metrics.spec import (
    CsatMetric,
    DerivedMetric,
    Filter,
    Grain,
    Measure,
    MetricSpec,
    NpsMetric,
    RatioMetric,
    SimpleMetric,
    check_spec,
)

RESULT_COLUMNS = ("period_start", "metric", "value", "numerator", "denominator")
QUANTILE_AGGS = frozenset({"median", "percentile"})


def _q(measure: Measure) -> float:
    """The quantile a median or percentile measure asks for."""
    if measure.agg == "median":
        return 0.5
    assert measure.q is not None
    return measure.q


class MetricRequest(BaseModel):
    """Which metrics, sliced by which dimensions, at which grain, over which dates.

    ``start`` and ``end`` are local dates in the spec's time zone, ``end`` exclusive; the result
    covers the whole periods from the one holding ``start`` to the one holding the day before
    ``end``, so that no period is counted in part.
    """

    model_config = ConfigDict(extra="forbid")

    metrics: list[str] = Field(min_length=1)
    dimensions: list[str] = Field(default_factory=list)
    grain: Grain = "month"
    start: date
    end: date
    #: dimension → {group value: member values}: the rows of every member count towards the
    #: group, so overlapping groups (a department and its subtree) come from the same one query
    groups: dict[str, dict[str, list[str]]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Period:
    start: date  # local date the period begins on
    utc_from: datetime  # its bounds as naive UTC instants
    utc_to: datetime
    local_to: date


def periods(grain: Grain, start: date, end: date, timezone: str) -> list[Period]:
    """The whole periods of ``grain`` that cover [start, end) in ``timezone``."""
    tz = ZoneInfo(timezone)
    out: list[Period] = []
    current = period_floor(grain, start)
    while current < end:
        nxt = _next(grain, current)
        out.append(Period(current, _utc(current, tz), _utc(nxt, tz), nxt))
        current = nxt
    return out


def period_floor(grain: Grain, day: date) -> date:
    """The first day of the period of ``grain`` holding ``day`` (weeks begin on Monday)."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, 1, 1)


def _next(grain: Grain, day: date) -> date:
    if grain == "week":
        return day + timedelta(days=7)
    if grain == "year":
        return date(day.year + 1, 1, 1)
    months = 1 if grain == "month" else 3
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _utc(day: date, tz: ZoneInfo) -> datetime:
    local = datetime(day.year, day.month, day.day, tzinfo=tz)
    return local.astimezone(UTC).replace(tzinfo=None)


def source_table(con: ibis.BaseBackend, spec: MetricSpec, source: str) -> ir.Table:
    """The Ibis table of a source: its ``table`` on the connection, or the file loaded under its name."""
    declared = spec.sources[source]
    return con.table(declared.table or source)


def compile_request(con: ibis.BaseBackend, spec: MetricSpec, request: MetricRequest) -> ir.Table:
    """The wide Ibis expression: one row per (dimensions, period), three columns per metric."""
    return _Compiler(con, spec, request).wide()


def compute(con: ibis.BaseBackend, spec: MetricSpec, request: MetricRequest) -> pa.Table:
    """Execute the request; rows of dimensions…, period_start, metric, value, numerator, denominator.

    The rows come metric by metric, in the order the metrics were asked, and within a metric in
    the order of the keys (dimensions…, period_start).
    """
    compiler = _Compiler(con, spec, request)
    # simple and derived metrics have no numerator or denominator: their columns of nulls are
    # made here rather than carried through the query
    keys = [*request.dimensions, "period_start"]
    wide = compiler.wide(null_parts=False).to_pyarrow()
    return _long(wide, keys, [(name, compiler.metric_columns[name]) for name in request.metrics])


def _long(wide: pa.Table, keys: list[str], metrics: list[tuple[str, str]]) -> pa.Table:
    """The wide table (keys, then ``<prefix>_value``/``_num``/``_den`` per metric) made long.

    Nothing is copied but the sort of the wide table by its keys: each long column is a chunked
    array holding, metric after metric, the wide table's own column (the key columns repeat the
    same buffers for every metric). Interleaving the metrics row by row would copy rows ×
    metrics cells of every column, which at millions of rows costs as much as a good part of the
    query; the metric names are a dictionary column for the same reason, an index of one or two
    bytes per row instead of the name's text. ``to_pylist`` gives the same rows either way.
    """
    order = pc.sort_indices(wide.select(keys), sort_keys=[(k, "ascending") for k in keys])
    if not np.array_equal(order.to_numpy(), np.arange(len(order))):
        wide = wide.take(order)
    n, present = wide.num_rows, set(wide.column_names)
    nulls = pa.nulls(n, pa.float64())
    index_type = pa.int8() if len(metrics) < 2**7 else pa.int16() if len(metrics) < 2**15 else pa.int32()
    names = pa.array([name for name, _ in metrics], pa.string())

    def repeated(column: pa.ChunkedArray) -> pa.ChunkedArray:
        return pa.chunked_array(column.chunks * len(metrics), column.type)

    def side_by_side(suffix: str) -> pa.ChunkedArray:
        chunks: list[pa.Array] = []
        for _, prefix in metrics:
            column = f"{prefix}_{suffix}"
            chunks += wide[column].chunks if column in present else [nulls]
        return pa.chunked_array(chunks, pa.float64())

    metric = pa.chunked_array(
        [
            pa.DictionaryArray.from_arrays(pa.array(np.full(n, k, index_type.to_pandas_dtype())), names)
            for k in range(len(metrics))
        ],
        pa.dictionary(index_type, pa.string()),
    )
    return pa.table(
        {
            **{key: repeated(wide[key]) for key in keys},
            "metric": metric,
            "value": side_by_side("value"),
            "numerator": side_by_side("num"),
            "denominator": side_by_side("den"),
        }
    )


class _Compiler:
    def __init__(self, con: ibis.BaseBackend, spec: MetricSpec, request: MetricRequest) -> None:
        check_spec(spec)
        self.con, self.spec, self.request = con, spec, request
        self.problems: list[Problem] = []
        self._check_request()
        needed = self._closure(request.metrics)
        #: metric name → the prefix of its value/num/den columns in the wide table
        self.metric_columns = {name: f"m{i}" for i, name in enumerate(needed)}
        self.needed = needed
        #: aggregate column → the column already computing the same measure
        self.aliases: dict[str, str] = {}

    # -- request ---------------------------------------------------------------------------
    def _check_request(self) -> None:
        spec, req = self.spec, self.request
        bad = False
        for name in req.metrics:
            if name not in spec.metrics:
                self._problem(
                    "metrics",
                    N_('{path}: unknown metric "{ref}"; use one of: {known}.'),
                    ref=name,
                    known=", ".join(spec.metrics) or "—",
                )
                bad = True
        if req.grain not in spec.grains:
            self._problem(
                "grain",
                N_("{path}: the spec does not offer the grain {grain}; use one of: {known}."),
                grain=req.grain,
                known=", ".join(spec.grains),
            )
        reserved = [d for d in req.dimensions if d in RESULT_COLUMNS]
        if reserved or len(set(req.dimensions)) != len(req.dimensions):
            self._problem(
                "dimensions",
                N_("{path}: name each dimension once, and none of: {reserved}."),
                reserved=", ".join(RESULT_COLUMNS),
            )
        for dim in req.groups:
            if dim not in req.dimensions:
                self._problem(
                    f"groups.{dim}",
                    N_(
                        "{path}: groups are given for {dim}, which is not among the requested dimensions; add it to dimensions."
                    ),
                    dim=dim,
                )
        if req.end <= req.start:
            self._problem("end", N_("{path}: the end date must come after the start date."))
        if not bad:
            for name in req.metrics:
                for source in sorted(spec.metric_sources(name)):
                    missing = [d for d in req.dimensions if d not in spec.sources[source].dimensions]
                    for dim in missing:
                        self._problem(
                            "dimensions",
                            N_(
                                "{path}: the metric {metric} reads source {source}, which does not declare "
                                'the dimension "{dim}"; declare it under sources.{source}.dimensions or '
                                "ask for other dimensions."
                            ),
                            metric=name,
                            source=source,
                            dim=dim,
                        )
        self._raise()

    def _closure(self, names: Iterable[str]) -> list[str]:
        out: list[str] = []

        def visit(name: str) -> None:
            if name in out:
                return
            metric = self.spec.metrics[name]
            if isinstance(metric, DerivedMetric):
                for dep in self.spec.formula(name).measures:
                    visit(dep)
            out.append(name)

        for name in names:
            visit(name)
        return out

    def _problem(self, path: str, message: str, **params: Any) -> None:
        self.problems.append(Problem(message, {"path": path, **params}, field=path))

    def _raise(self) -> None:
        if self.problems:
            raise ValidationFailed(
                N_("The metrics cannot be computed: {count} problem(s), each naming its place and the fix."),
                problems=self.problems,
                count=len(self.problems),
            )

    # -- per-source aggregation ------------------------------------------------------------
    def wide(self, *, null_parts: bool = True) -> ir.Table:
        """The wide expression; without ``null_parts``, the numerator and denominator columns that
        are always null (those of simple and derived metrics) are left out."""
        plan = self._measures_by_source()
        self._periods = periods(self.request.grain, self.request.start, self.request.end, self.spec.timezone)
        aggregates = [self._aggregate(source, items) for source, items in plan.items()]
        self._raise()
        joined = self._join(aggregates)
        return self._metrics(joined, null_parts=null_parts)

    def _measures_by_source(self) -> dict[str, dict[str, tuple[Measure, str]]]:
        """source → {column name in the aggregate: (the measure to compute there, its path)}."""
        plan: dict[str, dict[str, tuple[Measure, str]]] = {}
        spec = self.spec
        first: dict[str, str] = {}  # measure name → the column that computes it

        def put(column: str, measure_name: str) -> None:
            if measure_name in first:  # a measure shared by metrics is computed once
                self.aliases[column] = first[measure_name]
                return
            first[measure_name] = column
            measure = spec.measures[measure_name]
            plan.setdefault(measure.source, {})[column] = (measure, f"measures.{measure_name}")

        for name in self.needed:
            metric = spec.metrics[name]
            col = self.metric_columns[name]
            if isinstance(metric, SimpleMetric):
                put(f"{col}_a", metric.measure)
            elif isinstance(metric, RatioMetric):
                put(f"{col}_a", metric.numerator)
                put(f"{col}_b", metric.denominator)
            elif isinstance(metric, NpsMetric | CsatMetric):
                if isinstance(metric, NpsMetric):
                    top = Filter(column=metric.column, op="ge", value=9)
                    bottom = Filter(column=metric.column, op="le", value=6)
                else:
                    top = Filter(column=metric.column, op="ge", value=metric.scale - 1)
                    bottom = None
                answered = Filter(column=metric.column, op="not_null")
                items = plan.setdefault(metric.source, {})
                path = f"metrics.{name}"
                items[f"{col}_a"] = (Measure(source=metric.source, agg="count", where=[top]), path)
                items[f"{col}_b"] = (Measure(source=metric.source, agg="count", where=[answered]), path)
                if bottom is not None:
                    items[f"{col}_c"] = (Measure(source=metric.source, agg="count", where=[bottom]), path)
        return plan

    def _aggregate(self, source: str, items: dict[str, tuple[Measure, str]]) -> ir.Table:
        spec, req = self.spec, self.request
        declared = spec.sources[source]
        table = source_table(self.con, spec, source)
        schema = table.schema()
        path = f"sources.{source}"
        time_col = declared.time_column
        missing = [
            (f"{path}.dimensions.{dim}", column)
            for dim, column in declared.dimensions.items()
            if column not in schema
        ]
        missing += [(f"{path}.key", column) for column in declared.key if column not in schema]
        if time_col not in schema:
            missing.append((f"{path}.time_column", time_col))
        for where, column in missing:
            self._unknown_column(where, column, schema)
        if missing:
            return table
        time_type = schema[time_col]
        if not (time_type.is_timestamp() or time_type.is_date()):
            self._problem(
                f"{path}.time_column",
                N_(
                    "{path}: the column {column} of source {source} holds {type}, not dates or times; name a date or timestamp column."
                ),
                column=time_col,
                source=source,
                type=str(time_type),
            )
            return table
        first = self._bound(self._periods[0], time_type, start=True)
        last = self._bound(self._periods[-1], time_type, start=False)
        rows = table.filter(table[time_col] >= first, table[time_col] < last)
        # group keys are named expressions, so a dimension never overwrites a source column
        keys: dict[str, str] = {dim: declared.dimensions[dim] for dim in req.dimensions}
        for i, dim in enumerate(req.dimensions):
            if dim not in req.groups:
                continue
            member, group = f"__member_{i}", f"__group_{i}"
            pairs = [(m, g) for g, members in req.groups[dim].items() for m in members]
            mapping = ibis.memtable(
                {member: [m for m, _ in pairs], group: [g for _, g in pairs]},
                schema={member: "string", group: "string"},
            )
            rows = rows.join(mapping, rows[keys[dim]].cast("string") == mapping[member])
            keys[dim] = group
        ts = rows[time_col]
        cases = [
            (ts < self._bound(p, time_type, start=False), ibis.literal(p.start, dt.date))
            for p in self._periods
        ]
        period = ibis.cases(*cases) if len(cases) > 1 else cases[0][1]
        metrics: dict[str, ir.Value] = {}
        # percentiles of one column under one filter share one holistic aggregate (one sort of
        # each group's values instead of one per percentile): median and p90 of handle time
        quantiles: dict[str, list[tuple[str, Measure, str]]] = {}
        for column, (measure, measure_path) in items.items():
            if measure.agg in QUANTILE_AGGS:
                key = measure.model_dump_json(include={"column", "where"})
                quantiles.setdefault(key, []).append((column, measure, measure_path))
                continue
            expr = self._measure(rows, schema, measure, measure_path)
            if expr is not None:
                metrics[column] = expr
        picks: dict[str, tuple[str, int]] = {}  # output column → (shared aggregate, index)
        for n, sharing in enumerate(quantiles.values()):
            # each measure checked on its own path, so that each wrong one is named
            checked = [self._operands(rows, schema, m, p) for _, m, p in sharing]
            first_column, first, _ = sharing[0]
            if checked[0] is None:  # same column and filter: all wrong alike
                continue
            values, keep = checked[0]
            assert values is not None  # a median or percentile always names its column
            if len(sharing) == 1:
                metrics[first_column] = values.quantile(_q(first), where=keep)
                continue
            qs = sorted({_q(m) for _, m, _ in sharing})
            shared = f"__quantiles_{n}"
            metrics[shared] = values.quantile(qs, where=keep)
            picks.update({c: (shared, qs.index(_q(m))) for c, m, _ in sharing})
        by = {dim: rows[column] for dim, column in keys.items()}
        aggregate = rows.group_by(**by, period_start=period).aggregate(**metrics)
        if not picks:
            return aggregate
        return aggregate.mutate(
            **{column: aggregate[shared][i] for column, (shared, i) in picks.items()}
        ).drop(*{shared for shared, _ in picks.values()})

    def _bound(self, period: Period, time_type: dt.DataType, *, start: bool) -> ir.Value:
        if time_type.is_date():
            return ibis.literal(period.start if start else period.local_to, dt.date)
        instant = period.utc_from if start else period.utc_to
        tz = getattr(time_type, "timezone", None)
        if tz:
            return ibis.literal(instant.replace(tzinfo=UTC), dt.Timestamp(timezone="UTC"))
        return ibis.literal(instant, dt.timestamp)

    def _operands(
        self, table: ir.Table, schema: Any, measure: Measure, where_path: str
    ) -> tuple[ir.Column | None, ir.BooleanValue | None] | None:
        """The measure's column (None for a count) and its filter; None when either is wrong."""
        conditions = [
            self._condition(table, schema, flt, f"{where_path}.where[{i}]")
            for i, flt in enumerate(measure.where)
        ]
        if any(c is None for c in conditions):
            return None
        where = ibis.and_(*conditions) if conditions else None
        if measure.agg == "count":
            return None, where
        assert measure.column is not None
        if measure.column not in schema:
            self._unknown_column(f"{where_path}.column", measure.column, schema)
            return None
        if measure.agg in {"sum", "avg", *QUANTILE_AGGS} and not schema[measure.column].is_numeric():
            self._problem(
                f"{where_path}.column",
                N_("{path}: {agg} needs a numeric column, but {column} holds {type}; name a numeric column."),
                agg=measure.agg,
                column=measure.column,
                type=str(schema[measure.column]),
            )
            return None
        return table[measure.column], where

    def _measure(self, table: ir.Table, schema: Any, measure: Measure, where_path: str) -> ir.Value | None:
        operands = self._operands(table, schema, measure, where_path)
        if operands is None:
            return None
        col, where = operands
        if col is None:
            return table.count(where=where)
        if measure.agg == "count_distinct":
            return col.nunique(where=where)
        if measure.agg == "sum":
            return col.sum(where=where)
        if measure.agg == "avg":
            return col.mean(where=where)
        if measure.agg == "min":
            return col.min(where=where)
        if measure.agg == "max":
            return col.max(where=where)
        return col.quantile(_q(measure), where=where)

    def _condition(self, table: ir.Table, schema: Any, flt: Filter, path: str) -> ir.BooleanValue | None:
        return condition(table, schema, flt, path, self._problem)

    def _unknown_column(self, path: str, column: str, schema: Any) -> None:
        unknown_column(path, column, schema, self._problem)

    # -- join and metrics ------------------------------------------------------------------
    def _join(self, aggregates: Sequence[ir.Table]) -> ir.Table:
        keys = [*self.request.dimensions, "period_start"]
        joined = aggregates[0]
        for right in aggregates[1:]:
            renamed = right.rename({f"__r_{k}": k for k in keys})
            predicates = [joined[k].identical_to(renamed[f"__r_{k}"]) for k in keys]
            j = joined.outer_join(renamed, predicates)
            # a relation of its own: Ibis folds a selection over a join into the join chain, and
            # the next join's predicates on the coalesced keys would then belong to no parent
            # (IntegrityError from the third source on)
            joined = j.select(
                *[ibis.coalesce(j[k], j[f"__r_{k}"]).name(k) for k in keys],
                *[c for c in j.columns if c not in keys and not c.startswith("__r_")],
            ).view()
        return joined

    def _metrics(self, joined: ir.Table, *, null_parts: bool) -> ir.Table:
        spec = self.spec
        cols: dict[str, ir.Value] = {}
        null = ibis.null(dt.float64)
        nulls: set[str] = set()  # the columns that are null whatever the data

        def col(name: str) -> ir.Value:
            return joined[self.aliases.get(name, name)]

        def f(name: str) -> ir.NumericValue:
            return col(name).cast(dt.float64)

        def count(name: str) -> ir.NumericValue:
            # no rows in a period means a count of zero, not an unknown count
            return col(name).fill_null(0).cast(dt.float64)

        for name in self.needed:
            metric, c = spec.metrics[name], self.metric_columns[name]
            if isinstance(metric, SimpleMetric):
                measure = spec.measures[metric.measure]
                value = count(f"{c}_a") if measure.agg in {"count", "count_distinct"} else f(f"{c}_a")
                cols.update({f"{c}_value": value, f"{c}_num": null, f"{c}_den": null})
                nulls |= {f"{c}_num", f"{c}_den"}
            elif isinstance(metric, RatioMetric):
                num = self._additive(col(f"{c}_a"), spec.measures[metric.numerator])
                den = self._additive(col(f"{c}_b"), spec.measures[metric.denominator])
                cols[f"{c}_num"], cols[f"{c}_den"] = num, den
                cols[f"{c}_value"] = num / den.nullif(0) * metric.scale
            elif isinstance(metric, NpsMetric):
                num = count(f"{c}_a") - count(f"{c}_c")
                den = count(f"{c}_b")
                cols.update({f"{c}_num": num, f"{c}_den": den, f"{c}_value": num / den.nullif(0) * 100})
            elif isinstance(metric, CsatMetric):
                num, den = count(f"{c}_a"), count(f"{c}_b")
                cols.update({f"{c}_num": num, f"{c}_den": den, f"{c}_value": num / den.nullif(0) * 100})
        for name in self.needed:
            metric, c = spec.metrics[name], self.metric_columns[name]
            if isinstance(metric, DerivedMetric):
                tree = spec.formula(name).tree
                cols[f"{c}_value"] = _translate(
                    tree,
                    {
                        n: cols[f"{self.metric_columns[n]}_value"]
                        for n in self.needed
                        if f"{self.metric_columns[n]}_value" in cols
                    },
                )
                cols[f"{c}_num"], cols[f"{c}_den"] = null, null
                nulls |= {f"{c}_num", f"{c}_den"}
        keys = [*self.request.dimensions, "period_start"]
        if not null_parts:
            cols = {name: value for name, value in cols.items() if name not in nulls}
        return joined.select(*keys, **cols)

    @staticmethod
    def _additive(value: ir.Value, measure: Measure) -> ir.NumericValue:
        if measure.agg == "count":
            value = value.fill_null(0)
        return value.cast(dt.float64)


def _translate(node: ast.expr, columns: dict[str, ir.Value]) -> ir.NumericValue:
    """The checked formula tree (northstar.metrics.formula) as column arithmetic; nulls propagate."""
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)
        return ibis.literal(float(node.value), dt.float64)
    if isinstance(node, ast.Name):
        return columns[node.id]
    if isinstance(node, ast.UnaryOp):
        inner = _translate(node.operand, columns)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp):
        left, right = _translate(node.left, columns), _translate(node.right, columns)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right.nullif(0)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
        args = [_translate(a, columns) for a in node.args]
        if node.func.id == "abs":
            return args[0].abs()
        combined = ibis.least(*args) if node.func.id == "min" else ibis.greatest(*args)
        any_null = ibis.or_(*[a.isnull() for a in args])
        return ibis.ifelse(any_null, ibis.null(dt.float64), combined)
    raise ValueError(f"formula node {type(node).__name__} is not allowed")
