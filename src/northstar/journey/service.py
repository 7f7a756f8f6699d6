"""Journey stages and touchpoints (S3.1, S3.2), end-to-end processes (S3.3), and the journey ×
department responsibility map with its shared-indicator proposals (S3.4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from northstar import audit, catalogue
from northstar.customers.models import Segment
from northstar.customers.service import require_designer
from northstar.db import check_version, touch
from northstar.errors import N_, Conflict, Label, NotFound, Problem, ValidationFailed
from northstar.journey.models import (
    DEFAULT_STAGES,
    JourneyStage,
    Process,
    ProcessStep,
    Responsibility,
    ResponsibilityRole,
    SharedIndicator,
    SharedIndicatorShare,
    Touchpoint,
)
from northstar.org.models import Department
from northstar.security.principal import Principal

HUNDRED = Decimal(100)


def pct(value: Decimal) -> str:
    """A percentage without trailing zeros or exponent: 40, 33.5."""
    return format(value.normalize(), "f")


# --- stages and touchpoints -----------------------------------------------------------------


def company_stages(db: Session) -> list[JourneyStage]:
    return list(
        db.scalars(
            select(JourneyStage).where(JourneyStage.segment_id.is_(None)).order_by(JourneyStage.position)
        )
    )


def stages_for(db: Session, segment: Segment | None) -> tuple[list[JourneyStage], bool]:
    """The journey a segment follows: its own stages if it has any, else the company journey.
    The flag says whether the stages are the segment's own."""
    if segment is not None:
        own = list(
            db.scalars(
                select(JourneyStage)
                .where(JourneyStage.segment_id == segment.id)
                .order_by(JourneyStage.position)
            )
        )
        if own:
            return own, True
    return company_stages(db), segment is None


def get_stage(db: Session, stage_id: int) -> JourneyStage:
    stage = db.get(JourneyStage, stage_id)
    if stage is None:
        raise NotFound(N_("No journey stage with id {id}."), id=stage_id)
    return stage


def get_touchpoint(db: Session, touchpoint_id: int) -> Touchpoint:
    tp = db.get(Touchpoint, touchpoint_id)
    if tp is None:
        raise NotFound(N_("No touchpoint with id {id}."), id=touchpoint_id)
    return tp


def all_touchpoints(db: Session, segment: Segment | None = None) -> list[Touchpoint]:
    """The touchpoints of a journey in journey order."""
    stages, _own = stages_for(db, segment)
    return [tp for s in stages for tp in s.touchpoints]


def _stage_label(stage: JourneyStage) -> str:
    return f"{stage.segment.code}/{stage.code}" if stage.segment else stage.code


def create_default_journey(db: Session, principal: Principal) -> list[JourneyStage]:
    """The seed's seven stages as the company journey, when it has none yet (S3.1)."""
    require_designer(principal)
    existing = company_stages(db)
    if existing:
        return existing
    stages = [
        JourneyStage(code=code, name=zh, name_en=en, position=pos)
        for pos, (code, zh, en) in enumerate(DEFAULT_STAGES, start=1)
    ]
    db.add_all(stages)
    db.flush()
    for s in stages:
        audit.record(
            db,
            principal.actor,
            action="create",
            entity="journey_stage",
            entity_id=s.code,
            changes={"name": (None, s.name)},
        )
    return stages


def customise_for_segment(db: Session, principal: Principal, segment: Segment) -> list[JourneyStage]:
    """Give a segment its own journey, starting as a copy of the company journey and its touchpoints."""
    require_designer(principal)
    stages, own = stages_for(db, segment)
    if own:
        raise Conflict(N_("{segment} already has its own journey: edit it directly."), segment=segment.name)
    copies: list[JourneyStage] = []
    for s in stages:
        copy = JourneyStage(segment=segment, code=s.code, name=s.name, name_en=s.name_en, position=s.position)
        copy.touchpoints = [
            Touchpoint(
                name=tp.name,
                name_en=tp.name_en,
                moment_of_truth=tp.moment_of_truth,
                driver_code=tp.driver_code,
                description=tp.description,
                position=tp.position,
            )
            for tp in s.touchpoints
        ]
        copies.append(copy)
    db.add_all(copies)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="journey",
        entity_id=segment.code,
        changes={"stages": (None, " → ".join(s.name for s in copies))},
    )
    return copies


