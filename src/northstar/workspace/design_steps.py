"""The steps of a workspace-file import, one per section, in dependency order: each brings its
section in through the domain's services and reports what they refuse at the section's path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.customers import service as customers
from northstar.errors import N_, NorthstarError, Problem, ValidationFailed
from northstar.indicators import service as indicators
from northstar.journey import service as journey
from northstar.journey.models import JourneyStage, Touchpoint
from northstar.org.service import get_department_by_code, get_employee_by_number, get_position_by_code
from northstar.pools import service as pools
from northstar.pools.models import KpiCandidate
from northstar.positions import service as positions
from northstar.positions.schemas import CandidateRef
from northstar.scorecards import personal_io, teams
from northstar.scorecards.schemas import ScorecardIn
from northstar.security.principal import Principal
from northstar.strategy import scorecard
from northstar.strategy import service as strategy
from northstar.strategy.models import Objective, StrategyRecord
from northstar.workspace import document as d

#: tables that hold a design; the file is only imported where all of them are empty


@dataclass
class PathProblems:
    """Problems collected across the whole file, each at its path, so the user sees them all."""

    items: list[Problem] = field(default_factory=list)

    def add(self, path: str, message: str, **params: Any) -> None:
        self.items.append(Problem(message, params, field=path))

    @contextmanager
    def at(self, path: str) -> Iterator[None]:
        """Turn a service's refusal into a problem at ``path`` instead of stopping the import."""
        try:
            yield
        except ValidationFailed as exc:
            if exc.problems:
                for p in exc.problems:
                    self.items.append(Problem(p.message, p.params, field=_join(path, p.field)))
            else:
                self.add(path, exc.message, **exc.params)
        except NorthstarError as exc:
            self.add(path, exc.message, **exc.params)


def _join(path: str, sub: str | None) -> str:
    if not sub:
        return path
    return f"{path}{sub}" if sub.startswith("[") else f"{path}.{sub}"


@dataclass
class Context:
    db: Session
    principal: Principal
    problems: PathProblems
    touchpoints: dict[tuple[str | None, str, str], Touchpoint] = field(default_factory=dict)
    stages: dict[tuple[str | None, str], JourneyStage] = field(default_factory=dict)

    def load_journeys(self) -> None:
        """Know the stored journeys' stages and touchpoints by their file references."""
        for st in self.db.scalars(select(JourneyStage)):
            seg = st.segment.code if st.segment else None
            self.stages[(seg, st.code)] = st
            for tp in st.touchpoints:
                self.touchpoints[(seg, st.code, tp.name)] = tp

    def candidate(self, ref: CandidateRef, path: str) -> KpiCandidate | None:
        """A pool candidate by department code and indicator (or card) code."""
        with self.problems.at(path):
            return positions.resolve_candidate(self.db, ref, path="")
        return None

    def touchpoint(self, ref: d.TouchpointRef, path: str) -> Touchpoint | None:
        tp = self.touchpoints.get((ref.segment, ref.stage, ref.name))
        if tp is None:
            self.problems.add(
                path,
                N_(
                    'No touchpoint "{name}" in stage "{stage}" of that journey: check the stage code and the name.'
                ),
                name=ref.name,
                stage=ref.stage,
            )
        return tp


# --- customers and segments -------------------------------------------------------------------


def _segments(ctx: Context, doc: d.WorkspaceDoc) -> None:
    for i, s in enumerate(doc.segments):
        with ctx.problems.at(f"segments[{i}]"):
            customers.create_segment(
                ctx.db,
                ctx.principal,
                code=s.code,
                name=s.name,
                name_en=s.name_en,
                market=s.market,
                is_key=s.is_key,
                description=s.description,
                dimensions=[(x.dimension, x.value) for x in s.dimensions],
            )


