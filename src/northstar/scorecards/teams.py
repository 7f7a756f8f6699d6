"""Team indicators with each member's contribution (S6.5).

A result the team owns together — an R&D team's release satisfaction — is measured once, for
the team, and never pushed onto one engineer: each member carries a planned share of it (percent,
summing to exactly 100) and the manager writes an evaluation of each member's contribution.

Each member's personal scorecard of the period carries the team indicator as an item linked to
it (the link of the cascade, S6.4). A member without a scorecard for the period gets an empty
one holding just that item: the team result must not wait for the scorecard to be drawn up, and
the scorecard page then shows it to be completed. A new item starts at the weight the team form
gives (20% unless told, one of about five core indicators); the personal scorecard's own check
then tells the manager if the weights no longer add up to 100%."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.db import check_version, plain, touch, utcnow
from northstar.errors import N_, Conflict, Named, NotFound, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee
from northstar.pools.models import KpiCandidate
from northstar.positions.models import IndicatorRole, PositionIndicator
from northstar.positions.schemas import PERIOD_PATTERN
from northstar.scorecards.alignment_rows import candidate_named, department_line, dept_named, objective_named
from northstar.scorecards.models import PersonalScorecard, ScorecardItem, TeamIndicator, TeamMember
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.security.scope import (
    department_subtree,
    employee_filter,
    manages_department,
    require_department_editor,
)

HUNDRED = Decimal(100)
#: the weight a member's new team item starts at: one of about five core indicators
DEFAULT_ITEM_WEIGHT = Decimal(20)
#: one member as the caller gives it: the employee, the share in percent, the contribution text
#: (None keeps the text already stored)
MemberIn = tuple[Employee, Decimal | int | str, str | None]


def get_team_indicator(db: Session, team_id: int) -> TeamIndicator:
    team = db.get(TeamIndicator, team_id)
    if team is None:
        raise NotFound(N_("No team indicator with id {id}."), id=team_id)
    return team


def get_team_indicators(
    db: Session, *, department_id: int | None = None, period: str | None = None
) -> list[TeamIndicator]:
    """Team indicators (of a department and the departments below it; of one period), by department."""
    query = select(TeamIndicator).join(TeamIndicator.department)
    if department_id is not None:
        query = query.where(TeamIndicator.department_id.in_(department_subtree([department_id])))
    if period:
        query = query.where(TeamIndicator.period == period)
    return list(db.scalars(query.order_by(Department.code, TeamIndicator.period.desc(), TeamIndicator.id)))


def team_periods(db: Session) -> list[str]:
    """The periods team indicators exist for, the latest first."""
    return list(db.scalars(select(TeamIndicator.period).distinct().order_by(TeamIndicator.period.desc())))


def _eid(department: Department, card: IndicatorCard, period: str) -> str:
    return f"{department.code}/{card.code}/{period}"[:60]


def _share(raw: Decimal | int | str, name: str, row: int, problems: list[Problem]) -> Decimal | None:
    try:
        share = plain(Decimal(str(raw).strip().rstrip("%")))
    except (InvalidOperation, ValueError):
        problems.append(
            Problem(
                N_('The share of {person} is "{value}": write a percentage such as 40.'),
                {"person": name, "value": str(raw)},
                row=row,
                field="share",
            )
        )
        return None
    if share <= 0 or share > HUNDRED:
        problems.append(
            Problem(
                N_("The share of {person} is {value}%: a share is more than 0 and at most 100."),
                {"person": name, "value": share},
                row=row,
                field="share",
            )
        )
        return None
    return share


def _item_weight(raw: Decimal | int | str) -> Decimal:
    try:
        weight = plain(Decimal(str(raw).strip().rstrip("%")))
    except (InvalidOperation, ValueError):
        weight = Decimal(-1)
    if weight <= 0 or weight > HUNDRED:
        raise ValidationFailed(
            N_(
                'The weight on the members\' scorecards is "{value}": write a percentage more than 0 and '
                "at most 100, such as 20."
            ),
            problems=[Problem(N_("Write a percentage such as 20."), field="item_weight")],
            value=str(raw),
        )
    return weight


def _check(
    db: Session,
    department: Department,
    card: IndicatorCard,
    period: str,
    members: Sequence[MemberIn],
    candidate: KpiCandidate | None,
    team: TeamIndicator | None,
) -> tuple[list[tuple[Employee, Decimal, str | None]], dict[int, PersonalScorecard]]:
    """Every problem of a team indicator at once (nothing stored if there is any)."""
    problems: list[Problem] = []
    if not re.match(PERIOD_PATTERN, period):
        problems.append(
            Problem(
                N_(
                    '"{period}" is not a period: write a year such as 2026, or a year and a part such as 2026-H1.'
                ),
                {"period": period},
                field="period",
            )
        )
    if len(members) < 2:
        problems.append(
            Problem(
                N_(
                    "A team indicator needs at least two members: a result owned by one person belongs on "
                    "that person's own scorecard."
                ),
                field="members",
            )
        )
    inside = set(db.scalars(department_subtree([department.id])))
    seen: set[int] = set()
    parsed: list[tuple[Employee, Decimal, str | None]] = []
    for row, (emp, raw, text) in enumerate(members, start=1):
        if emp.id in seen:
            problems.append(
                Problem(N_("{person} is listed twice: list each member once."), {"person": emp.name}, row=row)
            )
            continue
        seen.add(emp.id)
        if emp.department_id not in inside:
            problems.append(
                Problem(
                    N_(
                        "{person} works in {other}, outside {department} and the departments below it: only "
                        "its people can share the team's result. Remove {person}, or set the team indicator on "
                        "a department both belong to."
                    ),
                    {
                        "person": emp.name,
                        "other": dept_named(emp.department),
                        "department": dept_named(department),
                    },
                    row=row,
                    field="employee",
                )
            )
        share = _share(raw, emp.name, row, problems)
        if share is not None:
            parsed.append((emp, share, text))
    total = plain(sum((s for _, s, _ in parsed), Decimal(0)))
    share_message = N_(
        "The shares add up to {total}%, not 100%: change them so that the members' shares of the team "
        "result add up to exactly 100%."
    )
    if len(parsed) == len(members) and members and total != HUNDRED:
        problems.append(Problem(share_message, {"total": total}, field="shares"))
    if candidate is not None and candidate.department not in department_line(department):
        problems.append(
            Problem(
                N_(
                    "The indicator {indicator} belongs to {other}, which is neither {department} nor a "
                    "department above it: choose an indicator of {department} or of a department above."
                ),
                {
                    "indicator": candidate_named(candidate),
                    "other": dept_named(candidate.department),
                    "department": dept_named(department),
                },
                field="candidate_id",
            )
        )
    cards = {
        sc.employee_id: sc
        for sc in db.scalars(
            select(PersonalScorecard).where(
                PersonalScorecard.employee_id.in_(seen), PersonalScorecard.period == period
            )
        )
    }
    for row, (emp, _, _) in enumerate(members, start=1):
        item = (
            next((i for i in cards[emp.id].items if i.card_id == card.id), None) if emp.id in cards else None
        )
        if item is not None and item.team_indicator is not None and item.team_indicator is not team:
            other = item.team_indicator
            problems.append(
                Problem(
                    N_(
                        "{person}'s {indicator} of {period} already carries the team indicator of {other}: "
                        "remove {person} from that team first."
                    ),
                    {
                        "person": emp.name,
                        "indicator": Named(card.name_en or card.name, card.name),
                        "period": period,
                        "other": dept_named(other.department),
                    },
                    row=row,
                    field="employee",
                )
            )
    if problems:
        shares_only = all(p.message == share_message for p in problems)
        if shares_only:
            raise ValidationFailed(share_message, problems=problems, total=total)
        raise ValidationFailed(
            N_("The team indicator has problems: fix the members listed."), problems=problems
        )
    return parsed, cards


def resolve_members(
    db: Session, principal: Principal, rows: Sequence[tuple[str, Decimal | int | str, str | None]]
) -> list[MemberIn]:
    """Members named by employee number (as the API and files give them); every unknown number
    is a problem naming its row."""
    numbers = [number.strip() for number, _, _ in rows]
    found = {
        e.number: e
        for e in db.scalars(select(Employee).where(Employee.number.in_(numbers), employee_filter(principal)))
    }
    problems = [
        Problem(
            N_("No employee with number {number} that you may see: use the number of a member of the team."),
            {"number": number},
            row=row,
            field="employee_number",
        )
        for row, number in enumerate(numbers, start=1)
        if number not in found
    ]
    if problems:
        raise ValidationFailed(
            N_("The team indicator has problems: fix the members listed."), problems=problems
        )
    return [(found[number], share, text) for number, (_, share, text) in zip(numbers, rows, strict=True)]


def save_team_indicator(
    db: Session,
    principal: Principal,
    department: Department,
    card: IndicatorCard,
    period: str,
    members: Sequence[MemberIn],
    candidate: KpiCandidate | None = None,
    *,
    team: TeamIndicator | None = None,
    version: int | None = None,
    name: str = "",
    name_en: str = "",
    item_weight: Decimal | int | str = DEFAULT_ITEM_WEIGHT,
    reason: str | None = None,
) -> TeamIndicator:
    """Create a team indicator (``team`` None) or change one: its members with their shares
    (summing to exactly 100%), and each member's scorecard item linked to it — a member without
    one gets the item at ``item_weight`` percent (and a scorecard, if they have none for the period)."""
    require_department_editor(db, principal, department.id)
    if team is not None:
        require_department_editor(db, principal, team.department_id)
        if version is not None:
            check_version(team, version, team.name)
    period = period.strip()
    clash = db.scalar(
        select(TeamIndicator).where(
            TeamIndicator.department_id == department.id,
            TeamIndicator.card_id == card.id,
            TeamIndicator.period == period,
        )
    )
    if clash is not None and clash is not team:
        raise Conflict(
            N_(
                "{department} already has the team indicator {indicator} for {period}: open it and change it there."
            ),
            department=dept_named(department),
            indicator=Named(card.name_en or card.name, card.name),
            period=period,
        )
    parsed, cards = _check(db, department, card, period, members, candidate, team)
    weight = _item_weight(item_weight)
    creating = team is None
    if team is None:
        team = TeamIndicator(department=department, card=card, period=period)
        db.add(team)
    before = {
        "department": team.department.code if not creating else None,
        "card": team.card.code if not creating else None,
        "period": team.period if not creating else None,
        "candidate": _cand_code(team.candidate),
        "members": _members_text(team.members) if not creating else None,
        "name": team.name if not creating else None,
    }
    team.department, team.card, team.period, team.candidate = department, card, period, candidate
    team.name = name.strip() or card.name
    team.name_en = name_en.strip() or card.name_en
    by_emp = {m.employee_id: m for m in team.members}
    kept: list[TeamMember] = []
    for emp, share, text in parsed:
        member = by_emp.get(emp.id) or TeamMember(employee=emp, share=share)
        member.share = share
        if text is not None:
            member.contribution = text.strip()
        kept.append(member)
    team.members = kept
    if not creating:
        touch(team, "period")  # a column, so that the UPDATE runs and the version moves on
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create" if creating else "update",
        entity="team_indicator",
        entity_id=_eid(department, card, period),
        changes={
            "department": (before["department"], department.code),
            "card": (before["card"], card.code),
            "period": (before["period"], period),
            "candidate": (before["candidate"], _cand_code(candidate)),
            "members": (before["members"], _members_text(team.members)),
            "name": (before["name"], team.name),
        },
        reason=reason,
    )
    _link_items(db, principal, team, [emp for emp, _, _ in parsed], cards, weight)
    return team


def _cand_code(cand: KpiCandidate | None) -> str | None:
    return None if cand is None else f"{cand.department.code}/{cand.indicator_code or cand.id}"


def _members_text(members: Sequence[TeamMember]) -> str:
    return ", ".join(f"{m.employee.number}:{plain(m.share)}%" for m in members)


def _link_items(
    db: Session,
    principal: Principal,
    team: TeamIndicator,
    people: Sequence[Employee],
    cards: dict[int, PersonalScorecard],
    item_weight: Decimal,
) -> None:
    """Give every member's scorecard of the period an item of the team's card linked to the team,
    and unlink the items of people no longer in it."""
    link = f"team:{team.department.code}/{team.card.code}"
    wanted: set[int] = set()
    for emp in people:
        sc = cards.get(emp.id)
        created = sc is None
        if sc is None:
            sc = PersonalScorecard(employee=emp, period=team.period, position_id=None)
            db.add(sc)
        item = next((i for i in sc.items if i.card_id == team.card_id), None)
        changes: dict[str, tuple[str | None, str | None]] = {}
        if item is None:
            pi = None
            if sc.position_id is not None:
                pi = db.scalar(
                    select(PositionIndicator).where(
                        PositionIndicator.position_id == sc.position_id,
                        PositionIndicator.card_id == team.card_id,
                    )
                )
            # as the scorecard's own "add an indicator" does: an item the position lacks is an adjustment
            item = ScorecardItem(
                card=team.card,
                role=IndicatorRole.core,
                weight=item_weight,
                position_indicator=pi,
                adjusted=pi is None or pi.weight != item_weight or pi.role is not IndicatorRole.core,
            )
            sc.items.append(item)
            changes[team.card.code] = (None, f"core {plain(item_weight)}%")
        old = _old_link(item)
        item.team_indicator, item.candidate, item.parent_item = team, None, None
        if old != link:
            changes[f"{team.card.code}.link"] = (old, link)
        if changes:
            sc.updated_at = utcnow()  # an UPDATE of the scorecard: its version moves on
        db.flush()
        wanted.add(item.id)
        audit.record(
            db,
            principal.actor,
            action="create" if created else "update",
            entity="personal_scorecard",
            entity_id=f"{emp.number}/{team.period}",
            changes=changes,
            reason=f"team indicator {link}",
        )
    for item in db.scalars(select(ScorecardItem).where(ScorecardItem.team_indicator_id == team.id)):
        if item.id not in wanted:
            item.team_indicator = None
            item.scorecard.updated_at = utcnow()
            audit.record(
                db,
                principal.actor,
                action="update",
                entity="personal_scorecard",
                entity_id=f"{item.scorecard.employee.number}/{item.scorecard.period}",
                changes={f"{item.card.code}.link": (link, None)},
                reason=f"left team indicator {link}",
            )
    db.flush()


def _old_link(item: ScorecardItem) -> str | None:
    if item.team_indicator is not None:
        return f"team:{item.team_indicator.department.code}/{item.team_indicator.card.code}"
    if item.parent_item is not None:
        sc = item.parent_item.scorecard
        return f"item:{sc.employee.number}/{sc.period}/{item.parent_item.card.code}"
    if item.candidate is not None:
        return (
            f"indicator:{item.candidate.department.code}/{item.candidate.indicator_code or item.candidate.id}"
        )
    return None


def evaluate_contributions(
    db: Session,
    principal: Principal,
    team: TeamIndicator,
    contributions: Mapping[int, str],
    *,
    version: int,
    reason: str | None = None,
) -> TeamIndicator:
    """The manager's evaluation of each member's contribution (employee id → text)."""
    require_department_editor(db, principal, team.department_id)
    check_version(team, version, team.name)
    by_emp = {m.employee_id: m for m in team.members}
    strangers = [eid for eid in contributions if eid not in by_emp]
    if strangers:
        raise ValidationFailed(
            N_("Employee id {id} is not a member of this team: evaluate the members listed on the page."),
            problems=[Problem(N_("Not a member of this team."), field="contributions", row=None)],
            id=strangers[0],
        )
    for emp_id, text in contributions.items():
        member = by_emp[emp_id]
        old, member.contribution = member.contribution, text.strip()
        audit.record(
            db,
            principal.actor,
            action="update",
            entity="team_member",
            entity_id=f"{team.department.code}/{team.card.code}/{team.period}/{member.employee.number}"[:60],
            changes={"contribution": (old, member.contribution)},
            reason=reason,
        )
    touch(team, "period")  # a column, so that the UPDATE runs and the version moves on
    db.flush()
    return team


def delete_team_indicator(
    db: Session, principal: Principal, team: TeamIndicator, *, reason: str | None = None
) -> None:
    """Remove a team indicator; its members' items stay on their scorecards, unlinked."""
    require_department_editor(db, principal, team.department_id)
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="team_indicator",
        entity_id=_eid(team.department, team.card, team.period),
        changes={"members": (_members_text(team.members), None)},
        reason=reason,
    )
    for item in db.scalars(select(ScorecardItem).where(ScorecardItem.team_indicator_id == team.id)):
        item.team_indicator = None
    db.delete(team)
    db.flush()


