"""Batch computation of actuals (S7.2, S7.3): every bound assignment × owner scope × period.

One engine connection per run, with each source's current snapshot as a table; one compute
request per scope kind (person by owner, department subtrees by grouped departments, the
company, customers, projects) holding every metric that kind needs, so each source is
aggregated once per kind — never a query per person or period. Each stored value carries its
lineage: the metric, the spec version hash, the snapshot of every source read, and the row
filter that lists the rows it counted. An assignment that cannot be computed (its source was
never loaded, or does not declare the owner dimension) is recorded as a gap with its reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.config import Settings
from northstar.customers.models import Customer, Segment
from northstar.data.models import ComputeRun, DataSource, MetricActual, MetricBinding
from northstar.data.registry import DATA_ROLES, current_snapshots, snapshot_paths
from northstar.data.specs import require_spec
from northstar.db import utcnow
from northstar.errors import N_, ValidationFailed
from northstar.metrics.compiler import MetricRequest, compute, periods
from northstar.metrics.engines import connect, load_parquet
from northstar.metrics.lineage import row_filters
from northstar.metrics.people import people, tally, with_people
from northstar.metrics.spec import Grain, MetricSpec
from northstar.org.models import Department, Employee
from northstar.pools.models import KpiCandidate
from northstar.scorecards.models import PersonalScorecard, ScorecardItem, TeamIndicator
from northstar.security.principal import Principal
from northstar.strategy.models import ObjectiveIndicator

#: scope kind → the spec dimensions that slice it (company: none)
SCOPE_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "person": ("owner",),
    "department": ("department",),
    "company": (),
    "customer": ("customer",),
    "project": ("project",),
    # a segment is a group of customers: the rows of all its customers count towards it
    "segment": ("customer",),
    # a department subtree among one customer's rows: how that customer sees the department
    "dept_customer": ("department", "customer"),
}
#: kinds computed for every value the data holds rather than per assignment: a slice the data
#: does not offer is not an assignment left uncovered, so they never record gaps
SLICE_KINDS = ("customer", "project", "segment", "dept_customer")
#: the order of a run's steps
KINDS = ("person", "department", "company", *SLICE_KINDS)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Owner:
    kind: str
    key: str
    employee_id: int | None = None
    department_id: int | None = None


@dataclass
class Plan:
    """What a run must compute: card → metric, and per scope kind the owners of each card."""

    metric_of: dict[int, str]
    card_code: dict[int, str]
    owners: dict[str, dict[int, set[Owner]]] = field(default_factory=lambda: defaultdict(dict))


def plan_assignments(db: Session) -> Plan:
    """Every bound card's assignments: personal items, department pools and teams, the company."""
    bound = list(db.scalars(select(MetricBinding)))
    plan = Plan({b.card_id: b.metric for b in bound}, {b.card_id: b.card.code for b in bound})
    if not bound:
        return plan
    cards = list(plan.metric_of)

    def add(kind: str, card_id: int, owner: Owner) -> None:
        plan.owners[kind].setdefault(card_id, set()).add(owner)

    people = db.execute(
        select(ScorecardItem.card_id, Employee.id, Employee.number)
        .join(PersonalScorecard, PersonalScorecard.id == ScorecardItem.scorecard_id)
        .join(Employee, Employee.id == PersonalScorecard.employee_id)
        .where(ScorecardItem.card_id.in_(cards))
        .distinct()
    )
    for card_id, employee_id, number in people:
        add("person", card_id, Owner("person", number, employee_id=employee_id))
    # a pool's observed indicators are watched too (the department dashboard shows them), so
    # they are computed like the core set
    departments: list[Any] = list(
        db.execute(
            select(KpiCandidate.card_id, Department.id, Department.code)
            .join(Department, Department.id == KpiCandidate.department_id)
            .where(KpiCandidate.card_id.in_(cards))
        )
    )
    departments += db.execute(
        select(TeamIndicator.card_id, Department.id, Department.code)
        .join(Department, Department.id == TeamIndicator.department_id)
        .where(TeamIndicator.card_id.in_(cards))
    ).all()
    for card_id, department_id, code in departments:
        add("department", card_id, Owner("department", code, department_id=department_id))
    for (card_id,) in db.execute(
        select(ObjectiveIndicator.card_id).where(ObjectiveIndicator.card_id.in_(cards)).distinct()
    ):
        add("company", card_id, Owner("company", ""))
    return plan