def build_journey(
    db: Session, principal: Principal, *, segment: Segment | None, stages: Sequence[tuple[str, str, str]]
) -> list[JourneyStage]:
    """Create a journey that does not exist yet from (code, name, name_en) stages, in order — how a
    workspace file brings its journeys in with their own stage codes."""
    require_designer(principal)
    existing, own = stages_for(db, segment)
    if (segment is None and existing) or (segment is not None and own):
        raise Conflict(
            N_("{journey} already has stages: a journey is only built into an empty one."),
            journey=segment.name if segment else Label("company journey"),
        )
    problems: list[Problem] = []
    seen: set[str] = set()
    for i, (code, name, _en) in enumerate(stages):
        if not code.strip() or not name.strip():
            problems.append(Problem(N_("A stage needs a code and a name."), field=f"stages[{i}]"))
        elif code in seen:
            problems.append(
                Problem(
                    N_('Stage code "{code}" is used twice: give each stage its own code.'),
                    {"code": code},
                    field=f"stages[{i}].code",
                )
            )
        seen.add(code)
    if problems:
        raise ValidationFailed(
            N_("The journey was not saved: {count} problem(s)."), problems=problems, count=len(problems)
        )
    made = [
        JourneyStage(segment=segment, code=code.strip(), name=name.strip(), name_en=en.strip(), position=pos)
        for pos, (code, name, en) in enumerate(stages, start=1)
    ]
    db.add_all(made)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="journey",
        entity_id=segment.code if segment else "company",
        changes={"stages": (None, " → ".join(s.name for s in made))},
    )
    return made


def _unique_stage_code(db: Session, segment_id: int | None, name_en: str, name: str) -> str:
    base = "".join(ch if ch.isalnum() else "_" for ch in (name_en or "").lower()).strip("_")[:30] or "stage"
    taken = set(
        db.scalars(
            select(JourneyStage.code).where(
                JourneyStage.segment_id.is_(segment_id)
                if segment_id is None
                else JourneyStage.segment_id == segment_id
            )
        )
    )
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def add_stage(
    db: Session,
    principal: Principal,
    *,
    segment: Segment | None,
    name: str,
    name_en: str = "",
    after: JourneyStage | None = None,
) -> JourneyStage:
    """A new stage in a journey, after ``after`` (or at the end)."""
    require_designer(principal)
    if not name.strip():
        raise ValidationFailed(
            N_("The stage needs a name."), problems=[Problem(N_("Fill in the name."), field="name")]
        )
    stages, own = stages_for(db, segment)
    if segment is not None and not own:
        stages = customise_for_segment(db, principal, segment)
    position = (after.position if after else (stages[-1].position if stages else 0)) + 1
    for s in stages:
        if s.position >= position:
            s.position += 1
    seg_id = segment.id if segment else None
    stage = JourneyStage(
        segment_id=seg_id,
        code=_unique_stage_code(db, seg_id, name_en.strip(), name),
        name=name.strip(),
        name_en=name_en.strip(),
        position=position,
    )
    db.add(stage)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="journey_stage",
        entity_id=_stage_label(stage),
        changes={"name": (None, stage.name), "name_en": (None, stage.name_en), "position": (None, position)},
    )
    return stage


def update_stage(
    db: Session,
    principal: Principal,
    stage: JourneyStage,
    *,
    name: str,
    name_en: str,
    reason: str | None = None,
) -> JourneyStage:
    require_designer(principal)
    if not name.strip():
        raise ValidationFailed(
            N_("The stage needs a name."), problems=[Problem(N_("Fill in the name."), field="name")]
        )
    changes = audit.apply(stage, {"name": name.strip(), "name_en": name_en.strip()})
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="journey_stage",
        entity_id=_stage_label(stage),
        changes=changes,
        reason=reason,
    )
    return stage