# --- the team page ------------------------------------------------------------------------------


@dataclass
class MemberRow:
    member: TeamMember
    #: the member's item carrying the team indicator, and its scorecard
    item: ScorecardItem | None


@dataclass
class TeamView:
    team: TeamIndicator
    #: the members the reader may see, with their items
    rows: list[MemberRow]
    #: members outside the reader's scope: counted, not named
    hidden_count: int
    hidden_share: Decimal
    total: Decimal
    can_edit: bool
    #: what the team result serves, upwards: department indicators, then the enterprise objective
    serves: list[Named] = field(default_factory=list)
    #: the people of the department (and below) the editor may add, for the members form
    people: list[Employee] = field(default_factory=list)


def can_edit_team(db: Session, principal: Principal, department_id: int) -> bool:
    if principal.read_only:
        return False
    return principal.role in DESIGN_ROLES or manages_department(db, principal, department_id)


def team_view(db: Session, principal: Principal, team: TeamIndicator) -> TeamView:
    """A team indicator as its page shows it: the team's result, each visible member's share,
    contribution and item; members outside the reader's scope only counted."""
    ids = [m.employee_id for m in team.members]
    visible = set(db.scalars(select(Employee.id).where(Employee.id.in_(ids), employee_filter(principal))))
    items = {
        i.scorecard.employee_id: i
        for i in db.scalars(select(ScorecardItem).where(ScorecardItem.team_indicator_id == team.id))
    }
    rows = [MemberRow(m, items.get(m.employee_id)) for m in team.members if m.employee_id in visible]
    hidden = [m for m in team.members if m.employee_id not in visible]
    serves: list[Named] = []
    cand, seen = team.candidate, set()
    while cand is not None and cand.id not in seen:
        seen.add(cand.id)
        serves.append(
            Named(f"{cand.department.code} {candidate_named(cand)}", f"{cand.department.code} {cand.name}")
        )
        if cand.objective is not None:
            serves.append(objective_named(cand.objective))
            break
        cand = cand.parent_candidate
    editor = can_edit_team(db, principal, team.department_id)
    people = department_people(db, principal, team.department) if editor else []
    return TeamView(
        team=team,
        rows=rows,
        hidden_count=len(hidden),
        hidden_share=plain(sum((m.share for m in hidden), Decimal(0))),
        total=plain(sum((m.share for m in team.members), Decimal(0))),
        can_edit=editor,
        serves=serves,
        people=people,
    )


def department_people(db: Session, principal: Principal, department: Department) -> list[Employee]:
    """The current people of ``department`` and the departments below it that ``principal`` may see."""
    # the subtree as ids first: the scope filter of a manager is itself a department-tree CTE
    inside = list(db.scalars(department_subtree([department.id])))
    return list(
        db.scalars(
            select(Employee)
            .where(
                Employee.department_id.in_(inside),
                employee_filter(principal),
                or_(Employee.end_date.is_(None), Employee.end_date >= date.today()),
            )
            .order_by(Employee.number)
        )
    )


def candidates_for(db: Session, department: Department) -> list[KpiCandidate]:
    """The department indicators a team of ``department`` may serve: its own and those above it."""
    ids = [d.id for d in department_line(department)]
    return list(
        db.scalars(
            select(KpiCandidate)
            .where(KpiCandidate.department_id.in_(ids))
            .order_by(KpiCandidate.core.desc(), KpiCandidate.department_id, KpiCandidate.id)
        )
    )
