"""A cycle's actuals (issue 6, step 3): taken from the metrics engine, or entered by hand with
evidence and a reviewer.

Taking actuals copies the engine's figure of each person for the cycle's period (grain = the
cycle's kind, period = the cycle's first day) into the cycle, with its lineage, so that a later
recomputation does not move a cycle under review; taking them again refreshes the computed ones
and never overwrites a value entered by hand. A hand-entered value names what it rests on (a
note and evidence files) and a reviewer, who approves or rejects it; it counts only once
approved, and it is marked as entered by hand wherever it appears.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.config import Settings
from northstar.cycles import guards
from northstar.cycles import service as cycles
from northstar.cycles.guards import HR, RATERS, Action, StateRefused
from northstar.cycles.models import (
    ActualOrigin,
    Approval,
    Cycle,
    CycleActual,
    CycleAssignment,
    CycleEvidence,
    CycleParticipant,
)
from northstar.data import compute
from northstar.data.models import MetricActual, MetricBinding
from northstar.db import check_version, utcnow
from northstar.errors import N_, Forbidden, Named, NotFound, Problem, ValidationFailed
from northstar.metrics.spec import Grain
from northstar.scoring import ScoringError, parse_rule, score
from northstar.security.models import User
from northstar.security.principal import Principal

#: evidence files larger than this are refused (a scan or a spreadsheet, not a video)
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
#: the cycle kinds and the metrics engine grain of their period
GRAIN: dict[str, Grain] = {"year": "year", "quarter": "quarter", "month": "month"}


@dataclass(frozen=True)
class TakeOutcome:
    """What taking actuals from the engine did: new and refreshed values, values kept because
    they were entered by hand, and assignments without a computed figure."""

    run_id: int | None
    added: int
    refreshed: int
    unchanged: int
    kept_manual: int
    #: bound to a metric, but the engine has no figure for the person and period
    without_data: int
    #: not bound to any metric: entered by hand
    by_hand: int


def actuals_of(db: Session, cycle: Cycle) -> dict[int, CycleActual]:
    """Assignment id → its actual, for the whole cycle."""
    rows = db.scalars(select(CycleActual).where(CycleActual.cycle_id == cycle.id))
    return {a.assignment_id: a for a in rows.unique()}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else cycles.decimal_text(value)


def _label(cycle: Cycle, p: CycleParticipant, code: str) -> Named:
    who = f"{p.employee.name} ({p.employee.number})"
    return Named(f"The actual of {code} for {who}", f"{who}的指标 {code} 实际值")


def take_computed(
    db: Session, principal: Principal, settings: Settings, cycle: Cycle, *, compute_first: bool = True
) -> TakeOutcome:
    """Copy the engine's figure for the cycle's period into every assignment bound to a metric,
    computing the period first unless told not to."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.actuals, principal.role)
    principal.require(*HR)
    grain = GRAIN[cycle.kind.value]
    run_id = None
    if compute_first:
        run = compute.compute_actuals(
            db, principal, settings, start=cycle.start, end=cycle.end + timedelta(days=1), grain=grain
        )
        run_id = run.id
    participants = cycles.all_participants(db, cycle)
    by_emp = {p.employee_id: p for p in participants}
    figures = {
        (m.employee_id, m.card_id): m
        for m in db.scalars(
            select(MetricActual).where(
                MetricActual.scope_kind == "person",
                MetricActual.grain == grain,
                MetricActual.period_start == cycle.start,
                MetricActual.employee_id.in_(list(by_emp)),
            )
        ).unique()
    }
    existing = actuals_of(db, cycle)
    rules = cycles.rules_of(db, cycle)
    bound = set(db.scalars(select(MetricBinding.card_id)))
    added = refreshed = unchanged = kept = missing = unbound = 0
    for p in participants:
        for a in p.assignments:
            if rules.kind(a.card) == "rubric":
                continue  # a rubric indicator's actual is the manager's rating
            if a.card_id not in bound:
                unbound += 1
                continue
            figure = figures.get((p.employee_id, a.card_id))
            current = existing.get(a.id)
            if figure is None:
                missing += 1
                continue
            if current is not None and current.origin is ActualOrigin.manual:
                kept += 1
                continue
            value = _text(figure.value)
            lineage = {
                "metric": figure.metric,
                "spec_hash": figure.spec_hash,
                "snapshots": figure.snapshots,
                "run_id": figure.run_id,
                "numerator": _text(figure.numerator),
                "denominator": _text(figure.denominator),
            }
            if current is None:
                db.add(
                    CycleActual(
                        cycle_id=cycle.id,
                        assignment_id=a.id,
                        value=value,
                        origin=ActualOrigin.computed,
                        metric_actual_id=figure.id,
                        lineage=lineage,
                        entered_by=principal.username,
                        entered_by_id=principal.user_id,
                    )
                )
                added += 1
            elif current.value != value:
                old = current.value
                current.value = value
                current.metric_actual_id = figure.id
                current.lineage = lineage
                current.entered_at = utcnow()
                refreshed += 1
                audit.record(
                    db,
                    principal.actor,
                    action="refresh",
                    entity="cycle_actual",
                    entity_id=f"{cycle.code}/{p.employee.number}/{a.card.code}",
                    changes={"value": (old, value)},
                )
            elif current.metric_actual_id != figure.id:
                # the same value from a newer run: follow its lineage, nothing changed for the person
                current.metric_actual_id = figure.id
                current.lineage = lineage
                unchanged += 1
            else:
                unchanged += 1
    db.flush()
    return TakeOutcome(run_id, added, refreshed, unchanged, kept, missing, unbound)