def move_stage(db: Session, principal: Principal, stage: JourneyStage, *, offset: int) -> None:
    """Move a stage one place earlier (-1) or later (+1) in its journey."""
    require_designer(principal)
    stages, _own = stages_for(db, stage.segment)
    idx = [s.id for s in stages].index(stage.id)
    other = idx + offset
    if not 0 <= other < len(stages):
        return
    a, b = stages[idx], stages[other]
    a.position, b.position = b.position, a.position
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="journey_stage",
        entity_id=_stage_label(stage),
        changes={"position": (b.position, a.position)},
    )


def delete_stage(
    db: Session, principal: Principal, stage: JourneyStage, *, reason: str | None = None
) -> None:
    """Remove an empty stage; a stage with touchpoints keeps them until they are moved or deleted."""
    require_designer(principal)
    if stage.touchpoints:
        raise Conflict(
            N_("Stage {stage} still has {count} touchpoint(s): delete or move them first."),
            stage=stage.name,
            count=len(stage.touchpoints),
        )
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="journey_stage",
        entity_id=_stage_label(stage),
        changes={"name": (stage.name, None)},
        reason=reason,
    )
    db.delete(stage)
    db.flush()


def _check_driver(driver_code: str | None) -> str | None:
    if driver_code and catalogue.value_driver(driver_code) is None:
        raise ValidationFailed(
            N_('Unknown value driver "{driver}": choose one from the value-driver catalogue.'),
            problems=[Problem(N_("Choose a value driver from the list."), field="driver_code")],
            driver=driver_code,
        )
    return driver_code or None


def add_touchpoint(
    db: Session,
    principal: Principal,
    stage: JourneyStage,
    *,
    name: str,
    name_en: str = "",
    moment_of_truth: bool = False,
    driver_code: str | None = None,
    description: str = "",
) -> Touchpoint:
    """A key experience point in a stage (S3.2)."""
    require_designer(principal)
    if not name.strip():
        raise ValidationFailed(
            N_("The touchpoint needs a name: say what the customer experiences."),
            problems=[Problem(N_("Fill in the name."), field="name")],
        )
    tp = Touchpoint(
        stage=stage,
        name=name.strip(),
        name_en=name_en.strip(),
        moment_of_truth=moment_of_truth,
        driver_code=_check_driver(driver_code),
        description=description,
        position=len(stage.touchpoints) + 1,
    )
    db.add(tp)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="touchpoint",
        entity_id=str(tp.id),
        changes={
            "stage": (None, stage.name),
            "name": (None, tp.name),
            "name_en": (None, tp.name_en),
            "moment_of_truth": (None, moment_of_truth),
            "driver": (None, tp.driver_code),
        },
    )
    return tp


def update_touchpoint(
    db: Session, principal: Principal, tp: Touchpoint, *, reason: str | None = None, **fields: Any
) -> Touchpoint:
    require_designer(principal)
    if "driver_code" in fields:
        fields["driver_code"] = _check_driver(fields["driver_code"])
    if "name" in fields and not str(fields["name"]).strip():
        raise ValidationFailed(N_("The touchpoint needs a name: say what the customer experiences."))
    changes = audit.apply(tp, fields)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="touchpoint",
        entity_id=str(tp.id),
        changes=changes,
        reason=reason,
    )
    return tp


def delete_touchpoint(
    db: Session, principal: Principal, tp: Touchpoint, *, reason: str | None = None
) -> None:
    require_designer(principal)
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="touchpoint",
        entity_id=str(tp.id),
        changes={"name": (tp.name, None)},
        reason=reason,
    )
    db.delete(tp)
    db.flush()


# --- end-to-end processes -------------------------------------------------------------------


@dataclass(frozen=True)
class StepIn:
    name: str
    department: str  # code or name of an existing department
    name_en: str = ""
    stage_id: int | None = None
    touchpoint_ids: tuple[int, ...] = ()


def get_all_processes(db: Session) -> list[Process]:
    return list(db.scalars(select(Process).order_by(Process.code)))


