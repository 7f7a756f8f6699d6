"""Every row the alignment tree of one strategy record needs, loaded once and indexed in memory.

A fixed handful of queries, whatever the size of the company: the record's objectives and
arrows, every KPI pool candidate, the team indicators and personal scorecards of the period
(items come with their scorecards), every department, and — only when some link points outside
that set — the few rows it points at, so that a link to another period is told apart from a
link to a row that is gone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from northstar.errors import Named
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee
from northstar.pools.models import KpiCandidate
from northstar.scorecards.models import PersonalScorecard, ScorecardItem, TeamIndicator
from northstar.security.principal import ALL_SCOPE_ROLES, Principal
from northstar.security.scope import employee_filter
from northstar.strategy.models import (
    Objective,
    ObjectiveLink,
    Perspective,
    StrategyPriority,
    StrategyRecord,
)

#: objectives under a customer value: the customer perspective first, as the method builds them
PERSPECTIVE_ORDER = (Perspective.customer, Perspective.financial, Perspective.process, Perspective.learning)

# Kinds of the link an item or indicator points up with.
UP_OBJECTIVE, UP_CANDIDATE, UP_ITEM, UP_TEAM = "objective", "candidate", "item", "team"


# --- names and addresses ------------------------------------------------------------------------


def _both(name: str, name_en: str) -> Named:
    return Named(name_en or name, name)


def dept_named(dept: Department) -> Named:
    return _both(dept.name, dept.name_en)


def card_named(card: IndicatorCard) -> Named:
    return _both(card.name, card.name_en)


def objective_named(obj: Objective) -> Named:
    return Named(f"{obj.code} {obj.name_en or obj.name}", f"{obj.code} {obj.name}")


def candidate_named(cand: KpiCandidate) -> Named:
    return _both(cand.name, cand.name_en)


def item_named(item: ScorecardItem) -> Named:
    """A person's item as a message parameter: "张三 · On-time delivery rate"."""
    person = item.scorecard.employee.name
    return Named(f"{person} · {item.card.name_en or item.card.name}", f"{person} · {item.card.name}")


def team_named(team: TeamIndicator) -> Named:
    return _both(team.name or team.card.name, team.name_en or team.card.name_en)


def chain_named(parts: Sequence[Named]) -> Named:
    return Named(" → ".join(str(p) for p in parts), " → ".join(p.zh for p in parts))


def department_line(dept: Department) -> list[Department]:
    """``dept`` and every department above it, nearest first."""
    out: list[Department] = []
    node: Department | None = dept
    while node is not None and node not in out:
        out.append(node)
        node = node.parent
    return out


def href_value(record_id: int) -> str:
    return f"/strategy/{record_id}#priorities"


def href_objective(record_id: int, objective_id: int) -> str:
    return f"/scorecard?record={record_id}#objective-{objective_id}"


def href_candidate(department_id: int, candidate_id: int) -> str:
    return f"/pools/{department_id}#candidate-{candidate_id}"


def href_team(team_id: int) -> str:
    return f"/scorecards/teams/{team_id}"


def href_item(scorecard_id: int, item_id: int) -> str:
    return f"/scorecards/{scorecard_id}#item-{item_id}"


@dataclass
class Rows:
    record: StrategyRecord
    period: str | None
    priorities: list[StrategyPriority]
    #: the record's objectives, in the order of the scorecard page
    objectives: dict[int, Objective]
    #: effect id → the objectives that drive it (the arrows of the strategy map, reversed)
    causes: dict[int, list[int]]
    candidates: dict[int, KpiCandidate]
    teams: dict[int, TeamIndicator]
    items: dict[int, ScorecardItem]
    scorecards: list[PersonalScorecard]
    departments: dict[int, Department]
    #: rows some link points at outside the loaded set: objectives of other records (→ their
    #: period), items and team indicators of other periods
    other_objectives: dict[int, str] = field(default_factory=dict)
    other_items: dict[int, ScorecardItem] = field(default_factory=dict)
    other_teams: dict[int, TeamIndicator] = field(default_factory=dict)
    #: the employees the reader may see; None = everyone
    visible: set[int] | None = None
    # indexes, built by ``index()``
    cand_by_objective: dict[int, list[KpiCandidate]] = field(default_factory=dict)
    cand_children: dict[int, list[KpiCandidate]] = field(default_factory=dict)
    teams_by_candidate: dict[int, list[TeamIndicator]] = field(default_factory=dict)
    items_under: dict[tuple[str, int], list[ScorecardItem]] = field(default_factory=dict)
    items_of: dict[int, list[ScorecardItem]] = field(default_factory=dict)  # by employee
    candidates_of: dict[int, list[KpiCandidate]] = field(default_factory=dict)  # by department

    def index(self) -> None:
        by_obj: dict[int, list[KpiCandidate]] = defaultdict(list)
        children: dict[int, list[KpiCandidate]] = defaultdict(list)
        for cand in self.candidates.values():
            if cand.objective_id is not None:
                by_obj[cand.objective_id].append(cand)
            elif cand.parent_candidate_id is not None:
                children[cand.parent_candidate_id].append(cand)
        teams: dict[int, list[TeamIndicator]] = defaultdict(list)
        for team in self.teams.values():
            if team.candidate_id is not None:
                teams[team.candidate_id].append(team)
        under: dict[tuple[str, int], list[ScorecardItem]] = defaultdict(list)
        items_of: dict[int, list[ScorecardItem]] = defaultdict(list)
        for item in self.items.values():
            up = item_up(item)
            if up is not None:
                under[up].append(item)
            items_of[item.scorecard.employee_id].append(item)
        candidates_of: dict[int, list[KpiCandidate]] = defaultdict(list)
        for cand in self.candidates.values():
            candidates_of[cand.department_id].append(cand)
        self.items_of, self.candidates_of = dict(items_of), dict(candidates_of)
        self.cand_by_objective, self.cand_children = dict(by_obj), dict(children)
        self.teams_by_candidate, self.items_under = dict(teams), dict(under)

    def sees(self, item: ScorecardItem) -> bool:
        return self.visible is None or item.scorecard.employee_id in self.visible

    def subtree(self, department_id: int) -> set[int]:
        """``department_id`` and every department below it."""
        below: dict[int | None, list[int]] = defaultdict(list)
        for dept in self.departments.values():
            below[dept.parent_id].append(dept.id)
        out, todo = set(), [department_id]
        while todo:
            node = todo.pop()
            if node not in out:
                out.add(node)
                todo += below.get(node, [])
        return out


