"""The metric spec: sources, measures with structured filters, metrics, grains and a time zone.

Metrics as code (DESIGN.md, "Metrics engine"): a YAML or JSON document validated here in two
passes: Pydantic checks the shape, ``spec_problems`` checks the meaning (references between
sections, filter operators and their values, ratios across sources, derived formulas and their
cycles). Every problem names its path in the document (``measures.closed.where[0].value``) and
the fix. Column names are checked against the real source schemas later, by the compiler.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from northstar import yamlio
from northstar.errors import N_, Problem, ValidationFailed
from northstar.metrics.formula import Formula, FormulaError, parse

Agg = Literal["count", "count_distinct", "sum", "avg", "min", "max", "median", "percentile"]
Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "is_null", "not_null", "between"]
Grain = Literal["week", "month", "quarter", "year"]
Direction = Literal["higher_is_better", "lower_is_better", "target_is_best"]

GRAINS: tuple[Grain, ...] = ("week", "month", "quarter", "year")
#: aggregations that can be summed again, so that roll-ups recompute a ratio from its parts
ADDITIVE: frozenset[str] = frozenset({"count", "sum"})
_NO_VALUE = frozenset({"is_null", "not_null"})
_LIST_VALUE = frozenset({"in", "not_in"})

Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Filter(_Strict):
    """One condition on a source column; conditions of a measure are combined with AND."""

    column: str = Field(min_length=1)
    op: Op
    value: Scalar | list[Scalar] | None = None


class Source(_Strict):
    """A file (CSV or Parquet) or a table of the engine's connection."""

    file: str | None = None
    table: str | None = None
    time_column: str = Field(min_length=1)
    #: logical dimension (customer, project, department, owner or any declared) → column
    dimensions: dict[str, str] = Field(default_factory=dict)
    #: the columns that identify one row (used to check duplicates and to list source rows)
    key: list[str] = Field(default_factory=list)


class Measure(_Strict):
    source: str
    agg: Agg
    column: str | None = None
    #: the quantile for ``percentile``, between 0 and 1 (0.9 = 90th percentile)
    q: float | None = None
    where: list[Filter] = Field(default_factory=list)


class _MetricBase(_Strict):
    #: what the metric is called, shown beside its name; ``label_zh`` for Chinese readers
    label: str | None = None
    label_zh: str | None = None

    def label_for(self, locale: str) -> str | None:
        """The label in the reader's language, else the one there is."""
        first, second = (
            (self.label_zh, self.label) if locale.startswith("zh") else (self.label, self.label_zh)
        )
        return first or second

    unit: str | None = None
    direction: Direction = "higher_is_better"


class SimpleMetric(_MetricBase):
    type: Literal["simple"]
    measure: str


class RatioMetric(_MetricBase):
    type: Literal["ratio"]
    numerator: str
    denominator: str
    #: multiplies sum(numerator) / sum(denominator), e.g. 100 for a percentage
    scale: float = 1


class DerivedMetric(_MetricBase):
    type: Literal["derived"]
    #: arithmetic over other metrics' names, e.g. "on_time_rate - 0.5 * complaint_rate"
    formula: str


class NpsMetric(_MetricBase):
    """Net promoter score: % of scores 9–10 minus % of scores 0–6, over answered surveys."""

    type: Literal["nps"]
    source: str
    column: str


class CsatMetric(_MetricBase):
    """Customer satisfaction: % of answers in the top two boxes (4–5 on a 5-point scale)."""

    type: Literal["csat"]
    source: str
    column: str
    scale: int = Field(default=5, ge=3, le=10)


Metric = Annotated[
    SimpleMetric | RatioMetric | DerivedMetric | NpsMetric | CsatMetric, Field(discriminator="type")
]


