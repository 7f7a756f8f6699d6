"""Department KPI pools (S5): candidates tagged with the customer value they serve, the two
admission questions, A/B/C tiers, the core set and its weights, the cascade links up to the
enterprise objectives; and how many indicators point at each declared customer value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit, catalogue
from northstar.catalogue import library
from northstar.customers.models import ValueProposition
from northstar.db import plain
from northstar.errors import N_, Conflict, Named, NotFound, Problem, ValidationFailed
from northstar.indicators import service as cards
from northstar.indicators.models import IndicatorCard
from northstar.journey.models import JourneyStage, Touchpoint
from northstar.org.models import Department
from northstar.pools.findings import (
    Finding,
    PoolSummary,
    candidate_name,
    core_blockers,
    pool_findings,
    pool_overview,
)
from northstar.pools.models import CandidateSource, KpiCandidate, Perspective, Tier
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.security.scope import require_department_editor
from northstar.strategy.models import Objective

__all__ = [
    "Finding",
    "PoolSummary",
    "add_candidate",
    "add_library_candidate",
    "add_suggestion",
    "assess_candidate",
    "get_candidate",
    "get_candidates",
    "indicators_pointing_at",
    "link_card",
    "pool_findings",
    "pool_overview",
    "remove_candidate",
    "retag_candidate",
    "save_core_set",
    "set_objective",
    "set_parent_candidate",
]


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


def _check_duplicate(db: Session, department: Department, indicator_code: str | None, name: str) -> None:
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
    card: IndicatorCard | None = None,
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
    if card is not None:
        indicator_code = indicator_code or card.code
        driver_code = driver_code or card.driver_code
        perspective = perspective or card.perspective
    _check_duplicate(db, department, indicator_code, name)
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
        card=card,
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
            "card": (None, card.code if card else None),
        },
    )
    return cand


def _library_card(
    db: Session, principal: Principal, department: Department, code: str
) -> IndicatorCard | None:
    """The design's card for library indicator ``code``, adopted if needed; None when the library
    has no such card. Designers adopt company-wide cards; a manager's adoption is owned by their
    department."""
    if library.library_card(code) is None:
        return None
    owner = None if principal.role in DESIGN_ROLES else department
    return cards.get_or_adopt_library_card(db, principal, code, department=owner)


def add_suggestion(
    db: Session,
    principal: Principal,
    department: Department,
    proposition: ValueProposition,
    indicator_code: str,
) -> KpiCandidate:
    """Take one of a proposition's suggested indicators into a department's pool (S2.3 → S5.2);
    when the library has a card of that code it is adopted (if needed) and linked."""
    ranked = [(d.rank, d.driver_code) for d in proposition.drivers]
    suggestion = next((s for s in catalogue.suggest(ranked) if s.indicator.code == indicator_code), None)
    if suggestion is None:
        raise ValidationFailed(
            N_("{indicator} is not among the suggestions of this value proposition: pick one from its list."),
            indicator=indicator_code,
        )
    ind = suggestion.indicator
    require_department_editor(db, principal, department.id)
    _check_duplicate(db, department, ind.code, ind.name.zh)
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
        card=_library_card(db, principal, department, ind.code),
    )


def add_library_candidate(
    db: Session,
    principal: Principal,
    department: Department,
    code: str,
    *,
    perspective: Perspective | None = None,
    touchpoint: Touchpoint | None = None,
    note: str = "",
) -> KpiCandidate:
    """Take a library indicator into a department's pool (S5.4 → S5.2), adopting its card if needed."""
    require_department_editor(db, principal, department.id)
    source = cards.get_library_card(code)
    _check_duplicate(db, department, code, source.name)
    card = _library_card(db, principal, department, code)
    assert card is not None  # get_library_card found it
    return add_candidate(
        db,
        principal,
        department,
        name=card.name,
        name_en=card.name_en,
        source=CandidateSource.library,
        indicator_code=code,
        touchpoint=touchpoint,
        perspective=perspective,
        note=note,
        card=card,
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


def _key(cand: KpiCandidate) -> str:
    return f"{cand.department.code}/{cand.indicator_code or cand.id}"


def _record(
    db: Session,
    principal: Principal,
    cand: KpiCandidate,
    changes: dict[str, tuple[Any, Any]],
    reason: str | None,
) -> None:
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="kpi_candidate",
        entity_id=_key(cand),
        changes=changes,
        reason=reason,
    )