def subtrees(db: Session) -> dict[str, list[str]]:
    """Department code → the codes of it and every department below it."""
    rows = db.execute(select(Department.id, Department.code, Department.parent_id)).all()
    children: dict[int | None, list[int]] = defaultdict(list)
    code = {}
    for dept_id, dept_code, parent in rows:
        children[parent].append(dept_id)
        code[dept_id] = dept_code
    out: dict[str, list[str]] = {}
    for dept_id in code:
        stack, members = [dept_id], []
        while stack:
            current = stack.pop()
            members.append(code[current])
            stack.extend(children[current])
        out[code[dept_id]] = sorted(members)
    return out


def compute_actuals(
    db: Session,
    principal: Principal,
    settings: Settings,
    *,
    start: date,
    end: date,
    grain: Grain = "month",
    progress: Progress | None = None,
) -> ComputeRun:
    """Compute and store the actuals of every bound assignment for the whole periods of [start, end)."""
    principal.require(*DATA_ROLES)
    report = progress or (lambda step, done, total: None)
    in_force = require_spec(db)
    spec = in_force.spec
    if end <= start:
        raise ValidationFailed(N_("end: the end date must come after the start date."), field="end")
    if grain not in spec.grains:
        raise ValidationFailed(
            N_("grain: the spec does not offer the grain {grain}; use one of: {known}."),
            grain=grain,
            known=", ".join(spec.grains),
            field="grain",
        )
    plan = plan_assignments(db)
    if not plan.metric_of:
        raise ValidationFailed(
            N_(
                "No indicator card is bound to a metric yet; bind cards on the Data page or with: northstar metrics bind."
            )
        )
    covered = periods(grain, start, end, spec.timezone)
    run = ComputeRun(
        grain=grain,
        start=covered[0].start,
        end=covered[-1].local_to,
        engine=settings.metrics_engine,
        spec_id=in_force.version.id,
        spec_hash=in_force.version.content_hash,
        started_by=principal.username,
    )
    db.add(run)
    db.flush()
    gaps: list[dict[str, Any]] = []
    kinds = [k for k in KINDS if k in SLICE_KINDS or plan.owners.get(k)]
    total = 2 + len(kinds)
    report("sources", 0, total)

    # sources: the current snapshot of each one the bound metrics read
    registered = {s.code: s for s in db.scalars(select(DataSource))}
    snapshots = current_snapshots(db)
    con = connect(settings.metrics_engine)
    loaded: dict[str, int] = {}  # spec source name → snapshot id
    missing: dict[str, str] = {}  # spec source name → why it cannot be read
    needed_sources = set().union(*(spec.metric_sources(m) for m in set(plan.metric_of.values())))
    for name in sorted(needed_sources):
        code = spec.sources[name].table or name
        source = registered.get(code)
        snapshot = snapshots.get(source.id) if source else None
        if source is None or snapshot is None:
            missing[name] = code
            continue
        load_parquet(con, code, snapshot_paths(settings, snapshot))
        loaded[name] = snapshot.id
    run.snapshots = dict(loaded)
    report("sources", 1, total)

    def readable(metric: str) -> str | None:
        unread = sorted(missing[s] for s in spec.metric_sources(metric) if s in missing)
        return ", ".join(unread) if unread else None

    rows: list[dict[str, Any]] = []
    tree = subtrees(db)
    # beside each metric, how many people its rows come from (the scope rules' "aggregate of one")
    counted_spec, counts_of = with_people(spec, set(plan.metric_of.values()))
    for step, kind in enumerate(kinds, start=2):
        report(kind, step, total)
        dimensions = SCOPE_DIMENSIONS[kind]
        wanted = _wanted(db, plan, kind)
        metrics: dict[str, list[int]] = defaultdict(list)  # metric → cards
        for card in wanted:
            metric = plan.metric_of[card]
            unread = readable(metric)
            declares = all(
                d in spec.sources[s].dimensions for s in spec.metric_sources(metric) for d in dimensions
            )
            if unread is None and declares:
                metrics[metric].append(card)
                continue
            if kind in SLICE_KINDS:
                continue
            for assigned in plan.owners[kind].get(card, ()):
                gaps.append(
                    {
                        "card": plan.card_code[card],
                        "metric": metric,
                        "scope_kind": kind,
                        "scope_key": assigned.key,
                        "reason": "not_loaded" if unread else "no_dimension",
                        "detail": unread or ", ".join(dimensions),
                    }
                )
        if not metrics:
            continue
        groups = _groups(db, kind, wanted, tree)
        if kind == "segment" and not groups["customer"]:
            continue  # no customer belongs to a segment
        request = MetricRequest(
            metrics=sorted(metrics),
            dimensions=list(dimensions),
            grain=grain,
            start=start,
            end=end,
            groups=groups,
        )
        results = _results(con, spec, request, gaps, plan, kind)
        # how many people each slice rests on: the rows counted by owner, then owners counted
        # (a person's figure rests on that person: no count needed)
        counts = [] if kind == "person" else sorted({c for m in metrics for c in counts_of.get(m) or []})
        found: dict[tuple[Any, ...], int] = {}
        if counts:
            by_owner = request.model_copy(update={"metrics": counts, "dimensions": [*dimensions, "owner"]})
            found = tally(compute(con, counted_spec, by_owner), dimensions)
        for result in results:
            metric = result["metric"]
            slice_key = (*(result[d] for d in dimensions), result["period_start"])
            names = counts_of.get(metric)
            if kind == "person":
                result["people"] = 1 if result["value"] is not None else 0
            else:
                result["people"] = people(
                    None if names is None else [found.get((*slice_key, n)) for n in names]
                )
            for card in metrics[metric]:
                owner = _owner(kind, result, wanted[card])
                if owner is None:
                    continue  # a slice nobody holds this card for
                if result["value"] is None and owner not in plan.owners.get(kind, {}).get(card, ()):
                    continue  # a slice is kept only where the data gives it a value
                rows.append(
                    _actual_row(spec, run, grain, card, metric, owner, result, dimensions, groups, loaded)
                )
    report("store", total - 1, total)
    cards = list(plan.metric_of)
    db.execute(
        delete(MetricActual).where(
            MetricActual.card_id.in_(cards),
            MetricActual.grain == grain,
            MetricActual.period_start >= run.start,
            MetricActual.period_start < run.end,
        )
    )
    for chunk in _chunks(rows, 2000):
        db.execute(insert(MetricActual), chunk)
    run.actuals = len(rows)
    run.gaps = gaps
    run.finished_at = utcnow()
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="compute",
        entity="compute_run",
        entity_id=run.id,
        changes={"actuals": (None, len(rows)), "gaps": (None, len(gaps))},
    )
    report("done", total, total)
    return run