def _customers(ctx: Context, doc: d.WorkspaceDoc) -> None:
    for i, c in enumerate(doc.customers):
        with ctx.problems.at(f"customers[{i}]"):
            customers.create_customer(
                ctx.db,
                ctx.principal,
                code=c.code,
                name=c.name,
                name_en=c.name_en,
                category=c.category,
                segment_code=c.segment,
                department_code=c.department,
                description=c.description,
            )


def _propositions(ctx: Context, doc: d.WorkspaceDoc) -> None:
    for i, s in enumerate(doc.segments):
        if s.proposition is None:
            continue
        path = f"segments[{i}].proposition"
        with ctx.problems.at(path):
            seg = customers.get_segment_by_code(ctx.db, s.code)
            customers.save_proposition(
                ctx.db,
                ctx.principal,
                seg,
                cares_most=s.proposition.cares_most,
                better_than_competitors=s.proposition.better_than_competitors,
                relationship_value=s.proposition.relationship_value,
                drivers=[(x.rank, x.driver, x.note) for x in s.proposition.drivers],
            )


def _declarations(ctx: Context, doc: d.WorkspaceDoc) -> None:
    for i, dec in enumerate(doc.declarations):
        dept = None
        with ctx.problems.at(f"declarations[{i}].department"):
            dept = get_department_by_code(ctx.db, dec.department)
        if dept is None:
            continue
        for j, served in enumerate(dec.customers):
            with ctx.problems.at(f"declarations[{i}].customers[{j}].customer"):
                cust = customers.get_customer_by_code(ctx.db, served.customer)
                customers.declare_customer(ctx.db, ctx.principal, dept, cust, note=served.note)
        for j, prod in enumerate(dec.products):
            with ctx.problems.at(f"declarations[{i}].products[{j}]"):
                buyer = customers.get_customer_by_code(ctx.db, prod.customer) if prod.customer else None
                customers.add_product(
                    ctx.db,
                    ctx.principal,
                    dept,
                    name=prod.name,
                    name_en=prod.name_en,
                    customer=buyer,
                    description=prod.description,
                )


# --- journey, processes, shared indicators ----------------------------------------------------


def _journeys(ctx: Context, doc: d.WorkspaceDoc) -> None:
    ordered = sorted(enumerate(doc.journeys), key=lambda ij: ij[1].segment is not None)
    for i, jd in ordered:
        path = f"journeys[{i}]"
        seg = None
        if jd.segment is not None:
            with ctx.problems.at(f"{path}.segment"):
                seg = customers.get_segment_by_code(ctx.db, jd.segment)
            if seg is None:
                continue
        stages: list[JourneyStage] | None = None
        with ctx.problems.at(path):
            stages = journey.build_journey(
                ctx.db, ctx.principal, segment=seg, stages=[(s.code, s.name, s.name_en) for s in jd.stages]
            )
        if not stages:
            continue
        for j, (st, sd) in enumerate(zip(stages, jd.stages, strict=True)):
            ctx.stages[(jd.segment, st.code)] = st
            for k, td in enumerate(sd.touchpoints):
                tpath = f"{path}.stages[{j}].touchpoints[{k}]"
                tp = None
                with ctx.problems.at(tpath):
                    tp = journey.add_touchpoint(
                        ctx.db,
                        ctx.principal,
                        st,
                        name=td.name,
                        name_en=td.name_en,
                        moment_of_truth=td.moment_of_truth,
                        driver_code=td.driver,
                        description=td.description,
                    )
                if tp is None:
                    continue
                ctx.touchpoints[(jd.segment, st.code, tp.name)] = tp
                for dept_code, role in td.responsibilities.items():
                    with ctx.problems.at(f"{tpath}.responsibilities.{dept_code}"):
                        dept = get_department_by_code(ctx.db, dept_code)
                        journey.set_responsibility(ctx.db, ctx.principal, tp, dept, role)


