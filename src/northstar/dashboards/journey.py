"""The journey × department heatmap (S3.4, S7.2): each key experience point against the departments
responsible for it or contributing to it, coloured by how those departments score on the KPI-pool
indicators they tagged with that touchpoint.

A cell's score is the plain mean of its indicators' scores on the department's figures of the
period (adjustment items give a status, not a score); a cell where a department carries a role
but no indicator of its pool points at the touchpoint is a gap in the design worth seeing, and is
marked as such. Figures are read through the viewer's scope: an employee sees the roles, and the
scores of their own department only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from northstar.dashboards.enterprise import weighted_mean
from northstar.dashboards.figures import Figure, figures, scored, status_of
from northstar.dashboards.periods import Period
from northstar.journey import service as journey
from northstar.journey.models import JourneyStage, ResponsibilityRole, Touchpoint
from northstar.org.models import Department
from northstar.pools.models import KpiCandidate
from northstar.scoring import WeightedMean
from northstar.scoring.rules import ADJUSTMENT_KINDS
from northstar.scoring.steps import described


@dataclass(frozen=True)
class HeatCell:
    touchpoint: Touchpoint
    department: Department
    role: ResponsibilityRole | None
    figures: list[Figure]
    mean: WeightedMean | None

    @property
    def status(self) -> str:
        if self.mean is not None:
            return status_of(self.mean.total)
        seen = [f.status for f in self.figures if f.status != "no_data"]
        return "off_track" if "off_track" in seen else ("on_target" if seen else "no_data")

    @property
    def gap(self) -> bool:
        """A role at the touchpoint without any indicator of the department pointing at it."""
        return self.role is not None and not self.figures


@dataclass(frozen=True)
class Heatmap:
    period: Period
    stages: list[JourneyStage]
    rows: list[Touchpoint]
    departments: list[Department]
    cells: dict[tuple[int, int], HeatCell]


def heatmap(db: Session, visible: ColumnElement[bool], period: Period) -> Heatmap:
    """The company journey's touchpoints × departments for ``period``."""
    grid = journey.responsibility_map(db)
    rows = [r.touchpoint for r in grid.rows]
    tp_ids = [tp.id for tp in rows]
    tagged = list(
        db.scalars(
            select(KpiCandidate).where(
                KpiCandidate.touchpoint_id.in_(tp_ids), KpiCandidate.card_id.is_not(None)
            )
        ).unique()
    )
    dept_ids = {d.id for d in grid.departments} | {c.department_id for c in tagged}
    departments = sorted(
        db.scalars(select(Department).where(Department.id.in_(dept_ids))), key=lambda d: d.code
    )
    codes = {d.id: d.code for d in departments}
    found = {
        (a.department_id, a.card_id): a
        for a in figures(
            db,
            visible,
            scope_kind="department",
            grain=period.grain,
            start=period.start,
            card_ids={c.card_id for c in tagged if c.card_id is not None},
            department_ids=list(dept_ids),
        )
        if a.department_id is not None and a.scope_key == codes.get(a.department_id)
    }
    roles = {(r.touchpoint.id, d): role for r in grid.rows for d, role in r.roles.items()}
    by_cell: dict[tuple[int, int], list[Figure]] = {}
    for c in tagged:
        if c.card is None or c.touchpoint_id is None:
            continue
        by_cell.setdefault((c.touchpoint_id, c.department_id), []).append(
            scored(c.card, found.get((c.department_id, c.card.id)))
        )
    cells: dict[tuple[int, int], HeatCell] = {}
    by_id = {d.id: d for d in departments}
    for tp in rows:
        for d in departments:
            key = (tp.id, d.id)
            role = roles.get(key)
            figs = by_cell.get(key, [])
            if role is None and not figs:
                continue
            weighted = [f for f in figs if f.kind and f.kind not in ADJUSTMENT_KINDS]
            mean = weighted_mean([(described(f.card.name_en, f.card.name), None, f.points) for f in weighted])
            cells[key] = HeatCell(tp, by_id[d.id], role, figs, mean)
    return Heatmap(period, grid.stages, rows, departments, cells)