def _assignment(db: Session, principal: Principal, cycle: Cycle, number: str, card: str) -> CycleAssignment:
    p = cycles.get_participant(db, principal, cycle, number)
    a = next((a for a in p.assignments if a.card.code == card), None)
    if a is None:
        raise NotFound(
            N_("{name} ({number}) has no indicator {card} in cycle {cycle}."),
            name=p.employee.name,
            number=number,
            card=card,
            cycle=cycle.code,
        )
    return a


def _reviewer(db: Session, principal: Principal, p: CycleParticipant, username: str) -> User:
    name = (username or "").strip()
    user = db.scalar(select(User).where(User.username == name)) if name else None
    field = "reviewer"
    if user is None or not user.is_active:
        raise ValidationFailed(
            N_(
                'reviewer: there is no active user "{username}". Name the manager or HR colleague who will check the value.'
            ),
            username=name,
            field=field,
        )
    if user.role not in RATERS:
        raise ValidationFailed(
            N_("reviewer: {username} is not HR or a manager, so cannot approve actuals."),
            username=name,
            field=field,
        )
    if user.id == principal.user_id or (user.employee_id is not None and user.employee_id == p.employee_id):
        raise ValidationFailed(
            N_(
                "reviewer: the reviewer must be someone else than the person entering the value and the person it is about."
            ),
            field=field,
        )
    return user


def enter_manual(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    number: str,
    card: str,
    *,
    value: str,
    note: str,
    reviewer: str,
    version: int | None = None,
) -> CycleActual:
    """Enter (or correct) an actual by hand: checked against the card's rule, with a note on what
    it rests on and a reviewer who must approve it before it counts."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.actuals, principal.role)
    a = _assignment(db, principal, cycle, number, card)
    p = a.participant
    if p.employee_id == principal.employee_id:
        raise Forbidden(N_("You may not enter your own actuals: ask your manager or HR."))
    rules = cycles.rules_of(db, cycle)
    if rules.kind(a.card) == "rubric":
        raise ValidationFailed(
            N_("{card} is rated by the manager in the manager review, not entered as an actual."),
            card=card,
            field="value",
        )
    text = (value or "").strip()
    rule = cycles.effective_rule(db, a)
    try:
        if not text:
            raise ScoringError(N_("Enter the value."))
        score(parse_rule(rule), text)
    except ScoringError as exc:
        raise ValidationFailed(
            exc.message, problems=[Problem(exc.message, exc.params, field="value")], **exc.params
        ) from exc
    why = (note or "").strip()
    if not why:
        raise ValidationFailed(
            N_(
                "note: say what the value rests on (a report, a count, a meeting); attach the evidence after saving."
            ),
            field="note",
        )
    checker = _reviewer(db, principal, p, reviewer)
    current = db.scalar(select(CycleActual).where(CycleActual.assignment_id == a.id))
    old = None
    if current is None:
        current = CycleActual(cycle_id=cycle.id, assignment_id=a.id, lineage={})
        db.add(current)
    else:
        if version is not None:
            check_version(current, version, _label(cycle, p, card))
        old = f"{current.value} ({current.origin.value})"
    current.value = text
    current.origin = ActualOrigin.manual
    current.metric_actual_id = None
    current.lineage = {}
    current.note = why
    current.entered_by = principal.username
    current.entered_by_id = principal.user_id
    current.entered_at = utcnow()
    current.reviewer_id = checker.id
    current.reviewer = checker.username
    current.approval = Approval.pending
    current.approved_at = None
    current.approval_note = ""
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="enter",
        entity="cycle_actual",
        entity_id=f"{cycle.code}/{number}/{card}",
        changes={"value": (old, f"{text} (manual)"), "reviewer": (None, checker.username)},
        reason=why,
    )
    return current


def get_actual(db: Session, principal: Principal, cycle: Cycle, actual_id: int) -> CycleActual:
    """One actual of the cycle whose person the principal may see."""
    actual = db.scalar(
        select(CycleActual)
        .join(CycleAssignment, CycleActual.assignment_id == CycleAssignment.id)
        .join(CycleParticipant, CycleAssignment.participant_id == CycleParticipant.id)
        .where(
            CycleActual.id == actual_id,
            CycleActual.cycle_id == cycle.id,
            cycles.participant_filter(principal),
        )
    )
    if actual is None:
        raise NotFound(
            N_("No actual {id} in cycle {cycle} that you may see."), id=actual_id, cycle=cycle.code
        )
    return actual


def decide(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    actual_id: int,
    *,
    approve: bool,
    note: str = "",
    version: int,
) -> CycleActual:
    """The named reviewer approves a hand-entered actual (it then counts) or rejects it with a reason."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.approve_actual, principal.role)
    actual = get_actual(db, principal, cycle, actual_id)
    p = actual.assignment.participant
    code = actual.assignment.card.code
    check_version(actual, version, _label(cycle, p, code))
    if actual.approval is not Approval.pending:
        raise StateRefused(
            N_("This value is not waiting for approval (it is {state})."), state=actual.approval.value
        )
    if actual.reviewer_id != principal.user_id:
        raise Forbidden(
            N_("Only {reviewer}, named as reviewer when the value was entered, approves or rejects it."),
            reviewer=actual.reviewer,
        )
    text = (note or "").strip()
    if not approve and not text:
        raise ValidationFailed(
            N_("note: say why the value is rejected, so that it can be corrected."), field="note"
        )
    actual.approval = Approval.approved if approve else Approval.rejected
    actual.approved_at = utcnow()
    actual.approval_note = text
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="approve" if approve else "reject",
        entity="cycle_actual",
        entity_id=f"{cycle.code}/{p.employee.number}/{code}",
        changes={"approval": (Approval.pending.value, actual.approval.value)},
        reason=text or None,
    )
    return actual