# --- admission, tiers and the core set (S5.2, S5.3) ------------------------------------------


def assess_candidate(
    db: Session,
    principal: Principal,
    cand: KpiCandidate,
    *,
    affects_value: bool | None,
    affects_note: str = "",
    perceivable: bool | None,
    perceivable_note: str = "",
    tier: Tier | None,
    reason: str | None = None,
) -> KpiCandidate:
    """Record the two admission answers (None = not answered yet) and the A/B/C tier (S5.3).
    A core candidate keeps tier A and two yes answers: take it out of the core set first."""
    require_department_editor(db, principal, cand.department_id)
    if cand.core and (tier is not Tier.A or affects_value is not True or perceivable is not True):
        raise ValidationFailed(
            N_(
                "{candidate} is in the core set, which needs tier A and a yes to both admission "
                "questions: take it out of the core set first."
            ),
            candidate=candidate_name(cand),
            problems=[
                Problem(N_("Take it out of the core set first."), field="core"),
            ],
        )
    changes = audit.apply(
        cand,
        {
            "affects_value": affects_value,
            "affects_note": affects_note.strip(),
            "perceivable": perceivable,
            "perceivable_note": perceivable_note.strip(),
            "tier": tier,
        },
    )
    _record(db, principal, cand, changes, reason)
    return cand


def _weight(
    raw: Decimal | str | int | None, name: Named, field: str, problems: list[Problem]
) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        problems.append(
            Problem(
                N_("{candidate} is core but has no weight: give it a weight in %."),
                {"candidate": name},
                field=field,
            )
        )
        return None
    try:
        value = Decimal(str(raw).strip().rstrip("%"))
    except InvalidOperation:
        problems.append(
            Problem(N_("The weight of {candidate} must be a number."), {"candidate": name}, field=field)
        )
        return None
    if not value.is_finite() or value <= 0 or value > 100:
        problems.append(
            Problem(
                N_("The weight of {candidate} is {weight}: use a number above 0 and at most 100."),
                {"candidate": name, "weight": str(value)},
                field=field,
            )
        )
        return None
    return plain(value)


def save_core_set(
    db: Session,
    principal: Principal,
    department: Department,
    picks: Mapping[int, Decimal | str | int | None],
    *,
    reason: str | None = None,
) -> list[KpiCandidate]:
    """Choose the core set (candidate id → weight %); every other candidate becomes observed.
    A candidate is core only with tier A and a yes to both admission questions; the problems say
    which is missing. Weights summing to 100 is a finding, not a refusal, so a set can be drafted."""
    require_department_editor(db, principal, department.id)
    pool = {c.id: c for c in get_candidates(db, department)}
    problems: list[Problem] = []
    weights: dict[int, Decimal | None] = {}
    for cand_id, raw in picks.items():
        field = f"core[{cand_id}]"
        cand = pool.get(cand_id)
        if cand is None:
            problems.append(
                Problem(
                    N_("Candidate {id} is not in the KPI pool of {department}."),
                    {
                        "id": cand_id,
                        "department": Named(department.name_en or department.name, department.name),
                    },
                    field=field,
                )
            )
            continue
        name = candidate_name(cand)
        for message in core_blockers(cand):
            problems.append(Problem(message, {"candidate": name, "tier": cand.tier or "—"}, field=field))
        weights[cand_id] = _weight(raw, name, f"{field}.weight", problems)
    if problems:
        raise ValidationFailed(
            N_("The core set of {department} was not saved: fix the candidates listed."),
            department=Named(department.name_en or department.name, department.name),
            problems=problems,
        )
    for cand in pool.values():
        core = cand.id in weights
        changes = audit.apply(cand, {"core": core, "weight": weights.get(cand.id) if core else None})
        if changes:
            _record(db, principal, cand, changes, reason)
    return [c for c in pool.values() if c.core]