class MetricSpec(_Strict):
    version: str | None = None
    timezone: str = "UTC"
    grains: list[Grain] = Field(default_factory=lambda: list(GRAINS))
    sources: dict[str, Source]
    measures: dict[str, Measure] = Field(default_factory=dict)
    metrics: dict[str, Metric] = Field(default_factory=dict)

    def version_hash(self) -> str:
        """A stable hash of the spec's content: the spec version that lineage records."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def formula(self, name: str) -> Formula:
        """The parsed formula of the derived metric ``name``."""
        metric = self.metrics[name]
        assert isinstance(metric, DerivedMetric)
        return parse(metric.formula, list(self.metrics))

    def metric_sources(self, name: str) -> set[str]:
        """The sources a metric reads, through its measures and derived dependencies."""
        return _sources_of(self, name, set())


def spec_json_schema() -> dict[str, Any]:
    """The published JSON Schema of the metric spec file."""
    schema = MetricSpec.model_json_schema()
    schema["title"] = "Northstar metric spec"
    return schema


def load_spec(data: Mapping[str, Any] | str) -> MetricSpec:
    """Validate a spec (a mapping, or YAML/JSON text); raise ValidationFailed with every problem."""
    if isinstance(data, str):
        try:
            data = yamlio.load(data)
        except yaml.YAMLError as exc:
            raise ValidationFailed(
                N_("The metric spec is not valid YAML or JSON: {error}. Correct the file and load it again."),
                error=str(exc).splitlines()[0],
            ) from None
        if not isinstance(data, Mapping):
            raise ValidationFailed(
                N_("The metric spec must be a mapping with sources, measures and metrics.")
            )
    try:
        spec = MetricSpec.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                N_("{path}: {error}; correct it in the spec."),
                {"path": _path(e["loc"]), "error": e["msg"]},
                field=_path(e["loc"]),
            )
            for e in exc.errors()
        ]
        raise _failed(problems) from None
    check_spec(spec)
    return spec


def check_spec(spec: MetricSpec) -> None:
    """Raise ValidationFailed when ``spec_problems`` finds anything."""
    problems = spec_problems(spec)
    if problems:
        raise _failed(problems)


def spec_problems(spec: MetricSpec) -> list[Problem]:
    """What is wrong with a structurally valid spec, each problem naming its path and the fix."""
    out: list[Problem] = []

    def add(path: str, message: str, **params: Any) -> None:
        out.append(Problem(message, {"path": path, **params}, field=path))

    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        add(
            "timezone",
            N_('{path}: "{value}" is not a time zone; use an IANA name such as Asia/Shanghai or UTC.'),
            value=spec.timezone,
        )
    for name, source in spec.sources.items():
        if (source.file is None) == (source.table is None):
            add(f"sources.{name}", N_("{path}: give either file or table (exactly one) for the source."))
    for name, measure in spec.measures.items():
        path = f"measures.{name}"
        if measure.source not in spec.sources:
            add(
                f"{path}.source",
                N_('{path}: unknown source "{ref}"; declare it under sources or use one of: {known}.'),
                ref=measure.source,
                known=_known(spec.sources),
            )
        if measure.agg != "count" and not measure.column:
            add(
                f"{path}.column",
                N_("{path}: the aggregation {agg} needs a column; add column."),
                agg=measure.agg,
            )
        if measure.agg == "percentile" and (measure.q is None or not 0 < measure.q < 1):
            add(f"{path}.q", N_("{path}: a percentile needs q between 0 and 1 (0.9 for the 90th)."))
        if measure.agg != "percentile" and measure.q is not None:
            add(f"{path}.q", N_("{path}: q only applies to agg: percentile; remove it."))
        for i, flt in enumerate(measure.where):
            _filter_problems(flt, f"{path}.where[{i}]", add)
    for name, metric in spec.metrics.items():
        _metric_problems(spec, name, metric, add)
    if not any(p.field and p.field.endswith(".formula") for p in out):
        _cycle_problems(spec, add)
    return out


def _filter_problems(flt: Filter, path: str, add: Any) -> None:
    value = flt.value
    if flt.op in _NO_VALUE:
        if value is not None:
            add(f"{path}.value", N_("{path}: the operator {op} takes no value; remove value."), op=flt.op)
    elif value is None:
        add(f"{path}.value", N_("{path}: the operator {op} needs a value; add value."), op=flt.op)
    elif flt.op in _LIST_VALUE:
        if not isinstance(value, list) or not value:
            add(f"{path}.value", N_("{path}: the operator {op} needs a non-empty list as value."), op=flt.op)
    elif flt.op == "between":
        if not isinstance(value, list) or len(value) != 2:
            add(f"{path}.value", N_("{path}: between needs a list of two values [low, high]."))
    elif isinstance(value, list):
        add(f"{path}.value", N_("{path}: the operator {op} compares with one value, not a list."), op=flt.op)


def _metric_problems(spec: MetricSpec, name: str, metric: Any, add: Any) -> None:
    path = f"metrics.{name}"

    def measure_ref(field: str, ref: str) -> bool:
        if ref in spec.measures:
            return True
        add(
            f"{path}.{field}",
            N_('{path}: unknown measure "{ref}"; declare it under measures or use one of: {known}.'),
            ref=ref,
            known=_known(spec.measures),
        )
        return False

    if isinstance(metric, SimpleMetric):
        measure_ref("measure", metric.measure)
    elif isinstance(metric, RatioMetric):
        ok = measure_ref("numerator", metric.numerator) & measure_ref("denominator", metric.denominator)
        if not ok:
            return
        for field in ("numerator", "denominator"):
            measure = spec.measures[getattr(metric, field)]
            if measure.agg not in ADDITIVE:
                add(
                    f"{path}.{field}",
                    N_(
                        "{path}: a ratio's parts must be count or sum measures (not {agg}) so that "
                        "roll-ups recompute the ratio; use a count or sum measure."
                    ),
                    agg=measure.agg,
                )
        num = spec.measures[metric.numerator].source
        den = spec.measures[metric.denominator].source
        if num != den and num in spec.sources and den in spec.sources:
            common = set(spec.sources[num].dimensions) & set(spec.sources[den].dimensions)
            if not common:
                add(
                    path,
                    N_(
                        "{path}: the numerator's source {num} and the denominator's source {den} share "
                        "no dimension, so their values cannot be matched; declare a common dimension "
                        "(e.g. department) on both sources."
                    ),
                    num=num,
                    den=den,
                )
    elif isinstance(metric, DerivedMetric):
        try:
            formula = parse(metric.formula, list(spec.metrics))
        except FormulaError as exc:
            # the formula's own message (a catalogue key); the problem's field names the path
            add(f"{path}.formula", exc.template, **{k: v for k, v in exc.params.items() if k != "path"})
            return
        if name in formula.measures:
            add(
                f"{path}.formula", N_("{path}: the formula uses the metric itself; remove {name}."), name=name
            )
    elif isinstance(metric, NpsMetric | CsatMetric) and metric.source not in spec.sources:
        add(
            f"{path}.source",
            N_('{path}: unknown source "{ref}"; declare it under sources or use one of: {known}.'),
            ref=metric.source,
            known=_known(spec.sources),
        )


def _cycle_problems(spec: MetricSpec, add: Any) -> None:
    deps = {
        name: [d for d in spec.formula(name).measures if d != name]
        for name, m in spec.metrics.items()
        if isinstance(m, DerivedMetric)
    }
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in deps.get(name, []):
            if state.get(dep) == 1:
                cycle = [*trail[trail.index(dep) :], dep]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    add(
                        f"metrics.{dep}.formula",
                        N_(
                            "{path}: the derived metrics depend on each other in a cycle ({cycle}); "
                            "break the cycle by basing one of them on measures."
                        ),
                        cycle=" → ".join(cycle),
                    )
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[name] = 2

    for name in deps:
        if name not in state:
            visit(name, [name])


def _sources_of(spec: MetricSpec, name: str, seen: set[str]) -> set[str]:
    if name in seen:
        return set()
    seen.add(name)
    metric = spec.metrics[name]
    if isinstance(metric, SimpleMetric):
        return {spec.measures[metric.measure].source}
    if isinstance(metric, RatioMetric):
        return {spec.measures[metric.numerator].source, spec.measures[metric.denominator].source}
    if isinstance(metric, NpsMetric | CsatMetric):
        return {metric.source}
    out: set[str] = set()
    for dep in spec.formula(name).measures:
        out |= _sources_of(spec, dep, seen)
    return out


def _known(names: Mapping[str, Any]) -> str:
    return ", ".join(names) or "—"


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "spec"


def _failed(problems: list[Problem]) -> ValidationFailed:
    return ValidationFailed(
        N_("The metric spec has {count} problem(s); each names its place and the fix."),
        problems=problems,
        count=len(problems),
    )
