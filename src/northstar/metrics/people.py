"""How many people a figure rests on, so that no aggregate reveals one person's figure.

A department's, a customer's or the company's figure is an aggregate, and an aggregate of one
person is that person's figure. Beside every set of rows a metric counts (a measure's source
and filter), the spec gains a metric counting those rows; asked by the figure's own dimensions
plus the owner, it tells which owners have rows in each slice and period (``tally``). A figure
rests on at least as many people as the largest of its counts, which is the number a scope
rule may trust ("at least three people"). A source without an owner dimension gives no count.
Counting per owner and then owners per slice costs two cheap grouped counts, where a distinct
count beside every measure would push the engine onto its slow path for the whole query.
Pure: a spec in, a spec out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from northstar.metrics.spec import (
    CsatMetric,
    Filter,
    Measure,
    MetricSpec,
    NpsMetric,
    RatioMetric,
    SimpleMetric,
)

#: the prefix of the metrics added by ``with_people``; a spec's own names never start with it
PREFIX = "__people__"


def with_people(spec: MetricSpec, metrics: Iterable[str]) -> tuple[MetricSpec, dict[str, list[str] | None]]:
    """The spec with a row count beside every set of rows ``metrics`` read, and for each metric the
    names of its counts (None when a source it reads has no owner dimension)."""
    measures = dict(spec.measures)
    added = dict(spec.metrics)
    out: dict[str, list[str] | None] = {}
    for metric in metrics:
        bases = _bases(spec, metric, set())
        if any("owner" not in spec.sources[source].dimensions for source, _ in bases):
            out[metric] = None
            continue
        names = set()
        for source, where in bases:
            # one count per (source, filter): measures that count the same rows share it
            signature = json.dumps([source, [w.model_dump(mode="json") for w in where]], sort_keys=True)
            name = PREFIX + hashlib.sha256(signature.encode()).hexdigest()[:12]
            if name not in measures:
                measures[name] = Measure(source=source, agg="count", where=list(where))
                added[name] = SimpleMetric(type="simple", measure=name)
            names.add(name)
        out[metric] = sorted(names)
    return spec.model_copy(update={"measures": measures, "metrics": added}), out


def tally(table: pa.Table, dimensions: Sequence[str]) -> dict[tuple[Any, ...], int]:
    """From the counts by (dimensions…, owner, period), long as the engine returns them:
    (dimension values…, period start, count metric) → how many owners have rows there."""
    kept = table.filter(pc.and_(pc.greater(table["value"], 0), pc.is_valid(table["owner"])))
    keys = [*dimensions, "period_start", "metric"]
    grouped = kept.group_by(keys).aggregate([("owner", "count")])
    columns = [grouped[k].to_pylist() for k in keys]
    return dict(zip(zip(*columns, strict=True), grouped["owner_count"].to_pylist(), strict=True))


def people(counts: Sequence[float | int | None] | None) -> int | None:
    """The people a figure rests on at least, from its counts (a count missing from the tally is
    0 owners); None when unknown."""
    if counts is None:
        return None
    return int(max((c or 0 for c in counts), default=0))


def _bases(spec: MetricSpec, name: str, seen: set[str]) -> list[tuple[str, list[Filter]]]:
    """(source, filter) of every set of rows the metric counts."""
    if name in seen:
        return []
    seen.add(name)
    metric = spec.metrics[name]
    if isinstance(metric, SimpleMetric):
        parts = [metric.measure]
    elif isinstance(metric, RatioMetric):
        parts = [metric.numerator, metric.denominator]
    elif isinstance(metric, NpsMetric | CsatMetric):
        return [(metric.source, [Filter(column=metric.column, op="not_null")])]
    else:
        return [b for dep in spec.formula(name).measures for b in _bases(spec, dep, seen)]
    return [(spec.measures[m].source, spec.measures[m].where) for m in parts]