def _results(
    con: Any, spec: MetricSpec, request: MetricRequest, gaps: list[dict[str, Any]], plan: Plan, kind: str
) -> list[dict[str, Any]]:
    """The rows of one request; when it fails, each metric alone, so one bad metric costs only itself."""
    try:
        return compute(con, spec, request).to_pylist()
    except ValidationFailed:
        if len(request.metrics) == 1:
            raise
    out: list[dict[str, Any]] = []
    for metric in request.metrics:
        try:
            out += compute(con, spec, request.model_copy(update={"metrics": [metric]})).to_pylist()
        except ValidationFailed as exc:
            for card, code in plan.card_code.items():
                if plan.metric_of[card] == metric:
                    gaps.append(
                        {
                            "card": code,
                            "metric": metric,
                            "scope_kind": kind,
                            "scope_key": "*",
                            "reason": "invalid",
                            "detail": "; ".join(p.message.format(**p.params) for p in exc.problems)
                            or str(exc),
                        }
                    )
    return out


def _wanted(db: Session, plan: Plan, kind: str) -> dict[int, set[Owner]]:
    """Card → the owners a kind computes it for; empty for kinds sliced by every value in the data.

    Department figures go beyond the pools' assignments for the enterprise scorecard's cards:
    every department's subtree gets one, so that an enterprise indicator can be sliced by
    department (S7.2). Those extra owners are slices, never gaps."""
    if kind in ("customer", "project", "segment"):
        return {card: set() for card in plan.metric_of}
    if kind == "dept_customer":
        return dict(plan.owners.get("department", {}))
    wanted = {card: set(owners) for card, owners in plan.owners.get(kind, {}).items()}
    if kind == "department" and plan.owners.get("company"):
        everyone = {
            Owner("department", code, department_id=i)
            for i, code in db.execute(select(Department.id, Department.code))
        }
        for card in plan.owners["company"]:
            wanted.setdefault(card, set()).update(everyone)
    return wanted