# --- evidence -------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^\w.\- ()\u4e00-\u9fff]+")


def evidence_dir(settings: Settings, cycle: Cycle) -> Path:
    return Path(settings.data_dir) / "evidence" / cycle.code


def safe_name(filename: str) -> str:
    """The file's own name without any folder part or characters a file system may refuse."""
    base = Path((filename or "").replace("\\", "/")).name
    return (_UNSAFE.sub("_", base).strip(" .") or "evidence")[:200]


def add_evidence(
    db: Session,
    principal: Principal,
    settings: Settings,
    cycle: Cycle,
    actual_id: int,
    *,
    filename: str,
    content: bytes,
    content_type: str,
) -> CycleEvidence:
    """Attach a file to a hand-entered actual; stored once per content under the data directory."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.actuals, principal.role)
    actual = get_actual(db, principal, cycle, actual_id)
    if actual.origin is not ActualOrigin.manual:
        raise ValidationFailed(
            N_(
                "Evidence is attached to values entered by hand; a computed value shows its source rows instead."
            ),
            field="file",
        )
    if principal.user_id != actual.entered_by_id and principal.role not in HR:
        raise Forbidden(
            N_("Only {user}, who entered the value, or HR attaches its evidence."), user=actual.entered_by
        )
    if not content:
        raise ValidationFailed(N_("file: the file is empty; choose the file again."), field="file")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise ValidationFailed(
            N_("file: the file is larger than {limit} MB; attach a smaller scan or an extract."),
            limit=MAX_EVIDENCE_BYTES // (1024 * 1024),
            field="file",
        )
    digest = hashlib.sha256(content).hexdigest()
    folder = evidence_dir(settings, cycle)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(path)
    name = safe_name(filename)
    ev = CycleEvidence(
        cycle_id=cycle.id,
        actual_id=actual.id,
        filename=name,
        content_type=(content_type or "application/octet-stream")[:120],
        size=len(content),
        sha256=digest,
        uploaded_by=principal.username,
    )
    db.add(ev)
    db.flush()
    p = actual.assignment.participant
    audit.record(
        db,
        principal.actor,
        action="attach",
        entity="cycle_actual",
        entity_id=f"{cycle.code}/{p.employee.number}/{actual.assignment.card.code}",
        changes={"evidence": (None, f"{name} ({len(content)} bytes, sha256 {digest[:12]})")},
    )
    return ev


def evidence_file(
    db: Session, principal: Principal, settings: Settings, cycle: Cycle, evidence_id: int
) -> tuple[CycleEvidence, Path]:
    """An evidence file the principal may see (through its person's scope), and where its bytes are."""
    ev = db.get(CycleEvidence, evidence_id)
    if ev is None or ev.cycle_id != cycle.id:
        raise NotFound(N_("No evidence file {id} in cycle {cycle}."), id=evidence_id, cycle=cycle.code)
    get_actual(db, principal, cycle, ev.actual_id)
    path = evidence_dir(settings, cycle) / ev.sha256
    if not path.exists():
        raise NotFound(
            N_(
                "The file {name} is recorded but missing from the data directory: restore it from the backup."
            ),
            name=ev.filename,
        )
    return ev, path


def pending_for(
    db: Session, principal: Principal, cycle_ids: Iterable[int] | None = None
) -> list[CycleActual]:
    """Hand-entered actuals waiting for the principal's approval."""
    if principal.user_id is None:
        return []
    q = select(CycleActual).where(
        CycleActual.reviewer_id == principal.user_id, CycleActual.approval == Approval.pending
    )
    if cycle_ids is not None:
        q = q.where(CycleActual.cycle_id.in_(list(cycle_ids)))
    return list(db.scalars(q.order_by(CycleActual.id)).unique())
