"""KPI pool candidates, and how many indicators point at each declared customer value."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit, catalogue
from northstar.customers.models import ValueProposition
from northstar.errors import N_, Conflict, NotFound, ValidationFailed
from northstar.journey.models import Touchpoint
from northstar.org.models import Department
from northstar.pools.models import CandidateSource, KpiCandidate, Perspective
from northstar.security.principal import Principal
from northstar.security.scope import require_department_editor


def get_candidates(db: Session, department: Department) -> list[KpiCandidate]:
    """A department's pool, in the order the candidates were added."""
    return list(
        db.scalars(
            select(KpiCandidate).where(KpiCandidate.department_id == department.id).order_by(KpiCandidate.id)
        )
    )


def get_candidate(db: Session, candidate_id: int) -> KpiCandidate:
    cand = db.get(KpiCandidate, candidate_id)
    if cand is None:
        raise NotFound(N_("No KPI pool candidate with id {id}."), id=candidate_id)
    return cand


def add_candidate(
    db: Session,
    principal: Principal,
    department: Department,
    *,
    name: str,
    name_en: str = "",
    source: CandidateSource = CandidateSource.new,
    indicator_code: str | None = None,
    driver_code: str | None = None,
    proposition: ValueProposition | None = None,
    touchpoint: Touchpoint | None = None,
    perspective: Perspective | None = None,
    note: str = "",
) -> KpiCandidate:
    """Put a candidate indicator into a department's KPI pool, tagged with the value it serves."""
    require_department_editor(db, principal, department.id)
    if not name.strip():
        raise ValidationFailed(N_("The candidate needs a name: say what is measured."))
    if driver_code and catalogue.value_driver(driver_code) is None:
        raise ValidationFailed(
            N_('Unknown value driver "{driver}": choose one from the value-driver catalogue.'),
            driver=driver_code,
        )
    if indicator_code and db.scalar(
        select(KpiCandidate.id).where(
            KpiCandidate.department_id == department.id, KpiCandidate.indicator_code == indicator_code
        )
    ):
        raise Conflict(
            N_("{indicator} is already in the KPI pool of {department}."),
            indicator=name,
            department=department.name,
        )
    if touchpoint is not None and not driver_code:
        driver_code = touchpoint.driver_code
    cand = KpiCandidate(
        department=department,
        name=name.strip(),
        name_en=name_en.strip(),
        source=source,
        indicator_code=indicator_code,
        driver_code=driver_code,
        proposition=proposition,
        touchpoint=touchpoint,
        stage=touchpoint.stage if touchpoint is not None else None,
        perspective=perspective,
        note=note,
        created_by=principal.username,
    )
    db.add(cand)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="kpi_candidate",
        entity_id=f"{department.code}/{indicator_code or cand.id}",
        changes={
            "name": (None, cand.name),
            "source": (None, source),
            "driver": (None, driver_code),
            "value_proposition": (None, proposition.segment.code if proposition else None),
            "touchpoint": (None, touchpoint.name if touchpoint else None),
            "perspective": (None, perspective),
        },
    )
    return cand


def add_suggestion(
    db: Session,
    principal: Principal,
    department: Department,
    proposition: ValueProposition,
    indicator_code: str,
) -> KpiCandidate:
    """Take one of a proposition's suggested indicators into a department's pool (S2.3 → S5.2)."""
    ranked = [(d.rank, d.driver_code) for d in proposition.drivers]
    suggestion = next((s for s in catalogue.suggest(ranked) if s.indicator.code == indicator_code), None)
    if suggestion is None:
        raise ValidationFailed(
            N_("{indicator} is not among the suggestions of this value proposition: pick one from its list."),
            indicator=indicator_code,
        )
    ind = suggestion.indicator
    return add_candidate(
        db,
        principal,
        department,
        name=ind.name.zh,
        name_en=ind.name.en,
        source=CandidateSource.suggestion,
        indicator_code=ind.code,
        driver_code=suggestion.driver_codes[0],
        proposition=proposition,
        perspective=Perspective(ind.perspective),
    )


def remove_candidate(
    db: Session, principal: Principal, cand: KpiCandidate, *, reason: str | None = None
) -> None:
    require_department_editor(db, principal, cand.department_id)
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="kpi_candidate",
        entity_id=f"{cand.department.code}/{cand.indicator_code or cand.id}",
        changes={"name": (cand.name, None)},
        reason=reason,
    )
    db.delete(cand)
    db.flush()


def indicators_pointing_at(db: Session, values: Sequence[tuple[str, int | None]]) -> list[int]:
    """For each declared customer value (driver code, segment id or None), how many indicators in
    the design point at it (S1.1, question 2): pool candidates tagged with that driver or
    recommended for it by the catalogue, unless they came from another segment's proposition. Computed on every read, never stored."""
    drivers = {d for d, _ in values}
    if not drivers:
        return []
    # an indicator serves every driver the catalogue recommends it for, besides the one it was tagged with
    recommended: dict[str, set[str]] = {}
    for drv in catalogue.value_drivers():
        for ind in drv.indicators:
            recommended.setdefault(ind.code, set()).add(drv.code)
    rows = [
        (({d} if d else set()) | recommended.get(code or "", set()), seg)
        for d, code, seg in db.execute(
            select(
                KpiCandidate.driver_code, KpiCandidate.indicator_code, ValueProposition.segment_id
            ).outerjoin(ValueProposition, KpiCandidate.proposition_id == ValueProposition.id)
        )
    ]
    return [
        sum(
            1
            for served, seg in rows
            if driver in served and (segment_id is None or seg is None or seg == segment_id)
        )
        for driver, segment_id in values
    ]