def _processes(ctx: Context, doc: d.WorkspaceDoc) -> None:
    for i, p in enumerate(doc.processes):
        path = f"processes[{i}]"
        steps = []
        for j, s in enumerate(p.steps):
            stage = ctx.stages.get((None, s.stage)) if s.stage else None
            if s.stage and stage is None:
                ctx.problems.add(
                    f"{path}.steps[{j}].stage",
                    N_('No stage "{code}" in the company journey: use one of its stage codes.'),
                    code=s.stage,
                )
            tps = [
                ctx.touchpoint(ref, f"{path}.steps[{j}].touchpoints[{k}]")
                for k, ref in enumerate(s.touchpoints)
            ]
            steps.append(
                journey.StepIn(
                    name=s.name,
                    name_en=s.name_en,
                    department=s.department,
                    stage_id=stage.id if stage else None,
                    touchpoint_ids=tuple(tp.id for tp in tps if tp is not None),
                )
            )
        with ctx.problems.at(path):
            journey.save_process(
                ctx.db,
                ctx.principal,
                code=p.code,
                name=p.name,
                name_en=p.name_en,
                description=p.description,
                owner_department=p.owner,
                steps=steps,
            )


def _shared(ctx: Context, doc: d.WorkspaceDoc) -> None:
    for i, s in enumerate(doc.shared_indicators):
        tp = ctx.touchpoint(s.touchpoint, f"shared_indicators[{i}].touchpoint")
        if tp is None:
            continue
        with ctx.problems.at(f"shared_indicators[{i}]"):
            journey.save_shared_indicator(
                ctx.db,
                ctx.principal,
                tp,
                name=s.name,
                name_en=s.name_en,
                indicator_code=s.indicator,
                shares=list(s.shares.items()),
            )


# --- cards and strategy -----------------------------------------------------------------------


def _cards(ctx: Context, doc: d.WorkspaceDoc) -> None:
    for i, c in enumerate(doc.cards):
        path = f"cards[{i}]"
        tp = ctx.touchpoint(c.touchpoint, f"{path}.touchpoint") if c.touchpoint else None
        data = c.model_dump(exclude={"touchpoint", "touchpoint_id"})
        with ctx.problems.at(path):
            indicators.create_card(
                ctx.db, ctx.principal, indicators.CardIn(**data, touchpoint_id=tp.id if tp else None)
            )


def _strategy(ctx: Context, doc: d.WorkspaceDoc) -> None:
    for i, sd in enumerate(doc.strategy):
        path = f"strategy[{i}]"
        rec = None
        with ctx.problems.at(path):
            rec = strategy.create_record(
                ctx.db,
                ctx.principal,
                period=sd.period,
                title=sd.title,
                customer_focus=sd.customer_focus,
                aspiration=sd.aspiration,
                horizon_years=sd.horizon_years,
            )
        if rec is None:
            continue
        with ctx.problems.at(path):
            strategy.save_priorities(
                ctx.db,
                ctx.principal,
                rec,
                [
                    strategy.PriorityIn(
                        rank=p.rank,
                        driver_code=p.driver,
                        segment_code=p.segment,
                        customer_code=p.customer,
                        statement=p.statement,
                    )
                    for p in sd.priorities
                ],
            )