def get_process(db: Session, process_id: int) -> Process:
    proc = db.get(Process, process_id)
    if proc is None:
        raise NotFound(N_("No process with id {id}."), id=process_id)
    return proc


def _normalise_department_ref(text: str) -> str:
    text = text.strip()
    for opening, closing in (("(", ")"), ("（", "）")):
        if opening in text and text.endswith(closing):
            text = text[: text.index(opening)].strip()
    for suffix in ("部门", "中心", "部", "处", "科", "室", "组", "团队"):
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text.lower()


class DepartmentResolver:
    """Finds departments by what people write: the code, the Chinese or English name, or the name
    without its 部/中心 suffix or a remark in brackets ("财务(政策)" → 财务部)."""

    def __init__(self, db: Session) -> None:
        self.by_key: dict[str, list[Department]] = {}
        for d in db.scalars(select(Department).order_by(Department.code)):
            keys = {d.code.lower(), d.name, d.name_en.lower(), _normalise_department_ref(d.name)}
            if d.name_en:
                keys.add(_normalise_department_ref(d.name_en))
            for key in keys - {""}:
                self.by_key.setdefault(key, []).append(d)

    def find(self, text: str) -> Department | Problem:
        text = text.strip()
        for key in (text.lower(), text, _normalise_department_ref(text)):
            found = self.by_key.get(key)
            if found and len(found) == 1:
                return found[0]
            if found:
                return Problem(
                    N_(
                        '"{department}" matches several departments ({matches}): write the department code instead.'
                    ),
                    {"department": text, "matches": ", ".join(d.code for d in found)},
                )
        return Problem(
            N_(
                'Unknown department "{department}": write the code or name of a department of the organisation.'
            ),
            {"department": text},
        )


def check_steps(
    db: Session,
    steps: Sequence[StepIn],
    *,
    rows: Sequence[int] | None = None,
    sheet: str | None = None,
    resolver: DepartmentResolver | None = None,
) -> tuple[list[Problem], list[Department]]:
    """Problems with the steps of a process (unknown departments, stages or touchpoints)."""
    resolver = resolver or DepartmentResolver(db)
    problems: list[Problem] = []
    departments: list[Department] = []
    if not steps:
        problems.append(Problem(N_("A process needs at least one step."), field="steps", sheet=sheet))
    for idx, step in enumerate(steps):
        row = rows[idx] if rows else None
        prefix = "" if rows else f"steps[{idx}]."
        if not step.name.strip():
            problems.append(
                Problem(
                    N_("Step {number} has no name: say what happens in it."),
                    {"number": idx + 1},
                    row=row,
                    field=prefix + "name",
                    sheet=sheet,
                )
            )
        found = (
            resolver.find(step.department)
            if step.department.strip()
            else Problem(
                N_("Step {number} has no owner department: every step is owned by a department."),
                {"number": idx + 1},
            )
        )
        if isinstance(found, Problem):
            found.row, found.field, found.sheet = row, prefix + "department", sheet
            problems.append(found)
        else:
            departments.append(found)
        if step.stage_id is not None and db.get(JourneyStage, step.stage_id) is None:
            problems.append(
                Problem(
                    N_("Unknown journey stage: choose one of the journey's stages."),
                    row=row,
                    field=prefix + "stage",
                    sheet=sheet,
                )
            )
        for tp_id in step.touchpoint_ids:
            if db.get(Touchpoint, tp_id) is None:
                problems.append(
                    Problem(
                        N_("Unknown touchpoint: choose one of the journey's touchpoints."),
                        row=row,
                        field=prefix + "touchpoints",
                        sheet=sheet,
                    )
                )
    return problems, departments