def _groups(
    db: Session, kind: str, wanted: dict[int, set[Owner]], tree: dict[str, list[str]]
) -> dict[str, dict[str, list[str]]]:
    """The request's groups: department subtrees, or the customers of each segment."""
    if kind in ("department", "dept_customer"):
        return {"department": {o.key: tree.get(o.key, [o.key]) for os in wanted.values() for o in os}}
    if kind == "segment":
        members: dict[str, list[str]] = defaultdict(list)
        for segment, customer in db.execute(
            select(Segment.code, Customer.code)
            .join(Segment, Segment.id == Customer.segment_id)
            .order_by(Customer.code)
        ):
            members[segment].append(customer)
        return {"customer": dict(members)}
    return {}


def _owner(kind: str, result: dict[str, Any], owners: set[Owner]) -> Owner | None:
    """Whose figure one result row is, or None when nobody holds the card for that slice."""
    if kind in ("customer", "project", "segment"):
        key = result[SCOPE_DIMENSIONS[kind][0]]
        return None if key is None else Owner(kind, str(key))
    if kind == "dept_customer":
        department, customer = result["department"], result["customer"]
        found = next((o for o in owners if o.key == department), None)
        if found is None or customer is None:
            return None
        return Owner(kind, f"{department}/{customer}", department_id=found.department_id)
    dimensions = SCOPE_DIMENSIONS[kind]
    key = "" if not dimensions or result[dimensions[0]] is None else str(result[dimensions[0]])
    return next((o for o in owners if o.key == key), None)


def _actual_row(
    spec: MetricSpec,
    run: ComputeRun,
    grain: Grain,
    card: int,
    metric: str,
    owner: Owner,
    result: dict[str, Any],
    dimensions: tuple[str, ...],
    groups: dict[str, dict[str, list[str]]],
    loaded: dict[str, int],
) -> dict[str, Any]:
    # the slice's row filter: a group's members where the dimension is grouped, else the value
    slice_: dict[str, Any] = {}
    for d in dimensions:
        value = result[d]
        slice_[d] = groups[d].get(value, [value]) if d in groups else value
    return {
        "card_id": card,
        "metric": metric,
        "scope_kind": owner.kind,
        "scope_key": owner.key,
        "employee_id": owner.employee_id,
        "department_id": owner.department_id,
        "grain": grain,
        "period_start": result["period_start"],
        "value": _decimal(result["value"]),
        "numerator": _decimal(result["numerator"]),
        "denominator": _decimal(result["denominator"]),
        "people": result["people"],
        "run_id": run.id,
        "spec_hash": run.spec_hash,
        "snapshots": {s: loaded[s] for s in sorted(spec.metric_sources(metric))},
        "row_filter": row_filters(
            spec, metric, grain=grain, period_start=result["period_start"], dimensions=slice_
        ),
        "computed_at": utcnow(),
    }


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN: no value
        return None
    return round(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), 6)


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def latest_runs(db: Session, limit: int = 10) -> list[ComputeRun]:
    """The newest compute runs."""
    return list(db.scalars(select(ComputeRun).order_by(ComputeRun.id.desc()).limit(limit)))


def month_range(first: date, last: date) -> tuple[date, date]:
    """[first day of ``first``'s month, first day after ``last``'s month): whole months."""
    start = first.replace(day=1)
    after = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, after