def _scorecard(ctx: Context, doc: d.WorkspaceDoc) -> None:
    """Objectives, their indicators and the strategy map's links of each record (S4)."""
    for i, sd in enumerate(doc.strategy):
        path = f"strategy[{i}]"
        rec = ctx.db.scalar(select(StrategyRecord).where(StrategyRecord.period == sd.period))
        if rec is None:
            continue  # the record itself failed and is reported already
        priorities = {p.rank: p for p in rec.priorities}
        made: dict[str, Objective] = {}
        for j, od in enumerate(sd.objectives):
            opath = f"{path}.objectives[{j}]"
            priority = priorities.get(od.priority) if od.priority is not None else None
            if od.priority is not None and priority is None:
                ctx.problems.add(
                    f"{opath}.priority",
                    N_("No declared customer value has rank {rank} in this record: use one of its ranks."),
                    rank=od.priority,
                )
                continue
            with ctx.problems.at(opath):
                made[od.code] = scorecard.create_objective(
                    ctx.db,
                    ctx.principal,
                    rec,
                    code=od.code,
                    name=od.name,
                    name_en=od.name_en,
                    perspective=od.perspective,
                    rank=od.rank,
                    description=od.description,
                    priority_id=priority.id if priority else None,
                    driver_code=od.driver,
                )
            obj = made.get(od.code)
            for k, ind in enumerate(od.indicators):
                if obj is None:
                    break
                with ctx.problems.at(f"{opath}.indicators[{k}]"):
                    card = scorecard.find_card(ctx.db, card_code=ind.card)
                    scorecard.attach_indicator(ctx.db, ctx.principal, obj, card, weight=ind.weight)
        for j, ld in enumerate(sd.links):
            lpath = f"{path}.links[{j}]"
            cause, effect = made.get(ld.cause), made.get(ld.effect)
            for key, found, code in (("cause", cause, ld.cause), ("effect", effect, ld.effect)):
                if found is None:
                    ctx.problems.add(
                        f"{lpath}.{key}",
                        N_('No objective "{code}" in this record: use the code of one of its objectives.'),
                        code=code,
                    )
            if cause is None or effect is None:
                continue
            with ctx.problems.at(lpath):
                scorecard.add_link(ctx.db, ctx.principal, cause, effect, note=ld.note)


def _pools(ctx: Context, doc: d.WorkspaceDoc) -> None:
    """Department KPI pools: candidates, admission answers and tiers, core sets; then the
    cascade links, once every pool and objective exists (S5, S6.4)."""
    objectives = {
        f"{period}/{o.code}": o
        for o, period in ctx.db.execute(
            select(Objective, StrategyRecord.period).join(
                StrategyRecord, Objective.record_id == StrategyRecord.id
            )
        )
    }
    links: list[tuple[str, KpiCandidate, d.CandidateDoc]] = []
    for i, pd in enumerate(doc.pools):
        path = f"pools[{i}]"
        dept = None
        with ctx.problems.at(f"{path}.department"):
            dept = get_department_by_code(ctx.db, pd.department)
        if dept is None:
            continue
        picks: dict[int, Decimal | None] = {}
        for j, cd in enumerate(pd.candidates):
            cpath = f"{path}.candidates[{j}]"
            tp = ctx.touchpoint(cd.touchpoint, f"{cpath}.touchpoint") if cd.touchpoint else None
            cand = None
            with ctx.problems.at(cpath):
                card = indicators.get_card_by_code(ctx.db, cd.card) if cd.card else None
                prop = None
                if cd.segment:
                    seg = customers.get_segment_by_code(ctx.db, cd.segment)
                    prop = customers.require_proposition(ctx.db, seg, error=ValidationFailed)
                cand = pools.add_candidate(
                    ctx.db,
                    ctx.principal,
                    dept,
                    name=cd.name,
                    name_en=cd.name_en,
                    source=cd.source,
                    indicator_code=cd.indicator,
                    driver_code=cd.driver,
                    proposition=prop,
                    touchpoint=tp,
                    perspective=cd.perspective,
                    note=cd.note,
                    card=card,
                )
                if cd.stage and tp is None:
                    stage = ctx.stages.get((None, cd.stage))
                    if stage is None:
                        raise ValidationFailed(
                            N_('No stage "{code}" in the company journey: use one of its stage codes.'),
                            problems=[Problem(N_("Use a stage code of the company journey."), field="stage")],
                            code=cd.stage,
                        )
                    pools.retag_candidate(
                        ctx.db,
                        ctx.principal,
                        cand,
                        driver_code=cand.driver_code,
                        touchpoint=None,
                        stage=stage,
                        perspective=cand.perspective,
                    )
                if cd.tier or cd.affects_value is not None or cd.perceivable is not None:
                    pools.assess_candidate(
                        ctx.db,
                        ctx.principal,
                        cand,
                        affects_value=cd.affects_value,
                        affects_note=cd.affects_note,
                        perceivable=cd.perceivable,
                        perceivable_note=cd.perceivable_note,
                        tier=cd.tier,
                    )
            if cand is None:
                continue
            if cd.core:
                picks[cand.id] = cd.weight
            if cd.objective or cd.parent:
                links.append((cpath, cand, cd))
        if picks:
            with ctx.problems.at(f"{path}.candidates"):
                pools.save_core_set(ctx.db, ctx.principal, dept, picks)
    for cpath, cand, cd in links:
        if cd.objective:
            objective = objectives.get(cd.objective)
            if objective is None:
                ctx.problems.add(
                    f"{cpath}.objective",
                    N_('No objective "{ref}": write it as period/code, e.g. 2026/C1.'),
                    ref=cd.objective,
                )
            else:
                with ctx.problems.at(f"{cpath}.objective"):
                    pools.set_objective(ctx.db, ctx.principal, cand, objective)
        if cd.parent:
            parent = ctx.candidate(cd.parent, f"{cpath}.parent")
            if parent is not None:
                with ctx.problems.at(f"{cpath}.parent"):
                    pools.set_parent_candidate(ctx.db, ctx.principal, cand, parent)