def save_process(
    db: Session,
    principal: Principal,
    *,
    code: str,
    name: str,
    name_en: str = "",
    description: str = "",
    owner_department: str | None = None,
    steps: Sequence[StepIn],
    version: int | None = None,
    reason: str | None = None,
) -> Process:
    """Create or replace an end-to-end process: its ordered steps, each owned by a department and
    linked to the journey stage and touchpoints it serves (S3.3)."""
    require_designer(principal)
    resolver = DepartmentResolver(db)
    problems, departments = check_steps(db, steps, resolver=resolver)
    owner: Department | None = None
    if owner_department:
        found = resolver.find(owner_department)
        if isinstance(found, Problem):
            found.field = "owner_department"
            problems.append(found)
        else:
            owner = found
    if not code.strip() or not name.strip():
        problems.append(Problem(N_("A process needs a code and a name."), field="code"))
    if problems:
        raise ValidationFailed(
            N_("The process was not saved: {count} problem(s)."), problems=problems, count=len(problems)
        )
    proc = db.scalar(select(Process).where(Process.code == code.strip()))
    action = "update"
    if proc is None:
        proc = Process(code=code.strip())
        db.add(proc)
        action = "create"
    elif version is not None:
        check_version(proc, version, proc.code)
    changes = audit.apply(
        proc, {"name": name.strip(), "name_en": name_en.strip(), "description": description}
    )
    if proc.owner_department_id != (owner.id if owner else None):
        changes["owner_department"] = (
            proc.owner_department.code if proc.owner_department else None,
            owner.code if owner else None,
        )
        proc.owner_department = owner

    def describe(steps_: Sequence[tuple[str, str]]) -> str:
        return " → ".join(f"{n} ({d})" for n, d in steps_)

    old = describe([(s.name, s.department.code) for s in proc.steps])
    new = describe([(s.name.strip(), d.code) for s, d in zip(steps, departments, strict=True)])
    old_links = [(s.stage_id, sorted(t.id for t in s.touchpoints), s.name_en) for s in proc.steps]
    new_links = [(s.stage_id, sorted(s.touchpoint_ids), s.name_en.strip()) for s in steps]
    if old != new or old_links != new_links:
        changes["steps"] = (old or None, new)
        proc.steps.clear()
        db.flush()
        for pos, (s, dept) in enumerate(zip(steps, departments, strict=True), start=1):
            proc.steps.append(
                ProcessStep(
                    position=pos,
                    name=s.name.strip(),
                    name_en=s.name_en.strip(),
                    department=dept,
                    stage_id=s.stage_id,
                    touchpoints=[get_touchpoint(db, t) for t in s.touchpoint_ids],
                )
            )
        if action == "update":
            touch(proc, "name")
    db.flush()
    audit.record(
        db,
        principal.actor,
        action=action,
        entity="process",
        entity_id=proc.code,
        changes=changes,
        reason=reason,
    )
    return proc


# --- responsibility map ---------------------------------------------------------------------


@dataclass
class MapRow:
    touchpoint: Touchpoint
    roles: dict[int, ResponsibilityRole]  # department id → role


@dataclass
class ResponsibilityMap:
    stages: list[JourneyStage]
    departments: list[Department]  # the columns: every department named anywhere in the map
    rows: list[MapRow]

    def heatmap(self, locale: str) -> dict[str, Any]:
        """Data for the ECharts heatmap: responsible = 2, contributes = 1."""
        y = [f"{r.touchpoint.stage.label(locale)} · {r.touchpoint.label(locale)}" for r in self.rows]
        x = [d.label(locale) for d in self.departments]
        col = {d.id: i for i, d in enumerate(self.departments)}
        cells = [
            [col[dept_id], row_idx, 2 if role is ResponsibilityRole.responsible else 1]
            for row_idx, r in enumerate(self.rows)
            for dept_id, role in r.roles.items()
            if dept_id in col
        ]
        return {"x": x, "y": y, "cells": cells}


def responsibility_map(db: Session, segment: Segment | None = None) -> ResponsibilityMap:
    """The journey × department grid of a journey (S3.4)."""
    stages, _own = stages_for(db, segment)
    touchpoints = [tp for s in stages for tp in s.touchpoints]
    tp_ids = [tp.id for tp in touchpoints]
    cells = (
        list(db.scalars(select(Responsibility).where(Responsibility.touchpoint_id.in_(tp_ids))))
        if tp_ids
        else []
    )
    roles: dict[int, dict[int, ResponsibilityRole]] = {}
    for c in cells:
        roles.setdefault(c.touchpoint_id, {})[c.department_id] = c.role
    dept_ids = {c.department_id for c in cells}
    departments = [d for d in db.scalars(select(Department).order_by(Department.code)) if d.id in dept_ids]
    return ResponsibilityMap(stages, departments, [MapRow(tp, roles.get(tp.id, {})) for tp in touchpoints])


