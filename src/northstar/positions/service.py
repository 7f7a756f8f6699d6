"""Position design by the key-responsibility-output method (S6.1): 3–5 key responsibilities,
the customers each serves, 1–2 key outputs per responsibility, one core indicator per output
plus the quality and collaboration indicators it needs.

A design is saved whole (``save_position_design``) and checked whole: what the stored rows
cannot represent (a third output, an unknown code) is a ``Problem`` that refuses the save;
what the method asks for but a draft may still lack (3–5 responsibilities, customers, weights
summing to 100) is a ``Finding`` shown with its fix. The piecewise edits of the pages go
through the same function, so there is one write path and one set of rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, ScalarResult, and_, func, or_, select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.customers.models import Customer
from northstar.db import check_version, plain, touch
from northstar.errors import N_, NotFound, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee, Position
from northstar.pools.models import KpiCandidate
from northstar.positions.findings import (
    MAX_OUTPUTS,
    design_findings,
    named,
    placed_indicators,
    weight_sum,
)
from northstar.positions.models import IndicatorRole, KeyOutput, PositionIndicator, PositionResponsibility
from northstar.positions.schemas import (
    CandidateRef,
    Finding,
    IndicatorIn,
    OutputIn,
    PositionDesignIn,
    ResponsibilityIn,
    Severity,
    SupportingIndicatorIn,
)
from northstar.security.principal import Principal
from northstar.security.scope import require_department_editor

# --- reading --------------------------------------------------------------------------------


def get_position(db: Session, position_id: int) -> Position:
    pos = db.get(Position, position_id)
    if pos is None:
        raise NotFound(N_("No position with id {id}."), id=position_id)
    return pos


def get_positions(db: Session, *, department_id: int | None = None) -> list[Position]:
    """Positions by department code, then position code (the structure is visible to everyone)."""
    q = select(Position).join(Position.department).order_by(Department.code, Position.code)
    if department_id is not None:
        q = q.where(Position.department_id == department_id)
    return list(db.scalars(q))


def _active(today: date) -> ColumnElement[bool]:
    return and_(Employee.start_date <= today, or_(Employee.end_date.is_(None), Employee.end_date >= today))


def holders_of(db: Session, position: Position, *, today: date | None = None) -> list[Employee]:
    """The people holding ``position`` today (started, not left), by employee number."""
    day = today or date.today()
    return list(
        db.scalars(
            select(Employee)
            .where(Employee.position_id == position.id, _active(day))
            .order_by(Employee.number)
        )
    )


def holder_counts(db: Session, *, today: date | None = None) -> dict[int, int]:
    """How many people hold each position today, in one grouped query."""
    day = today or date.today()
    rows = db.execute(
        select(Employee.position_id, func.count())
        .where(Employee.position_id.is_not(None), _active(day))
        .group_by(Employee.position_id)
    )
    return {pid: n for pid, n in rows if pid is not None}


def responsibilities_of(db: Session, position: Position) -> list[PositionResponsibility]:
    """The stored responsibilities with their customers and outputs, by rank."""
    return _load(db, [position.id])[position.id][0]


def indicators_of(db: Session, position: Position) -> list[PositionIndicator]:
    """The stored indicators of the position (what every holder inherits)."""
    return list(_indicators(db, [position.id]))


Loaded = tuple[list[PositionResponsibility], list[PositionIndicator]]


def _load(db: Session, position_ids: Sequence[int]) -> dict[int, Loaded]:
    out: dict[int, Loaded] = {pid: ([], []) for pid in position_ids}
    for r in db.scalars(
        select(PositionResponsibility)
        .where(PositionResponsibility.position_id.in_(position_ids))
        .order_by(PositionResponsibility.position_id, PositionResponsibility.rank)
    ):
        out[r.position_id][0].append(r)
    for pi in _indicators(db, position_ids):
        out[pi.position_id][1].append(pi)
    return out


def _indicators(db: Session, position_ids: Sequence[int]) -> ScalarResult[PositionIndicator]:
    return db.scalars(
        select(PositionIndicator)
        .where(PositionIndicator.position_id.in_(position_ids))
        .order_by(PositionIndicator.id)
    )


def candidate_ref(cand: KpiCandidate | None) -> CandidateRef | None:
    """How a design names a pool candidate: its department and indicator (or card, or name)."""
    if cand is None:
        return None
    key = cand.indicator_code or (cand.card.code if cand.card else None) or cand.name
    return CandidateRef(department=cand.department.code, indicator=key)


def _to_design(resps: list[PositionResponsibility], inds: list[PositionIndicator]) -> PositionDesignIn:
    by_output: dict[int | None, list[PositionIndicator]] = defaultdict(list)
    for pi in inds:
        by_output[pi.output_id].append(pi)

    def plain_in(pi: PositionIndicator) -> IndicatorIn:
        return IndicatorIn(card=pi.card.code, weight=pi.weight, candidate=candidate_ref(pi.candidate))

    def supporting(pi: PositionIndicator) -> SupportingIndicatorIn:
        return SupportingIndicatorIn(
            card=pi.card.code, weight=pi.weight, candidate=candidate_ref(pi.candidate), role=pi.role
        )

    responsibilities = []
    for r in resps:
        outputs = []
        for o in r.outputs:
            attached = by_output.pop(o.id, [])
            cores = [pi for pi in attached if pi.role is IndicatorRole.core]
            outputs.append(
                OutputIn(
                    name=o.name,
                    name_en=o.name_en,
                    indicator=plain_in(cores[0]) if cores else None,
                    # a second core of one output cannot be written through this service; should
                    # one exist, it is shown (and reported) rather than silently dropped
                    supporting=[supporting(pi) for pi in attached if pi is not (cores[0] if cores else None)],
                )
            )
        responsibilities.append(
            ResponsibilityIn(
                name=r.name,
                name_en=r.name_en,
                description=r.description,
                customers=sorted(c.code for c in r.customers),
                outputs=outputs,
            )
        )
    others = [supporting(pi) for rest in by_output.values() for pi in rest]
    return PositionDesignIn(responsibilities=responsibilities, other_indicators=others)


def design_of(db: Session, position: Position) -> PositionDesignIn:
    """The stored design as plain data: what the API returns and the workspace file exports."""
    return _to_design(*_load(db, [position.id])[position.id])


def designs_of(db: Session, positions: Sequence[Position]) -> dict[int, PositionDesignIn]:
    """The stored designs of many positions in one load, by position id; empty designs left out."""
    loaded = _load(db, [p.id for p in positions])
    return {pid: _to_design(resps, inds) for pid, (resps, inds) in loaded.items() if resps or inds}


def position_findings(db: Session, position: Position) -> list[Finding]:
    """The findings of the stored design."""
    resps, inds = _load(db, [position.id])[position.id]
    return design_findings(_to_design(resps, inds), {pi.card.code: pi.card for pi in inds})


# --- checking and saving a whole design -----------------------------------------------------


@dataclass
class _Refs:
    customers: dict[str, Customer] = field(default_factory=dict)
    cards: dict[str, IndicatorCard] = field(default_factory=dict)
    candidates: dict[tuple[str, str], KpiCandidate] = field(default_factory=dict)


def _candidates(
    db: Session, wanted: set[tuple[str, str]]
) -> tuple[dict[str, Department], dict[tuple[str, str], KpiCandidate]]:
    """The departments and pool candidates that (department code, indicator) pairs may name."""
    if not wanted:
        return {}, {}
    depts = {
        d.code: d for d in db.scalars(select(Department).where(Department.code.in_({d for d, _ in wanted})))
    }
    found: dict[tuple[str, str], KpiCandidate] = {}
    # only the candidates that answer to one of the wanted names, not the departments' whole
    # pools: a candidate loads with its card, touchpoint and objective, and a design import asks
    # for a few per scorecard, hundreds of times
    keys = {key for _, key in wanted}
    pool = db.scalars(
        select(KpiCandidate)
        .where(
            KpiCandidate.department_id.in_([d.id for d in depts.values()]),
            or_(
                KpiCandidate.name.in_(keys),
                KpiCandidate.indicator_code.in_(keys),
                KpiCandidate.card_id.in_(select(IndicatorCard.id).where(IndicatorCard.code.in_(keys))),
            ),
        )
        .order_by(KpiCandidate.id)
    )
    for cand in pool:
        for key in (cand.name, cand.card.code if cand.card else None, cand.indicator_code):
            if key:  # later keys win: the indicator code is the surest name
                found[(cand.department.code, key)] = cand
    return depts, found


def _candidate_problem(
    ref: CandidateRef,
    depts: Mapping[str, Department],
    pool: Mapping[tuple[str, str], KpiCandidate],
    path: str,
) -> Problem | None:
    if ref.department not in depts:
        return Problem(
            N_("Unknown department code {code}: use the code of an existing department."),
            {"code": ref.department},
            field=f"{path}.department",
        )
    if (ref.department, ref.indicator) not in pool:
        return Problem(
            N_(
                'The KPI pool of {department} has no candidate "{indicator}": add it to the pool '
                "first, or pick one that is there."
            ),
            {"department": named(depts[ref.department]), "indicator": ref.indicator},
            field=f"{path}.indicator",
        )
    return None


def _resolve(db: Session, design: PositionDesignIn) -> tuple[list[Problem], _Refs]:
    """Every problem that refuses the save, each naming its path; and the records the codes name."""
    problems: list[Problem] = []
    refs = _Refs()
    placed = list(placed_indicators(design))
    codes = {c for r in design.responsibilities for c in r.customers}
    if codes:
        refs.customers = {c.code: c for c in db.scalars(select(Customer).where(Customer.code.in_(codes)))}
    cards = {ind.card for _p, ind, _r, _w in placed}
    if cards:
        refs.cards = {
            c.code: c for c in db.scalars(select(IndicatorCard).where(IndicatorCard.code.in_(cards)))
        }
    depts, refs.candidates = _candidates(
        db,
        {(ind.candidate.department, ind.candidate.indicator) for _p, ind, _r, _w in placed if ind.candidate},
    )

    for i, r in enumerate(design.responsibilities):
        base = f"responsibilities[{i}]"
        if len(r.outputs) > MAX_OUTPUTS:
            problems.append(
                Problem(
                    N_(
                        "Responsibility {n} has {count} key outputs: keep the 1–2 that matter most to its "
                        "customers, or split the responsibility in two."
                    ),
                    {"n": i + 1, "count": len(r.outputs)},
                    field=f"{base}.outputs",
                )
            )
        seen: set[str] = set()
        for j, code in enumerate(r.customers):
            if code not in refs.customers:
                problems.append(
                    Problem(
                        N_(
                            'Unknown customer code "{code}": use the code of an external or internal customer '
                            "in the registry."
                        ),
                        {"code": code},
                        field=f"{base}.customers[{j}]",
                    )
                )
            elif code in seen:
                problems.append(
                    Problem(
                        N_("Customer {code} is listed twice for this responsibility: keep it once."),
                        {"code": code},
                        field=f"{base}.customers[{j}]",
                    )
                )
            seen.add(code)

    first_at: dict[str, str] = {}
    for path, ind, role, _where in placed:
        if ind.card not in refs.cards:
            problems.append(
                Problem(
                    N_('No indicator card with code "{code}": check the spelling or add the card first.'),
                    {"code": ind.card},
                    field=f"{path}.card",
                )
            )
        elif ind.card in first_at:
            problems.append(
                Problem(
                    N_(
                        "The card {card} is already on this position at {first}: a card appears once per "
                        "position — keep one and remove the other."
                    ),
                    {"card": named(refs.cards[ind.card]), "first": first_at[ind.card]},
                    field=f"{path}.card",
                )
            )
        first_at.setdefault(ind.card, path)
        if role is IndicatorRole.core and not path.endswith(".indicator"):
            problems.append(
                Problem(
                    N_(
                        "The core indicator of an output is given as its indicator: make {card} a quality or "
                        "collaboration indicator, or make it the core indicator of the output it measures."
                    ),
                    {"card": ind.card},
                    field=f"{path}.role",
                )
            )
        if ind.candidate is not None:
            problem = _candidate_problem(ind.candidate, depts, refs.candidates, f"{path}.candidate")
            if problem is not None:
                problems.append(problem)
    return problems, refs


@dataclass(frozen=True)
class CandidatePool:
    """The departments and pool candidates a set of references may name, read in one query."""

    departments: dict[str, Department]
    candidates: dict[tuple[str, str], KpiCandidate]

    def find(self, ref: CandidateRef, path: str = "candidate") -> KpiCandidate:
        """The candidate ``ref`` names; ValidationFailed naming ``path`` and the fix otherwise."""
        problem = _candidate_problem(ref, self.departments, self.candidates, path)
        if problem is not None:
            raise ValidationFailed(N_("The department indicator cannot be found."), problems=[problem])
        return self.candidates[(ref.department, ref.indicator)]


def candidate_pool(db: Session, refs: Iterable[CandidateRef]) -> CandidatePool:
    """What ``refs`` name, read at once: a caller resolving many (a design import's scorecards)
    reads them in one query instead of one per reference."""
    return CandidatePool(*_candidates(db, {(r.department, r.indicator) for r in refs}))


def resolve_candidate(db: Session, ref: CandidateRef, *, path: str = "candidate") -> KpiCandidate:
    """The pool candidate ``ref`` names; ValidationFailed naming ``path`` and the fix otherwise."""
    return candidate_pool(db, [ref]).find(ref, path)


def design_problems(db: Session, design: PositionDesignIn) -> list[Problem]:
    """What would refuse saving ``design`` (for ``workspace validate``), each naming its path."""
    return _resolve(db, design)[0]


def _flatten(design: PositionDesignIn) -> dict[str, str]:
    """The design as audit fields: one per responsibility, output and indicator."""
    out: dict[str, str] = {}
    for i, r in enumerate(design.responsibilities):
        base = f"responsibilities[{i}]"
        out[base] = r.name + (f" / {r.name_en}" if r.name_en else "")
        out[f"{base}.description"] = r.description
        out[f"{base}.customers"] = ", ".join(dict.fromkeys(r.customers))
        for j, o in enumerate(r.outputs):
            out[f"{base}.outputs[{j}]"] = o.name + (f" / {o.name_en}" if o.name_en else "")
    for path, ind, role, _where in placed_indicators(design):
        cand = f" → {ind.candidate.department}/{ind.candidate.indicator}" if ind.candidate else ""
        out[f"indicator:{ind.card}"] = f"{role.value} {plain(ind.weight)}% @ {path}{cand}"
    return {k: v for k, v in out.items() if v}


def save_position_design(
    db: Session,
    principal: Principal,
    position: Position,
    design: PositionDesignIn,
    *,
    version: int | None = None,
    reason: str | None = None,
) -> Position:
    """Replace a position's design with ``design``, checked as a whole; audited field by field."""
    require_department_editor(db, principal, position.department_id)
    if version is not None:
        check_version(position, version, position.name)
    problems, refs = _resolve(db, design)
    if problems:
        raise ValidationFailed(
            N_("The design of position {position} cannot be saved: fix the problems listed."),
            problems=problems,
            position=named(position),
        )
    resps, inds = _load(db, [position.id])[position.id]
    before = _flatten(_to_design(resps, inds))

    # Rows are matched by rank and by card, never dropped and re-added: personal scorecards
    # point at the position's indicators, and a re-created row would cut their inheritance.
    outputs: list[list[KeyOutput]] = []
    for i, r in enumerate(design.responsibilities):
        if i < len(resps):
            row = resps[i]
        else:
            row = PositionResponsibility(position=position, rank=i + 1)
            db.add(row)
        row.name, row.name_en, row.description = r.name.strip(), r.name_en.strip(), r.description
        row.customers = [refs.customers[c] for c in dict.fromkeys(r.customers)]
        old = list(row.outputs)
        kept = []
        for j, o in enumerate(r.outputs):
            out = old[j] if j < len(old) else KeyOutput(rank=j + 1)
            out.name, out.name_en = o.name.strip(), o.name_en.strip()
            kept.append(out)
        row.outputs = kept
        outputs.append(kept)
    for row in resps[len(design.responsibilities) :]:
        db.delete(row)

    by_card = {pi.card_id: pi for pi in inds}
    for _path, ind, role, where in placed_indicators(design):
        card = refs.cards[ind.card]
        pi = by_card.pop(card.id, None)
        if pi is None:
            pi = PositionIndicator(position=position, card=card)
            db.add(pi)
        pi.role = role
        pi.weight = ind.weight
        pi.output = outputs[where[0]][where[1]] if where else None
        pi.candidate = (
            refs.candidates[(ind.candidate.department, ind.candidate.indicator)] if ind.candidate else None
        )
    for pi in by_card.values():
        db.delete(pi)
    touch(position, "name")
    db.flush()

    after = _flatten(design)
    changes = {k: (before.get(k), after.get(k)) for k in sorted(set(before) | set(after))}
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="position_design",
        entity_id=position.code,
        changes=changes,
        reason=reason,
    )
    return position


# --- the list of positions ------------------------------------------------------------------


@dataclass
class PositionSummary:
    """One position's design status for the list page and the API."""

    position: Position
    responsibilities: int
    outputs: int
    indicators: int
    weight_sum: Decimal
    holders: int
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.warning)

    @property
    def status(self) -> str:
        if not self.responsibilities and not self.indicators:
            return "empty"
        return "draft" if self.errors else "complete"


def position_summaries(
    db: Session, *, department_id: int | None = None, today: date | None = None
) -> list[PositionSummary]:
    """Every position (of one department if given) with its counts and findings, in a few queries."""
    positions = get_positions(db, department_id=department_id)
    loaded = _load(db, [p.id for p in positions]) if positions else {}
    counts = holder_counts(db, today=today)
    out = []
    for pos in positions:
        resps, inds = loaded[pos.id]
        design = _to_design(resps, inds)
        out.append(
            PositionSummary(
                position=pos,
                responsibilities=len(resps),
                outputs=sum(len(r.outputs) for r in resps),
                indicators=len(inds),
                weight_sum=weight_sum(design),
                holders=counts.get(pos.id, 0),
                findings=design_findings(design, {pi.card.code: pi.card for pi in inds}),
            )
        )
    return out