def item_up(item: ScorecardItem) -> tuple[str, int] | None:
    """The one upward link of an item. An item is linked to one thing; should stored data hold
    more (an imported file), the team indicator wins, then another person's item, then the
    department indicator — the most specific link."""
    if item.team_indicator_id is not None:
        return UP_TEAM, item.team_indicator_id
    if item.parent_item_id is not None:
        return UP_ITEM, item.parent_item_id
    if item.candidate_id is not None:
        return UP_CANDIDATE, item.candidate_id
    return None


def candidate_up(cand: KpiCandidate) -> tuple[str, int] | None:
    if cand.objective_id is not None:
        return UP_OBJECTIVE, cand.objective_id
    if cand.parent_candidate_id is not None:
        return UP_CANDIDATE, cand.parent_candidate_id
    return None


def serves(obj: Objective, priority: StrategyPriority, own: set[int]) -> bool:
    """Whether ``obj`` serves the declared customer value ``priority``: chosen on the objective, or —
    when it names no value of this record — the same value driver."""
    return obj.priority_id == priority.id or (
        obj.priority_id not in own and obj.driver_code is not None and obj.driver_code == priority.driver_code
    )


def _objective_order(obj: Objective) -> tuple[int, int, str]:
    return PERSPECTIVE_ORDER.index(obj.perspective), obj.rank, obj.code


def load(
    db: Session, record: StrategyRecord, *, period: str | None = None, principal: Principal | None = None
) -> Rows:
    """Load and index everything the alignment of ``record`` needs (scorecards of ``period`` only, if given)."""
    objectives = sorted(
        db.scalars(select(Objective).where(Objective.record_id == record.id)), key=_objective_order
    )
    causes: dict[int, list[int]] = defaultdict(list)
    for cause_id, effect_id in db.execute(
        select(ObjectiveLink.cause_id, ObjectiveLink.effect_id)
        .join(Objective, Objective.id == ObjectiveLink.effect_id)
        .where(Objective.record_id == record.id)
        .order_by(ObjectiveLink.id)
    ):
        causes[effect_id].append(cause_id)
    cards = select(PersonalScorecard).order_by(PersonalScorecard.employee_id, PersonalScorecard.period)
    teams = select(TeamIndicator).order_by(TeamIndicator.department_id, TeamIndicator.id)
    if period is not None:
        cards = cards.where(PersonalScorecard.period == period)
        teams = teams.where(TeamIndicator.period == period)
    # the scorecards are held on the rows: the session keeps loaded objects only while referenced,
    # and an item's way to its scorecard must stay a lookup, not a query
    scorecards = list(db.scalars(cards))
    items = {it.id: it for sc in scorecards for it in sc.items}
    visible = None
    if principal is not None and principal.role not in ALL_SCOPE_ROLES:
        visible = set(db.scalars(select(Employee.id).where(employee_filter(principal))))
    rows = Rows(
        record=record,
        period=period,
        priorities=list(record.priorities),
        objectives={o.id: o for o in objectives},
        causes=dict(causes),
        candidates={c.id: c for c in db.scalars(select(KpiCandidate).order_by(KpiCandidate.id))},
        teams={t.id: t for t in db.scalars(teams)},
        items=items,
        scorecards=scorecards,
        departments={d.id: d for d in db.scalars(select(Department).order_by(Department.code))},
        visible=visible,
    )
    _load_outside(db, rows)
    rows.index()
    return rows


def _load_outside(db: Session, rows: Rows) -> None:
    """The rows links point at beyond the loaded set: one query per kind, only when needed."""
    want_objectives = {
        c.objective_id
        for c in rows.candidates.values()
        if c.objective_id and c.objective_id not in rows.objectives
    }
    if want_objectives:
        rows.other_objectives = {
            oid: period
            for oid, period in db.execute(
                select(Objective.id, StrategyRecord.period)
                .join(StrategyRecord, StrategyRecord.id == Objective.record_id)
                .where(Objective.id.in_(want_objectives))
            )
        }
    want_items = {
        i.parent_item_id
        for i in rows.items.values()
        if i.parent_item_id and i.parent_item_id not in rows.items
    }
    if want_items:
        rows.other_items = {
            i.id: i
            for i in db.scalars(
                select(ScorecardItem)
                .options(joinedload(ScorecardItem.scorecard))
                .where(ScorecardItem.id.in_(want_items))
            )
        }
    want_teams = {
        i.team_indicator_id
        for i in rows.items.values()
        if i.team_indicator_id and i.team_indicator_id not in rows.teams
    }
    if want_teams:
        rows.other_teams = {
            t.id: t for t in db.scalars(select(TeamIndicator).where(TeamIndicator.id.in_(want_teams)))
        }