def set_responsibility(
    db: Session,
    principal: Principal,
    touchpoint: Touchpoint,
    department: Department,
    role: ResponsibilityRole | None,
    *,
    reason: str | None = None,
) -> None:
    """Set one cell of the map: responsible, contributes, or nothing (``None``)."""
    require_designer(principal)
    cell = db.scalar(
        select(Responsibility).where(
            Responsibility.touchpoint_id == touchpoint.id, Responsibility.department_id == department.id
        )
    )
    old = cell.role if cell else None
    if old == role:
        return
    if role is None:
        db.delete(cell)  # a cell exists: an empty one would have returned above
    elif cell is None:
        db.add(Responsibility(touchpoint=touchpoint, department=department, role=role))
    else:
        cell.role = role
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="responsibility",
        entity_id=f"{touchpoint.id}/{department.code}",
        changes={"role": (old, role)},
        reason=reason,
    )


# --- shared (cross-department) indicators ---------------------------------------------------


@dataclass
class ShareProposal:
    department: Department
    role: ResponsibilityRole
    share: Decimal


@dataclass
class SharedProposal:
    """A proposed shared KPI for a touchpoint several departments answer for."""

    touchpoint: Touchpoint
    indicator: catalogue.RecommendedIndicator | None
    shares: list[ShareProposal] = field(default_factory=list)

    def name(self, locale: str) -> str:
        if self.indicator is not None:
            return self.indicator.name(locale)
        return self.touchpoint.label(locale)


def propose_shares(roles: Sequence[tuple[Department, ResponsibilityRole]]) -> list[ShareProposal]:
    """Shares of responsibility summing to exactly 100%: a responsible department weighs twice a
    contributing one; whole percents, the remainder going to the largest fractions."""
    weights = [2 if role is ResponsibilityRole.responsible else 1 for _, role in roles]
    total = sum(weights)
    if total == 0:
        return []
    exact = [HUNDRED * w / total for w in weights]
    floors = [e.quantize(Decimal(1), rounding=ROUND_DOWN) for e in exact]
    left = int(HUNDRED - sum(floors))
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [ShareProposal(d, role, s) for (d, role), s in zip(roles, floors, strict=True)]


def _indicator_for(tp: Touchpoint) -> catalogue.RecommendedIndicator | None:
    driver = catalogue.value_driver(tp.driver_code) if tp.driver_code else None
    return driver.indicators[0] if driver and driver.indicators else None


def shared_indicators(db: Session) -> list[SharedIndicator]:
    return list(db.scalars(select(SharedIndicator).order_by(SharedIndicator.id)))


def get_shared_indicator(db: Session, shared_id: int) -> SharedIndicator:
    shared = db.get(SharedIndicator, shared_id)
    if shared is None:
        raise NotFound(N_("No shared indicator with id {id}."), id=shared_id)
    return shared


def shared_proposals(db: Session, segment: Segment | None = None) -> list[SharedProposal]:
    """For every touchpoint that several departments share and that has no shared KPI yet, a
    proposed indicator (from the touchpoint's value driver) with each department's share."""
    grid = responsibility_map(db, segment)
    adopted = set(db.scalars(select(SharedIndicator.touchpoint_id)))
    by_id = {d.id: d for d in grid.departments}
    proposals: list[SharedProposal] = []
    for row in grid.rows:
        if len(row.roles) < 2 or row.touchpoint.id in adopted:
            continue
        roles = sorted(
            ((by_id[d], r) for d, r in row.roles.items()),
            key=lambda dr: (dr[1] is not ResponsibilityRole.responsible, dr[0].code),
        )
        proposals.append(
            SharedProposal(row.touchpoint, _indicator_for(row.touchpoint), propose_shares(roles))
        )
    return proposals