def _positions(ctx: Context, doc: d.WorkspaceDoc) -> None:
    for i, pd in enumerate(doc.positions):
        path = f"positions[{i}]"
        with ctx.problems.at(path):
            pos = get_position_by_code(ctx.db, pd.position)
            positions.save_position_design(
                ctx.db, ctx.principal, pos, d.PositionDesignIn(**pd.model_dump(exclude={"position"}))
            )


def _teams(ctx: Context, doc: d.WorkspaceDoc) -> None:
    """Team indicators with each member's share and contribution (S6.5)."""
    for i, td in enumerate(doc.teams):
        path = f"teams[{i}]"
        candidate = ctx.candidate(td.candidate, f"{path}.candidate") if td.candidate else None
        with ctx.problems.at(path):
            dept = get_department_by_code(ctx.db, td.department)
            card = indicators.get_card_by_code(ctx.db, td.card)
            members = [
                (get_employee_by_number(ctx.db, ctx.principal, number=m.employee), m.share, m.contribution)
                for m in td.members
            ]
            teams.save_team_indicator(
                ctx.db,
                ctx.principal,
                dept,
                card,
                td.period,
                members,
                candidate,
                name=td.name,
                name_en=td.name_en,
            )


def _scorecards(ctx: Context, doc: d.WorkspaceDoc) -> None:
    """Personal scorecards in two passes: links to another person's item (a manager's) need that
    person's scorecard to exist first."""
    shared = personal_io.SharedReads(
        positions.candidate_pool(
            ctx.db, [it.candidate for sd in doc.scorecards for it in sd.items if it.candidate]
        )
    )
    for second in (False, True):
        for i, sd in enumerate(doc.scorecards):
            linked = any(it.parent for it in sd.items)
            if second and not linked:
                continue
            data = ScorecardIn(**sd.model_dump(exclude={"employee", "period"}))
            if not second and linked:
                data = ScorecardIn(
                    position=data.position,
                    items=[it.model_copy(update={"parent": None}) for it in data.items],
                )
            with ctx.problems.at(f"scorecards[{i}]"):
                employee = get_employee_by_number(ctx.db, ctx.principal, number=sd.employee)
                personal_io.save_scorecard(ctx.db, ctx.principal, employee, sd.period, data, shared=shared)


STEPS: list[Callable[[Context, d.WorkspaceDoc], None]] = [
    _segments,
    _customers,
    _propositions,
    _declarations,
    _journeys,
    _processes,
    _shared,
    _cards,
    _strategy,
    _scorecard,
    _pools,
    _positions,
    _teams,
    _scorecards,
]
