"""The value-chain mapping table (journey stage → touchpoint → departments) and the end-to-end
processes as workbook sheets. The mapping sheet reads the seed's own table as it stands:
客户旅程阶段 | 关键客户体验点 | 内部主流程/责任部门."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import catalogue
from northstar.customers.models import Segment
from northstar.errors import N_, Problem
from northstar.journey import service
from northstar.journey.models import JourneyStage, Responsibility, ResponsibilityRole, Touchpoint
from northstar.org.models import Department
from northstar.security.principal import Principal
from northstar.tabular import Column, SheetSpec, Table, cell_text
from northstar.workspace.service import Part, Problems, SheetOut, headers, split_list, truthy

VALUE_CHAIN = SheetSpec(
    "value_chain",
    ("Value chain map", "价值链映射"),
    (
        Column("stage", ("Journey stage", "客户旅程阶段")),
        Column("touchpoint", ("Key experience point", "关键客户体验点")),
        Column("responsible", ("Responsible departments", "内部主流程/责任部门", "责任部门")),
        Column("contributes", ("Contributing departments", "协同部门"), required=False),
        Column("moment_of_truth", ("Moment of truth", "客户感知最强"), required=False),
        Column("driver", ("Value driver", "价值要素"), required=False),
        Column("segment_code", ("Segment code", "细分编码"), required=False),
    ),
)
PROCESSES = SheetSpec(
    "processes",
    ("Processes", "端到端流程"),
    (
        Column("process_code", ("Process code", "流程编码")),
        Column("process_name", ("Process name", "流程名称")),
        Column("process_name_en", ("Process English name", "流程英文名称"), required=False),
        Column("owner", ("End-to-end owner", "端到端负责部门"), required=False),
        Column("step", ("Step", "步骤序号")),
        Column("step_name", ("Step name", "步骤名称")),
        Column("step_name_en", ("Step English name", "步骤英文名称"), required=False),
        Column("department", ("Department", "责任部门")),
        Column("stage", ("Journey stage", "客户旅程阶段"), required=False),
        Column("touchpoints", ("Touchpoints", "关键客户体验点"), required=False),
    ),
)

#: touchpoint cells may list several experience points ("报价清晰、交期承诺可靠"); unlike
#: department lists they keep "/" (a point may be called "生产/交付 透明")
TOUCHPOINT_SEPARATORS = ("、", "；", ";", "\n")


def _stage_by_name(stages: list[JourneyStage], text: str) -> JourneyStage | None:
    key = text.strip().lower()
    return next((s for s in stages if key in (s.code.lower(), s.name.lower(), s.name_en.lower())), None)


def import_value_chain(
    db: Session, principal: Principal, tables: dict[str, Table], problems: Problems
) -> None:
    table = tables.get("value_chain")
    if table is None:
        return
    resolver = service.DepartmentResolver(db)
    sheet = "value_chain"
    service.create_default_journey(db, principal)
    for row, raw in table.rows:
        rec = {k: cell_text(v) for k, v in raw.items()}
        if not rec.get("stage") or not rec.get("touchpoint"):
            problems.add(
                sheet, row, "touchpoint", N_("Fill in the journey stage and the key experience point.")
            )
            continue
        before = len(problems.items)
        cells: list[tuple[Department, ResponsibilityRole]] = []
        for key, role in (
            ("responsible", ResponsibilityRole.responsible),
            ("contributes", ResponsibilityRole.contributes),
        ):
            for ref in split_list(rec.get(key)):
                found = resolver.find(ref)
                if isinstance(found, Problem):
                    found.row, found.field, found.sheet = row, key, sheet
                    problems.items.append(found)
                else:
                    cells.append((found, role))
        if (
            not any(role is ResponsibilityRole.responsible for _, role in cells)
            and len(problems.items) == before
        ):
            problems.add(
                sheet,
                row,
                "responsible",
                N_("Name at least one responsible department for this experience point."),
            )
        driver = catalogue.find_driver(rec["driver"]) if rec.get("driver") else None
        if rec.get("driver") and driver is None:
            problems.add(
                sheet,
                row,
                "driver",
                N_('Unknown value driver "{driver}": choose one from the value-driver catalogue.'),
                driver=rec["driver"],
            )
        if problems.items:
            continue  # nothing more is written once the import is bound to fail
        with problems.at(sheet, row, "segment_code"):
            segment = None
            if rec.get("segment_code"):
                segment = db.scalar(select(Segment).where(Segment.code == rec["segment_code"]))
                if segment is None:
                    problems.add(
                        sheet,
                        row,
                        "segment_code",
                        N_("Unknown segment code {code}: use the code of an existing customer segment."),
                        code=rec["segment_code"],
                    )
                    continue
            stages, own = service.stages_for(db, segment)
            if segment is not None and not own:
                stages = service.customise_for_segment(db, principal, segment)
            stage = _stage_by_name(stages, rec["stage"]) or service.add_stage(
                db, principal, segment=segment, name=rec["stage"], name_en=""
            )
            for name in split_list(rec["touchpoint"], TOUCHPOINT_SEPARATORS):
                tp = next((t for t in stage.touchpoints if name in (t.name, t.name_en)), None)
                if tp is None:
                    tp = service.add_touchpoint(
                        db,
                        principal,
                        stage,
                        name=name,
                        moment_of_truth=truthy(rec.get("moment_of_truth")),
                        driver_code=driver.code if driver else None,
                    )
                    db.refresh(stage)
                elif rec.get("moment_of_truth") or driver:
                    service.update_touchpoint(
                        db,
                        principal,
                        tp,
                        reason="import",
                        moment_of_truth=truthy(rec.get("moment_of_truth")) or tp.moment_of_truth,
                        driver_code=driver.code if driver else tp.driver_code,
                    )
                for dept, role in cells:
                    service.set_responsibility(db, principal, tp, dept, role, reason="import")


def import_processes(db: Session, principal: Principal, tables: dict[str, Table], problems: Problems) -> None:
    table = tables.get("processes")
    if table is None:
        return
    sheet = "processes"
    grouped: dict[str, list[tuple[int, dict[str, str]]]] = defaultdict(list)
    for row, raw in table.rows:
        rec = {k: cell_text(v) for k, v in raw.items()}
        if not rec.get("process_code"):
            problems.add(sheet, row, "process_code", N_("Fill in the process code."))
            continue
        grouped[rec["process_code"]].append((row, rec))
    # read once: the value-chain sheet, imported just before, may have added stages and touchpoints
    touchpoints = list(db.scalars(select(Touchpoint)))
    stages = list(db.scalars(select(JourneyStage)))
    for code, rows in grouped.items():
        rows.sort(key=lambda r: int(r[1]["step"]) if r[1].get("step", "").isdigit() else 0)
        first = rows[0][1]
        steps: list[service.StepIn] = []
        for row, rec in rows:
            stage = _stage_by_name(stages, rec["stage"]) if rec.get("stage") else None
            if rec.get("stage") and stage is None:
                problems.add(
                    sheet,
                    row,
                    "stage",
                    N_('Unknown journey stage "{stage}": use a stage name of the journey.'),
                    stage=rec["stage"],
                )
            tp_ids: list[int] = []
            for name in split_list(rec.get("touchpoints"), TOUCHPOINT_SEPARATORS):
                tp = next((t for t in touchpoints if name in (t.name, t.name_en)), None)
                if tp is None:
                    problems.add(
                        sheet,
                        row,
                        "touchpoints",
                        N_(
                            'Unknown touchpoint "{touchpoint}": use the name of a key experience point of the journey.'
                        ),
                        touchpoint=name,
                    )
                else:
                    tp_ids.append(tp.id)
            steps.append(
                service.StepIn(
                    name=rec.get("step_name", ""),
                    name_en=rec.get("step_name_en", ""),
                    department=rec.get("department", ""),
                    stage_id=stage.id if stage else None,
                    touchpoint_ids=tuple(tp_ids),
                )
            )
        found, _departments = service.check_steps(db, steps, rows=[r for r, _ in rows], sheet=sheet)
        if found:
            problems.items.extend(found)
            continue
        if problems.items:
            continue
        with problems.at(sheet, rows[0][0], "process_code"):
            service.save_process(
                db,
                principal,
                code=code,
                name=first.get("process_name", ""),
                name_en=first.get("process_name_en", ""),
                owner_department=first.get("owner") or None,
                steps=steps,
                reason="import",
            )


def import_tables(db: Session, principal: Principal, tables: dict[str, Table], problems: Problems) -> None:
    import_value_chain(db, principal, tables, problems)
    import_processes(db, principal, tables, problems)


def export_tables(db: Session, locale: str) -> list[SheetOut]:
    segments = [None, *db.scalars(select(Segment).order_by(Segment.code))]
    cells_of: dict[int, list[Responsibility]] = {}
    for cell in db.scalars(select(Responsibility)):
        cells_of.setdefault(cell.touchpoint_id, []).append(cell)
    chain: list[list[object]] = []
    for seg in segments:
        stages, own = service.stages_for(db, seg)
        if seg is not None and not own:
            continue
        for stage in stages:
            for tp in stage.touchpoints:
                cells = cells_of.get(tp.id, [])
                by_role = {
                    role: "、".join(sorted(c.department.label(locale) for c in cells if c.role is role))
                    for role in ResponsibilityRole
                }
                chain.append(
                    [
                        stage.label(locale),
                        tp.label(locale),
                        by_role[ResponsibilityRole.responsible],
                        by_role[ResponsibilityRole.contributes],
                        "yes" if tp.moment_of_truth else "",
                        tp.driver_code or "",
                        seg.code if seg else "",
                    ]
                )
    processes = [
        [
            p.code,
            p.name,
            p.name_en,
            p.owner_department.code if p.owner_department else "",
            s.position,
            s.name,
            s.name_en,
            s.department.code,
            s.stage.name if s.stage else "",
            "、".join(t.name for t in s.touchpoints),
        ]
        for p in service.get_all_processes(db)
        for s in p.steps
    ]
    return [
        (VALUE_CHAIN.name(locale), headers(VALUE_CHAIN, locale), chain),
        (PROCESSES.name(locale), headers(PROCESSES, locale), processes),
    ]


PART = Part("journey", (VALUE_CHAIN, PROCESSES), import_tables, export_tables)
