"""The department dashboard (S5, S7.2, S9.2 "Check"): its core and observed indicators scored on
its subtree's figures, how its customers see it (internal ones included: its figures among each
customer's rows), the shared indicators it holds with other departments, its sub-departments,
and its members' score distribution in the performance cycle of the period.

Who opens which: HR, executives, admin and auditors any department; a manager the departments of
their own subtree; an employee their own department. Figures are read through the viewer's scope,
so an employee sees a department figure only when at least three people's rows make it
(``data.actuals``); members' scores are shown only to those who may see each member.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from northstar.customers.models import Customer, DepartmentCustomer
from northstar.cycles import scores as cycle_scores
from northstar.cycles import service as cycles
from northstar.cycles.models import Cycle, CycleParticipant, CycleState
from northstar.cycles.scores import UnitSheet
from northstar.dashboards.figures import Figure, TrendPoint, by_card, figures, scored, trends
from northstar.dashboards.periods import Period
from northstar.errors import N_, Forbidden, NotFound
from northstar.indicators.models import IndicatorCard
from northstar.journey.models import SharedIndicator, SharedIndicatorShare
from northstar.org.models import Department, Employee
from northstar.pools.models import KpiCandidate
from northstar.scoring.rules import DEFAULT_GRADES, GradeTable
from northstar.security import scope
from northstar.security.models import Role
from northstar.security.principal import ALL_SCOPE_ROLES, Principal


@dataclass(frozen=True)
class PoolLine:
    candidate: KpiCandidate
    figure: Figure
    trend: list[TrendPoint]


@dataclass(frozen=True)
class CustomerView:
    """One customer of the department: declared (S1.3) or found in its data only."""

    code: str
    customer: Customer | None
    declared: bool
    #: card id → the department's figure among this customer's rows
    figures: dict[int, Figure]


@dataclass(frozen=True)
class SharedView:
    shared: SharedIndicator
    share: Decimal
    partners: list[tuple[Department, Decimal]]
    #: the shared indicator's figure for the company and for this department (subtree)
    company: Figure | None
    mine: Figure | None


@dataclass(frozen=True)
class MemberScore:
    participant: CycleParticipant
    total: Decimal | None
    grade: str | None


@dataclass(frozen=True)
class Members:
    """The members' results in the cycle of the period."""

    cycle: Cycle
    grades: GradeTable
    scores: list[MemberScore]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def scored(self) -> int:
        return sum(1 for s in self.scores if s.total is not None)


@dataclass(frozen=True)
class DepartmentDashboard:
    department: Department
    period: Period
    sheet: UnitSheet | None
    core: list[PoolLine]
    observed: list[PoolLine]
    customers: list[CustomerView]
    #: the cards shown per customer, in pool order
    customer_cards: list[IndicatorCard]
    shared: list[SharedView]
    children: list[UnitSheet]
    #: None when there is no cycle for the period, or the viewer may not see members' scores
    members: Members | None
    can_see_members: bool
    people: int


def openable_ids(db: Session, principal: Principal) -> set[int] | None:
    """The departments whose dashboards ``principal`` may open; None for all of them."""
    if principal.role in ALL_SCOPE_ROLES:
        return None
    own = db.scalar(select(Employee.department_id).where(Employee.id == principal.employee_id))
    if own is None:
        return set()
    if principal.role is Role.manager:
        return subtree_ids(db, own)
    return {own} if principal.role is Role.employee else set()


def viewable(db: Session, code: str, allowed: set[int] | None) -> Department:
    """The department whose dashboard is asked for, if it is among ``allowed`` (``openable_ids``)."""
    department = db.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise NotFound(N_("There is no department {code}."), code=code)
    if allowed is None or department.id in allowed:
        return department
    raise Forbidden(
        N_(
            "You may open the dashboards of your own department and, as a manager, of the departments below it."
        )
    )