def link_card(
    db: Session,
    principal: Principal,
    cand: KpiCandidate,
    card: IndicatorCard | None,
    *,
    reason: str | None = None,
) -> KpiCandidate:
    """Link the indicator card that defines a candidate (None unlinks it)."""
    require_department_editor(db, principal, cand.department_id)
    old = cand.card.code if cand.card else None
    cand.card = card
    changes: dict[str, tuple[Any, Any]] = (
        {"card": (old, card.code if card else None)} if old != (card.code if card else None) else {}
    )
    if card is not None and not cand.indicator_code:
        _check_duplicate(db, cand.department, card.code, cand.name)
        changes.update(audit.apply(cand, {"indicator_code": card.code}))
    _record(db, principal, cand, changes, reason)
    return cand


def retag_candidate(
    db: Session,
    principal: Principal,
    cand: KpiCandidate,
    *,
    driver_code: str | None,
    touchpoint: Touchpoint | None,
    stage: JourneyStage | None,
    perspective: Perspective | None,
    note: str | None = None,
    reason: str | None = None,
) -> KpiCandidate:
    """Change the customer value a candidate points at (value driver, touchpoint or stage) and its
    perspective; a touchpoint brings its stage."""
    require_department_editor(db, principal, cand.department_id)
    if driver_code and catalogue.value_driver(driver_code) is None:
        raise ValidationFailed(
            N_('Unknown value driver "{driver}": choose one from the value-driver catalogue.'),
            driver=driver_code,
            problems=[Problem(N_("Choose a value driver from the catalogue."), field="driver")],
        )
    if touchpoint is not None:
        stage = touchpoint.stage
    values: dict[str, Any] = {
        "driver_code": driver_code,
        "touchpoint_id": touchpoint.id if touchpoint else None,
        "stage_id": stage.id if stage else None,
        "perspective": perspective,
    }
    if note is not None:
        values["note"] = note
    changes = audit.apply(cand, values)
    _record(db, principal, cand, changes, reason)
    db.refresh(cand)
    return cand


# --- cascading (S6.4) -----------------------------------------------------------------------


def set_objective(
    db: Session,
    principal: Principal,
    cand: KpiCandidate,
    objective: Objective | None,
    *,
    reason: str | None = None,
) -> KpiCandidate:
    """Link a candidate to the enterprise objective it serves (None unlinks it)."""
    require_department_editor(db, principal, cand.department_id)
    old = cand.objective.code if cand.objective else None
    cand.objective = objective
    new = objective.code if objective else None
    _record(db, principal, cand, {"objective": (old, new)} if old != new else {}, reason)
    return cand


def _department_chain(department: Department) -> list[Department]:
    chain, seen = [department], {department.id}
    while chain[-1].parent is not None and chain[-1].parent.id not in seen:
        chain.append(chain[-1].parent)
        seen.add(chain[-1].id)
    return chain


def _label(en: str, zh: str) -> Named:
    return Named(en or zh, zh)


