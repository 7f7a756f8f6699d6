"""The design as a workspace document (export side of the workspace file).

Reading is done here, in one place, over every design table: the file must show exactly what
is stored (a lossless round trip is the contract), and each read is a plain ordered query, so
the domain services gain nothing by wrapping them. Writing goes through the services
(design_import.py), where the rules live.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.customers.models import (
    Customer,
    DepartmentCustomer,
    DepartmentProduct,
    Segment,
    ValueProposition,
)
from northstar.db import plain
from northstar.indicators.models import IndicatorCard
from northstar.indicators.service import to_card_in
from northstar.journey.models import JourneyStage, Process, Responsibility, SharedIndicator, Touchpoint
from northstar.pools.models import KpiCandidate
from northstar.positions import service as positions
from northstar.positions.service import candidate_ref
from northstar.scorecards.models import PersonalScorecard, TeamIndicator
from northstar.scorecards.personal_io import scorecard_of
from northstar.strategy.models import Objective, ObjectiveLink, StrategyRecord
from northstar.workspace import document as d


def _dec(value: Decimal | None) -> Decimal | None:
    return None if value is None else plain(Decimal(value))


def touchpoint_ref(tp: Touchpoint) -> d.TouchpointRef:
    return d.TouchpointRef(
        stage=tp.stage.code, name=tp.name, segment=tp.stage.segment.code if tp.stage.segment else None
    )


def export_design(db: Session) -> d.WorkspaceDoc:
    """Everything the design holds, in a stable order (so that two exports compare equal)."""
    return d.WorkspaceDoc(
        customers=_customers(db),
        segments=_segments(db),
        declarations=_declarations(db),
        journeys=_journeys(db),
        processes=_processes(db),
        shared_indicators=_shared(db),
        cards=_cards(db),
        strategy=_strategy(db),
        pools=_pools(db),
        positions=_positions(db),
        teams=_teams(db),
        scorecards=_scorecards(db),
    )


def _customers(db: Session) -> list[d.CustomerDoc]:
    return [
        d.CustomerDoc(
            code=c.code,
            name=c.name,
            name_en=c.name_en,
            category=c.category,
            segment=c.segment.code if c.segment else None,
            department=c.department.code if c.department else None,
            description=c.description,
        )
        for c in db.scalars(select(Customer).order_by(Customer.code))
    ]


def _segments(db: Session) -> list[d.SegmentDoc]:
    props = {p.segment_id: p for p in db.scalars(select(ValueProposition))}
    out = []
    for s in db.scalars(select(Segment).order_by(Segment.code)):
        p = props.get(s.id)
        out.append(
            d.SegmentDoc(
                code=s.code,
                name=s.name,
                name_en=s.name_en,
                market=s.market,
                is_key=s.is_key,
                description=s.description,
                dimensions=[d.DimensionDoc(dimension=dim.dimension, value=dim.value) for dim in s.dimensions],
                proposition=d.PropositionDoc(
                    cares_most=p.cares_most,
                    better_than_competitors=p.better_than_competitors,
                    relationship_value=p.relationship_value,
                    drivers=[d.DriverDoc(rank=x.rank, driver=x.driver_code, note=x.note) for x in p.drivers],
                )
                if p
                else None,
            )
        )
    return out


def _declarations(db: Session) -> list[d.DeclarationDoc]:
    served: dict[str, list[d.ServedDoc]] = defaultdict(list)
    for link in db.scalars(select(DepartmentCustomer).order_by(DepartmentCustomer.id)):
        served[link.department.code].append(d.ServedDoc(customer=link.customer.code, note=link.note))
    products: dict[str, list[d.ProductDoc]] = defaultdict(list)
    for prod in db.scalars(select(DepartmentProduct).order_by(DepartmentProduct.id)):
        products[prod.department.code].append(
            d.ProductDoc(
                name=prod.name,
                name_en=prod.name_en,
                customer=prod.customer.code if prod.customer else None,
                description=prod.description,
            )
        )
    return [
        d.DeclarationDoc(department=code, customers=served.get(code, []), products=products.get(code, []))
        for code in sorted(served.keys() | products.keys())
    ]


def _journeys(db: Session) -> list[d.JourneyDoc]:
    roles: dict[int, dict[str, Any]] = defaultdict(dict)
    for r in db.scalars(select(Responsibility).order_by(Responsibility.id)):
        roles[r.touchpoint_id][r.department.code] = r.role
    by_segment: dict[str | None, list[JourneyStage]] = defaultdict(list)
    for st in db.scalars(select(JourneyStage).order_by(JourneyStage.position, JourneyStage.id)):
        by_segment[st.segment.code if st.segment else None].append(st)
    keys = ([None] if None in by_segment else []) + sorted(k for k in by_segment if k is not None)
    return [
        d.JourneyDoc(
            segment=key,
            stages=[
                d.StageDoc(
                    code=st.code,
                    name=st.name,
                    name_en=st.name_en,
                    touchpoints=[
                        d.TouchpointDoc(
                            name=tp.name,
                            name_en=tp.name_en,
                            moment_of_truth=tp.moment_of_truth,
                            driver=tp.driver_code,
                            description=tp.description,
                            responsibilities=dict(sorted(roles.get(tp.id, {}).items())),
                        )
                        for tp in st.touchpoints
                    ],
                )
                for st in by_segment[key]
            ],
        )
        for key in keys
    ]


def _processes(db: Session) -> list[d.ProcessDoc]:
    return [
        d.ProcessDoc(
            code=p.code,
            name=p.name,
            name_en=p.name_en,
            description=p.description,
            owner=p.owner_department.code if p.owner_department else None,
            steps=[
                d.StepDoc(
                    name=s.name,
                    name_en=s.name_en,
                    department=s.department.code,
                    stage=s.stage.code if s.stage else None,
                    touchpoints=[
                        touchpoint_ref(tp)
                        for tp in sorted(
                            s.touchpoints, key=lambda tp: (tp.stage.position, tp.position, tp.id)
                        )
                    ],
                )
                for s in p.steps
            ],
        )
        for p in db.scalars(select(Process).order_by(Process.code))
    ]


def _shared(db: Session) -> list[d.SharedIndicatorDoc]:
    return [
        d.SharedIndicatorDoc(
            touchpoint=touchpoint_ref(s.touchpoint),
            name=s.name,
            name_en=s.name_en,
            indicator=s.indicator_code,
            shares={x.department.code: plain(Decimal(x.share)) for x in s.shares},
        )
        for s in db.scalars(select(SharedIndicator).order_by(SharedIndicator.id))
    ]


def _cards(db: Session) -> list[d.CardDoc]:
    out = []
    for card in db.scalars(select(IndicatorCard).order_by(IndicatorCard.code)):
        data = to_card_in(card).model_dump(exclude={"touchpoint_id"})
        out.append(d.CardDoc(**data, touchpoint=touchpoint_ref(card.touchpoint) if card.touchpoint else None))
    return out


def _strategy(db: Session) -> list[d.StrategyDoc]:
    out = []
    for rec in db.scalars(select(StrategyRecord).order_by(StrategyRecord.period)):
        objectives = list(
            db.scalars(select(Objective).where(Objective.record_id == rec.id).order_by(Objective.code))
        )
        ids = [o.id for o in objectives]
        links = (
            list(
                db.scalars(
                    select(ObjectiveLink).where(ObjectiveLink.cause_id.in_(ids)).order_by(ObjectiveLink.id)
                )
            )
            if ids
            else []
        )
        out.append(
            d.StrategyDoc(
                period=rec.period,
                title=rec.title,
                customer_focus=rec.customer_focus,
                aspiration=rec.aspiration,
                horizon_years=rec.horizon_years,
                priorities=[
                    d.PriorityDoc(
                        rank=p.rank,
                        driver=p.driver_code,
                        segment=p.segment.code if p.segment else None,
                        customer=p.customer.code if p.customer else None,
                        statement=p.statement,
                    )
                    for p in rec.priorities
                ],
                objectives=[
                    d.ObjectiveDoc(
                        code=o.code,
                        perspective=o.perspective,
                        name=o.name,
                        name_en=o.name_en,
                        rank=o.rank,
                        description=o.description,
                        priority=o.priority.rank if o.priority else None,
                        driver=o.driver_code,
                        indicators=[
                            d.ObjectiveIndicatorDoc(card=i.card.code, weight=_dec(i.weight))
                            for i in o.indicators
                        ],
                    )
                    for o in objectives
                ],
                links=[d.LinkDoc(cause=lk.cause.code, effect=lk.effect.code, note=lk.note) for lk in links],
            )
        )
    return out


def _pools(db: Session) -> list[d.PoolDoc]:
    by_dept: dict[str, list[d.CandidateDoc]] = defaultdict(list)
    objective_periods = {
        o.id: f"{period}/{o.code}"
        for o, period in db.execute(
            select(Objective, StrategyRecord.period).join(
                StrategyRecord, Objective.record_id == StrategyRecord.id
            )
        )
    }
    cands = list(db.scalars(select(KpiCandidate).order_by(KpiCandidate.id)))
    by_id = {c.id: c for c in cands}
    for c in cands:
        parent = by_id.get(c.parent_candidate_id) if c.parent_candidate_id else None
        by_dept[c.department.code].append(
            d.CandidateDoc(
                name=c.name,
                name_en=c.name_en,
                source=c.source,
                indicator=c.indicator_code,
                card=c.card.code if c.card else None,
                driver=c.driver_code,
                segment=c.proposition.segment.code if c.proposition else None,
                touchpoint=touchpoint_ref(c.touchpoint) if c.touchpoint else None,
                stage=c.stage.code if c.stage and not c.touchpoint else None,
                perspective=c.perspective,
                note=c.note,
                affects_value=c.affects_value,
                affects_note=c.affects_note,
                perceivable=c.perceivable,
                perceivable_note=c.perceivable_note,
                tier=c.tier,
                core=c.core,
                weight=_dec(c.weight),
                objective=objective_periods.get(c.objective_id) if c.objective_id else None,
                parent=candidate_ref(parent) if parent else None,
            )
        )
    return [d.PoolDoc(department=code, candidates=by_dept[code]) for code in sorted(by_dept)]


def _positions(db: Session) -> list[d.PositionDoc]:
    all_positions = positions.get_positions(db)
    designs = positions.designs_of(db, all_positions)
    return [
        d.PositionDoc(position=pos.code, **designs[pos.id].model_dump())
        for pos in all_positions
        if pos.id in designs
    ]


def _teams(db: Session) -> list[d.TeamDoc]:
    teams = sorted(
        db.scalars(select(TeamIndicator)), key=lambda t: (t.department.code, t.period, t.card.code)
    )
    return [
        d.TeamDoc(
            department=t.department.code,
            card=t.card.code,
            period=t.period,
            name=t.name,
            name_en=t.name_en,
            candidate=candidate_ref(t.candidate) if t.candidate else None,
            members=[
                d.MemberDoc(
                    employee=m.employee.number, share=plain(Decimal(m.share)), contribution=m.contribution
                )
                for m in t.members
            ],
        )
        for t in teams
    ]


def _scorecards(db: Session) -> list[d.ScorecardDoc]:
    cards = sorted(db.scalars(select(PersonalScorecard)), key=lambda sc: (sc.employee.number, sc.period))
    return [
        d.ScorecardDoc(employee=sc.employee.number, period=sc.period, **scorecard_of(sc).model_dump())
        for sc in cards
    ]


__all__ = ["export_design", "touchpoint_ref"]