def home_department(db: Session, principal: Principal) -> Department | None:
    """The department a viewer's dashboard link goes to: their own, else the top of the tree."""
    if principal.employee_id is not None:
        own = db.scalar(select(Employee.department_id).where(Employee.id == principal.employee_id))
        if own is not None:
            return db.get(Department, own)
    return db.scalar(select(Department).where(Department.parent_id.is_(None)).order_by(Department.code))


def subtree_ids(db: Session, department_id: int) -> set[int]:
    """The department and every department below it."""
    return set(db.scalars(scope.department_subtree([department_id], "dashboard_tree")))


def cycle_of(db: Session, period: Period, department_id: int | None = None) -> Cycle | None:
    """The performance cycle of the period (the company's, else a pilot covering the department)."""
    if period.grain not in ("quarter", "month", "year"):
        return None
    found = list(
        db.scalars(
            select(Cycle).where(
                Cycle.kind == period.grain,
                Cycle.start == period.start,
                Cycle.state.not_in((CycleState.draft, CycleState.planning)),
            )
        )
    )
    for c in found:
        if c.department_id is None:
            return c
    if department_id is None:
        return None
    return next(
        (
            c
            for c in found
            if c.department_id is not None and department_id in cycles._subtree_ids(db, c.department_id)
        ),
        None,
    )


def _members(db: Session, cycle: Cycle, tree: set[int]) -> Members:
    participants = list(
        db.scalars(
            select(CycleParticipant).where(
                CycleParticipant.cycle_id == cycle.id, CycleParticipant.department_id.in_(tree)
            )
        ).unique()
    )
    reviews = cycle_scores.reviews_by_participant(db, [p.id for p in participants])
    stored = all(reviews.get(p.id) is not None and reviews[p.id].score_status for p in participants)
    out: list[MemberScore] = []
    if stored:
        # scored once at calibration; the calibrated grade is the one that stands
        for p in participants:
            r = reviews[p.id]
            out.append(MemberScore(p, r.score, r.final_grade or r.grade))
    else:
        sheets = cycle_scores.sheets(db, cycle, participants)
        for p in participants:
            s = sheets.get(p.id)
            result = s.result if s is not None else None
            out.append(MemberScore(p, result.total if result else None, result.grade if result else None))
    grades = cycles.grades_of(cycle)
    counted = Counter(s.grade for s in out if s.grade)
    counts = {g.code: counted.get(g.code, 0) for g in grades.grades}
    out.sort(key=lambda s: (s.total is None, -(s.total or 0), s.participant.employee.number))
    return Members(cycle, grades, out, counts)


def department_dashboard(
    db: Session, principal: Principal, visible: ColumnElement[bool], department: Department, period: Period
) -> DepartmentDashboard:
    """The dashboard of ``department`` for ``period``, from the figures the viewer may see."""
    tree = subtree_ids(db, department.id)
    candidates = list(
        db.scalars(
            select(KpiCandidate)
            .where(KpiCandidate.department_id == department.id, KpiCandidate.card_id.is_not(None))
            .order_by(KpiCandidate.core.desc(), KpiCandidate.tier, KpiCandidate.id)
        ).unique()
    )
    card_ids = {c.card_id for c in candidates if c.card_id is not None}
    mine = by_card(
        db, visible, scope_kind="department", period=period, card_ids=card_ids, scope_key=department.code
    )
    trend = trends(
        db, visible, scope_kind="department", card_ids=card_ids, until=period.end, scope_key=department.code
    )
    lines = [
        PoolLine(c, scored(c.card, mine.get(c.card.id)), trend.get(c.card.id, []))
        for c in candidates
        if c.card is not None
    ]
    grades = cycles.grades_of(cycle) if (cycle := cycle_of(db, period, department.id)) else None
    sheets = cycle_scores.department_sheets_for(
        db,
        grain=period.grain,
        start=period.start,
        grades=grades or DEFAULT_GRADES,
        department_ids=tree,
        visible=visible,
    )
    sheet = next((s for s in sheets if s.department is not None and s.department.id == department.id), None)
    children = [s for s in sheets if s.department is not None and s.department.parent_id == department.id]
    customers, customer_cards = _customers(
        db, visible, department, period, [line.candidate for line in lines]
    )
    can_see_members = principal.role in ALL_SCOPE_ROLES or principal.role is Role.manager
    members = _members(db, cycle, tree) if cycle is not None and can_see_members else None
    people = db.scalar(
        select(func.count())
        .select_from(Employee)
        .where(Employee.department_id.in_(tree), Employee.end_date.is_(None))
    )
    return DepartmentDashboard(
        department,
        period,
        sheet,
        [line for line in lines if line.candidate.core],
        [line for line in lines if not line.candidate.core],
        customers,
        customer_cards,
        _shared(db, visible, department, period),
        children,
        members,
        can_see_members,
        people or 0,
    )


