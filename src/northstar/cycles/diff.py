"""Between cycles (S9.3): a cycle's plan against the previous cycle of the same kind — cards
added and removed, weights and targets changed — with the reasons recorded for each change, in
the cycle's own plan changes, on the personal scorecards and on the cards in between.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from northstar.audit import AuditLog
from northstar.cycles.models import ChangeKind, Cycle, CycleAssignment, CycleState
from northstar.cycles.service import decimal_text, get_participants, list_changes, rules_of
from northstar.db import plain
from northstar.org.models import Employee
from northstar.security.principal import Principal

# --- between cycles -------------------------------------------------------------------------


def previous_cycle(db: Session, cycle: Cycle) -> Cycle | None:
    """The latest cycle of the same kind that ended before ``cycle`` starts and got past draft."""
    return db.scalar(
        select(Cycle)
        .where(Cycle.kind == cycle.kind, Cycle.end < cycle.start, Cycle.state != CycleState.draft)
        .order_by(Cycle.start.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class DiffLine:
    card: str
    change: str  # added, removed, weight, targets
    old: Any
    new: Any
    reasons: list[str]


@dataclass(frozen=True)
class PersonDiff:
    number: str
    name: str
    status: str  # joined, left, kept
    lines: list[DiffLine]


@dataclass(frozen=True)
class Diff:
    cycle: str
    previous: str | None
    cards_added: list[str]
    cards_removed: list[str]
    people: list[PersonDiff]


@dataclass(frozen=True)
class _Planned:
    assignment: CycleAssignment
    weight: Decimal
    anchors: dict[str, Any]


def _plan_map(
    db: Session, principal: Principal, cycle: Cycle
) -> tuple[dict[int, Employee], dict[int, dict[str, _Planned]], datetime | None]:
    rules = rules_of(db, cycle)
    people: dict[int, Employee] = {}
    plans: dict[int, dict[str, _Planned]] = {}
    enrolled: datetime | None = None
    for p in get_participants(db, principal, cycle):
        people[p.employee_id] = p.employee
        plans[p.employee_id] = {a.card.code: _Planned(a, a.weight, rules.anchors(a)) for a in p.assignments}
        enrolled = p.enrolled_at if enrolled is None else min(enrolled, p.enrolled_at)
    return people, plans, enrolled


def _audit_reasons(
    db: Session, keys: dict[tuple[str, str], str], since: datetime | None, until: datetime | None
) -> dict[tuple[str, str], list[str]]:
    """(employee number or card code, field) → the reasons given between two cycles on the audited
    records ``keys`` names: (entity, entity id) → the number or code to file them under."""
    if not keys:
        return {}
    q = select(AuditLog).where(
        tuple_(AuditLog.entity, AuditLog.entity_id).in_(list(keys)), AuditLog.reason.is_not(None)
    )
    if since is not None:
        q = q.where(AuditLog.at >= since)
    if until is not None:
        q = q.where(AuditLog.at <= until)
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in db.scalars(q.order_by(AuditLog.id)):
        key = (keys[(row.entity, row.entity_id)], row.field or "")
        if row.reason and row.reason not in out[key]:
            out[key].append(row.reason)
    return out


def diff_previous(db: Session, principal: Principal, cycle: Cycle) -> Diff:
    """The cycle's plan against the previous cycle of the same kind, for the people the principal
    may see: cards added and removed, weights and targets changed, with the reasons recorded (in
    this cycle's plan changes, and on the personal scorecards and cards in between)."""
    prev = previous_cycle(db, cycle)
    people, now, enrolled = _plan_map(db, principal, cycle)
    before: dict[int, dict[str, _Planned]] = {}
    prev_enrolled = None
    if prev is not None:
        prev_people, before, prev_enrolled = _plan_map(db, principal, prev)
        people = {**prev_people, **people}
    reasons: dict[tuple[int, ChangeKind], list[str]] = defaultdict(list)
    for change, touched in list_changes(db, principal, cycle):
        for line in touched:
            key = (line.assignment_id, change.kind)
            if change.reason not in reasons[key]:
                reasons[key].insert(0, change.reason)  # changes come newest first
    codes = {code for plan in (*now.values(), *before.values()) for code in plan}
    keys = {("personal_scorecard", f"{e.number}/{cycle.scorecard_period}"): e.number for e in people.values()}
    keys |= {("indicator_card", code): code for code in codes}
    recorded = _audit_reasons(db, keys, prev_enrolled, enrolled)

    def why(*sources: list[str]) -> list[str]:
        found: list[str] = []
        for source in sources:
            found += [r for r in source if r not in found]
        return found

    def planned(new: _Planned, kind: ChangeKind) -> list[str]:
        return reasons.get((new.assignment.id, kind), [])

    out = []
    for emp_id, emp in sorted(people.items(), key=lambda kv: kv[1].number):
        mine, theirs = now.get(emp_id), before.get(emp_id)
        status = (
            "kept" if mine is not None and theirs is not None else "joined" if mine is not None else "left"
        )
        mine, theirs = mine or {}, theirs or {}
        lines = []
        for code in sorted(set(mine) | set(theirs)):
            new, old = mine.get(code), theirs.get(code)
            if old is None and new is not None:
                lines.append(
                    DiffLine(
                        code,
                        "added",
                        None,
                        decimal_text(new.weight),
                        why(recorded.get((emp.number, code), [])),
                    )
                )
            elif new is None and old is not None:
                lines.append(
                    DiffLine(
                        code,
                        "removed",
                        decimal_text(old.weight),
                        None,
                        why(recorded.get((emp.number, code), [])),
                    )
                )
            elif new is not None and old is not None:
                if plain(new.weight) != plain(old.weight):
                    lines.append(
                        DiffLine(
                            code,
                            "weight",
                            decimal_text(old.weight),
                            decimal_text(new.weight),
                            why(
                                recorded.get((emp.number, f"{code}.weight"), []),
                                planned(new, ChangeKind.weight),
                            ),
                        )
                    )
                if new.anchors != old.anchors:
                    lines.append(
                        DiffLine(
                            code,
                            "targets",
                            old.anchors,
                            new.anchors,
                            why(
                                recorded.get((code, "rule"), []),
                                planned(new, ChangeKind.card),
                                planned(new, ChangeKind.targets),
                            ),
                        )
                    )
        if lines or status != "kept":
            out.append(PersonDiff(emp.number, emp.name, status, lines))
    used_now = {code for plan in now.values() for code in plan}
    used_before = {code for plan in before.values() for code in plan}
    return Diff(
        cycle=cycle.code,
        previous=prev.code if prev else None,
        cards_added=sorted(used_now - used_before) if prev else [],
        cards_removed=sorted(used_before - used_now),
        people=out,
    )