def check_shares(
    shares: Sequence[tuple[str, Decimal]], resolver: DepartmentResolver
) -> tuple[list[Problem], list[tuple[Department, Decimal]]]:
    """Problems with a list of (department, share %) pairs: unknown departments, repeats, bad
    numbers, a total other than 100%."""
    problems: list[Problem] = []
    resolved: list[tuple[Department, Decimal]] = []
    seen: set[int] = set()
    for idx, (ref, share) in enumerate(shares):
        found = resolver.find(ref)
        if isinstance(found, Problem):
            found.field = f"shares[{idx}].department"
            problems.append(found)
            continue
        if found.id in seen:
            problems.append(
                Problem(
                    N_("{department} is listed twice: give each department one share."),
                    {"department": found.name},
                    field=f"shares[{idx}].department",
                )
            )
            continue
        seen.add(found.id)
        if share <= 0 or share > HUNDRED:
            problems.append(
                Problem(
                    N_("The share of {department} is {share}%: a share lies above 0% and at most 100%."),
                    {"department": found.name, "share": pct(share)},
                    field=f"shares[{idx}].share",
                )
            )
        resolved.append((found, share))
    total = sum((s for _, s in shares), Decimal(0))
    if len(shares) < 2:
        problems.append(
            Problem(
                N_("A shared indicator is shared by at least two departments: add another department."),
                field="shares",
            )
        )
    if total != HUNDRED:
        problems.append(
            Problem(
                N_("The shares add up to {total}%, not 100%: change them so that they sum to exactly 100%."),
                {"total": pct(total)},
                field="shares",
            )
        )
    return problems, resolved


def save_shared_indicator(
    db: Session,
    principal: Principal,
    touchpoint: Touchpoint,
    *,
    name: str,
    name_en: str = "",
    indicator_code: str | None = None,
    shares: Sequence[tuple[str, Decimal]],
    version: int | None = None,
    reason: str | None = None,
) -> SharedIndicator:
    """Adopt (or change) the shared KPI of a touchpoint with each department's share; the shares
    must sum to 100%."""
    require_designer(principal)
    problems, resolved = check_shares(shares, DepartmentResolver(db))
    if not name.strip():
        problems.append(Problem(N_("The shared indicator needs a name."), field="name"))
    if problems:
        raise ValidationFailed(
            N_("The shared indicator was not saved: {count} problem(s)."),
            problems=problems,
            count=len(problems),
        )
    shared = db.scalar(select(SharedIndicator).where(SharedIndicator.touchpoint_id == touchpoint.id))
    action = "update"
    if shared is None:
        shared = SharedIndicator(touchpoint=touchpoint)
        db.add(shared)
        action = "create"
    elif version is not None:
        check_version(shared, version, shared.name)
    changes = audit.apply(
        shared, {"name": name.strip(), "name_en": name_en.strip(), "indicator_code": indicator_code}
    )
    old = "; ".join(f"{s.department.code} {pct(s.share)}%" for s in shared.shares)
    new = "; ".join(f"{d.code} {pct(s)}%" for d, s in resolved)
    if old != new:
        changes["shares"] = (old or None, new)
        shared.shares.clear()
        db.flush()
        shared.shares.extend(SharedIndicatorShare(department=d, share=s) for d, s in resolved)
        if action == "update":
            touch(shared, "name")
    db.flush()
    audit.record(
        db,
        principal.actor,
        action=action,
        entity="shared_indicator",
        entity_id=str(touchpoint.id),
        changes=changes,
        reason=reason,
    )
    return shared


def touchpoint_counts(db: Session) -> dict[str, int]:
    """How much of the journey is mapped: touchpoints, moments of truth, shared touchpoints."""
    tps = db.scalar(select(func.count(Touchpoint.id))) or 0
    mot = db.scalar(select(func.count(Touchpoint.id)).where(Touchpoint.moment_of_truth.is_(True))) or 0
    mapped = db.scalar(select(func.count(func.distinct(Responsibility.touchpoint_id)))) or 0
    return {"touchpoints": tps, "moments_of_truth": mot, "mapped": mapped}