def _customers(
    db: Session,
    visible: ColumnElement[bool],
    department: Department,
    period: Period,
    candidates: list[KpiCandidate],
) -> tuple[list[CustomerView], list[IndicatorCard]]:
    """Each customer the department declares or its data names, with its figures among that
    customer's rows (scope key ``DEPT/CUSTOMER``)."""
    declared = {
        dc.customer.code: dc.customer
        for dc in db.scalars(
            select(DepartmentCustomer).where(DepartmentCustomer.department_id == department.id)
        )
    }
    slices = figures(
        db,
        visible,
        scope_kind="dept_customer",
        grain=period.grain,
        start=period.start,
        department_ids=[department.id],
    )
    slices = [a for a in slices if a.scope_key.startswith(f"{department.code}/")]
    cards = {c.card_id: c.card for c in candidates if c.card is not None and c.card_id is not None}
    by_customer: dict[str, dict[int, Figure]] = {}
    for a in slices:
        code = a.scope_key.partition("/")[2]
        if a.card_id in cards:
            by_customer.setdefault(code, {})[a.card_id] = scored(cards[a.card_id], a)
    known = {
        c.code: c
        for c in db.scalars(select(Customer).where(Customer.code.in_(set(by_customer) | set(declared))))
    }
    order = sorted(declared) + sorted(set(by_customer) - set(declared))
    views = [
        CustomerView(code, known.get(code), code in declared, by_customer.get(code, {})) for code in order
    ]
    shown = {card_id for v in views for card_id in v.figures}
    return views, [cards[c.card_id] for c in candidates if c.card_id in shown and c.card_id in cards]


def _shared(
    db: Session, visible: ColumnElement[bool], department: Department, period: Period
) -> list[SharedView]:
    """The shared (cross-department) indicators this department holds a share of."""
    held = list(
        db.scalars(
            select(SharedIndicator)
            .join(SharedIndicatorShare, SharedIndicatorShare.shared_indicator_id == SharedIndicator.id)
            .where(SharedIndicatorShare.department_id == department.id)
        ).unique()
    )
    codes = {s.indicator_code for s in held if s.indicator_code}
    cards = {c.code: c for c in db.scalars(select(IndicatorCard).where(IndicatorCard.code.in_(codes)))}
    card_ids = [c.id for c in cards.values()]
    company = by_card(db, visible, scope_kind="company", period=period, card_ids=card_ids)
    own = by_card(
        db, visible, scope_kind="department", period=period, card_ids=card_ids, scope_key=department.code
    )
    out = []
    for s in held:
        card = cards.get(s.indicator_code or "")
        share = next((x.share for x in s.shares if x.department_id == department.id), Decimal(0))
        partners = [(x.department, x.share) for x in s.shares if x.department_id != department.id]
        out.append(
            SharedView(
                s,
                share,
                partners,
                scored(card, company.get(card.id)) if card else None,
                scored(card, own.get(card.id)) if card else None,
            )
        )
    return out