def set_parent_candidate(
    db: Session,
    principal: Principal,
    cand: KpiCandidate,
    parent: KpiCandidate | None,
    *,
    reason: str | None = None,
) -> KpiCandidate:
    """Link a candidate to the indicator of a department above it that it serves (None unlinks).
    Refused when the parent's department is not an ancestor of this one, or when the link would
    make the candidate its own ancestor; the message names the chain."""
    require_department_editor(db, principal, cand.department_id)
    if parent is not None:
        chain = _department_chain(cand.department)
        if parent.department_id not in {d.id for d in chain[1:]}:
            raise ValidationFailed(
                N_(
                    "{parent} belongs to {parent_department}, which is not above {department} "
                    "({chain}): link to an indicator of a department in that chain."
                ),
                parent=candidate_name(parent),
                parent_department=_label(parent.department.name_en, parent.department.name),
                department=_label(cand.department.name_en, cand.department.name),
                chain=_label(
                    " → ".join(d.name_en or d.name for d in chain), " → ".join(d.name for d in chain)
                ),
                problems=[
                    Problem(N_("Pick an indicator of a parent department."), field="parent_candidate_id")
                ],
            )
        path: list[KpiCandidate] = [cand]
        node: KpiCandidate | None = parent
        while node is not None:
            path.append(node)
            if node.id == cand.id:
                raise ValidationFailed(
                    N_("This link would make {candidate} its own ancestor ({chain}): pick another parent."),
                    candidate=candidate_name(cand),
                    chain=_label(
                        " → ".join(c.name_en or c.name for c in path), " → ".join(c.name for c in path)
                    ),
                    problems=[Problem(N_("Pick another parent."), field="parent_candidate_id")],
                )
            if len(path) > 100:  # a loop above this candidate, not through it: stop walking
                break
            node = node.parent_candidate
    old = cand.parent_candidate
    cand.parent_candidate = parent
    before, after = (_key(old) if old else None), (_key(parent) if parent else None)
    _record(
        db,
        principal,
        cand,
        {"parent_candidate": (before, after)} if before != after else {},
        reason,
    )
    return cand


# --- how many indicators point at a declared customer value (S1.1, question 2) ----------------


def indicators_pointing_at(db: Session, values: Sequence[tuple[str, int | None]]) -> list[int]:
    """For each declared customer value (driver code, segment id or None), how many distinct
    indicators of the design point at it: enterprise objective indicators, pool candidates and
    position indicators whose card is tagged with the driver or recommended for it by the
    catalogue. A candidate taken from another segment's proposition does not count for this
    one. Indicators are counted once by code. Computed on every read, never stored."""
    from northstar.positions.models import PositionIndicator
    from northstar.strategy.models import ObjectiveIndicator

    if not values:
        return []
    # an indicator serves every driver the catalogue recommends it for, besides the one it was tagged with
    recommended: dict[str, set[str]] = {}
    for value_driver in catalogue.value_drivers():
        for ind in value_driver.indicators:
            recommended.setdefault(ind.code, set()).add(value_driver.code)

    def served(driver: str | None, *codes: str | None) -> set[str]:
        out = {driver} if driver else set()
        for code in codes:
            out |= recommended.get(code or "", set())
        return out

    # (indicator key, drivers served, segment of the proposition it came from)
    rows: list[tuple[str, set[str], int | None]] = []
    for cand_id, drv, code, card_code, card_lib, card_drv, seg in db.execute(
        select(
            KpiCandidate.id,
            KpiCandidate.driver_code,
            KpiCandidate.indicator_code,
            IndicatorCard.code,
            IndicatorCard.library_code,
            IndicatorCard.driver_code,
            ValueProposition.segment_id,
        )
        .outerjoin(ValueProposition, KpiCandidate.proposition_id == ValueProposition.id)
        .outerjoin(IndicatorCard, KpiCandidate.card_id == IndicatorCard.id)
    ):
        key = card_code or code or f"candidate:{cand_id}"
        rows.append((key, served(drv, code, card_lib) | served(card_drv, card_code), seg))
    for link in (ObjectiveIndicator, PositionIndicator):
        for card_code, card_lib, card_drv in db.execute(
            select(IndicatorCard.code, IndicatorCard.library_code, IndicatorCard.driver_code).join(
                link, link.card_id == IndicatorCard.id
            )
        ):
            rows.append((card_code, served(card_drv, card_code, card_lib), None))
    return [
        len(
            {
                key
                for key, drivers, seg in rows
                if driver in drivers and (segment_id is None or seg is None or seg == segment_id)
            }
        )
        for driver, segment_id in values
    ]
