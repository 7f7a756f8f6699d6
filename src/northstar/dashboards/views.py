"""The dashboards as tables and charts, in the reader's language: one build per dashboard that the
page, the JSON API and the xlsx export all read, so that a number is the same in all three.

A table is a list of rows of cells. A cell carries the text shown, the raw value an export writes
as a number, the link to its lineage (every computed figure opens ``/data/actuals/{id}``, S7.3),
a status for colour and a note (the arithmetic of a score) for hovering. Charts get plain JSON
the page's ECharts code draws.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from northstar.cycles import progress as cycle_progress
from northstar.cycles import targets as tg
from northstar.cycles.scores import UnitSheet
from northstar.dashboards import department as departments
from northstar.dashboards import enterprise, journey, periods, personal, slices
from northstar.dashboards.department import DepartmentDashboard, PoolLine
from northstar.dashboards.enterprise import EnterpriseDashboard
from northstar.dashboards.figures import Figure, TrendPoint, status_of
from northstar.dashboards.journey import Heatmap
from northstar.dashboards.periods import Period
from northstar.dashboards.personal import PersonalDashboard
from northstar.dashboards.slices import BY, IndicatorSlices
from northstar.data.actuals import MIN_GROUP, actual_filter
from northstar.data.models import MetricActual
from northstar.data.quality import QualityReport
from northstar.errors import N_, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.scoring import WeightedMean, render_each
from northstar.scoring.engine import Score
from northstar.scoring.rollup import RollupResult
from northstar.security.models import Role
from northstar.security.principal import ALL_SCOPE_ROLES, Principal
from northstar.strategy.design_check import LAYER_LABELS
from northstar.strategy.models import Perspective
from northstar.tabular import write_xlsx
from northstar.web.figures import ORIGIN_WORDS, anchors_text, number_text, value_text
from northstar.web.i18n import Translator

STATUS_WORDS = {
    "on_target": N_("on target"),
    "below_target": N_("below target"),
    "off_track": N_("off track"),
    "no_data": N_("no data"),
}
#: the map's layers bottom up, as the strategy map draws them
MAP_LAYERS = ("learning", "process", "customer", "financial")
BY_WORDS = {
    "customer": N_("By customer"),
    "segment": N_("By customer segment"),
    "project": N_("By project"),
    "department": N_("By department"),
    "owner": N_("By person responsible"),
    "period": N_("By period"),
}
#: the first column's heading of each slicing
BY_HEADINGS = {
    "customer": N_("Customer"),
    "segment": N_("Customer segment"),
    "project": N_("Project"),
    "department": N_("Department"),
    "owner": N_("Person"),
    "period": N_("Period"),
}
#: who sees the data-quality panel: those who see the Data page
QUALITY_ROLES = (Role.admin, Role.hr, Role.executive, Role.auditor, Role.manager)


@dataclass(frozen=True)
class Cell:
    text: str
    #: what an export writes (a number stays a number); the text when None
    value: Any = None
    href: str | None = None
    status: str | None = None
    #: shown on hover: the arithmetic of a score, the rule of a status
    note: str | None = None


@dataclass(frozen=True)
class Row:
    cells: list[Cell]
    #: a monthly trend drawn as a sparkline beside the row: (period label, value)
    spark: list[tuple[str, float | None]] | None = None
    #: an anchor other parts of the page link to (a strategy map node → its objective's rows)
    anchor: str | None = None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[Row]
    note: str | None = None
    #: whether the page draws a trend column (rows carry ``spark``)
    sparks: bool = False
    #: how many leading columns group the rows: the page shows a repeated value once (an export
    #: repeats it on every row, so that a filter in Excel keeps whole rows)
    group: int = 0


@dataclass
class Dashboard:
    """What a dashboard page shows: headline figures, tables, charts, notes."""

    kind: str
    title: str
    period: Period
    period_label: str
    to_date: bool
    headline: list[Cell] = field(default_factory=list)
    #: the arithmetic of the headline total, line by line
    steps: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


# --- cells -------------------------------------------------------------------------------------


def lineage_href(actual: MetricActual | None) -> str | None:
    return f"/data/actuals/{actual.id}" if actual is not None else None


def status_cell(t: Translator, status: str) -> Cell:
    return Cell(t.gettext(STATUS_WORDS[status]), t.gettext(STATUS_WORDS[status]), status=status)


def score_cell(
    t: Translator, value: Decimal | None, steps: Sequence[str] = (), status: str | None = None
) -> Cell:
    return Cell(
        number_text(t, value),
        value,
        status=status if status is not None else status_of(value),
        note="\n".join(steps) or None,
    )


def _steps_of(t: Translator, score: Score | None) -> list[str]:
    return render_each(score.steps, t.gettext, locale=t.locale) if score is not None else []


def _mean_steps(t: Translator, mean: WeightedMean | RollupResult | None) -> list[str]:
    return render_each(mean.steps, t.gettext, locale=t.locale) if mean is not None else []


def figure_value_cell(t: Translator, actual: MetricActual | None, card: IndicatorCard) -> Cell:
    """A computed figure, linked to the rows it counted."""
    if actual is None or actual.value is None:
        return Cell("—", None, href=lineage_href(actual))
    kind = str((card.rule or {}).get("kind", ""))
    text = value_text(t, str(actual.value), card.unit, kind)
    return Cell(text, actual.value, href=lineage_href(actual))


def figure_cells(t: Translator, figure: Figure) -> list[Cell]:
    """Actual (linked to its lineage), target, score (its arithmetic on hover) and status."""
    steps = _steps_of(t, figure.score)
    if figure.error is not None:
        steps = [t.gettext(figure.error.message, **figure.error.params)]
    score_value = figure.score.value if figure.score is not None else None
    return [
        figure_value_cell(t, figure.actual, figure.card),
        Cell(anchors_text(t, tg.anchors(figure.card.rule)) or "—"),
        score_cell(t, score_value, steps, status=figure.status),
        status_cell(t, figure.status),
    ]


def figure_columns(t: Translator) -> list[str]:
    """The headings of ``figure_cells``."""
    return [t.gettext("Actual"), t.gettext("Targets"), t.gettext("Score"), t.gettext("Status")]


def card_cell(t: Translator, card: IndicatorCard, *, bound: bool = True) -> Cell:
    """An indicator's name and code, linked to its slices when it is computed from data."""
    href = f"/dashboards/indicators/{quote(card.code)}" if bound else f"/indicators/{quote(card.code)}"
    return Cell(f"{card.label(t.locale)} ({card.code})", card.code, href=href)


def spark(t: Translator, points: Iterable[TrendPoint]) -> list[tuple[str, float | None]]:
    return [(t.period("month", p.start), None if p.value is None else float(p.value)) for p in points]


def _weight_cell(t: Translator, weight: Decimal | None) -> Cell:
    return Cell(f"{number_text(t, weight)}%" if weight is not None else "—", weight)


def _sheet_headline(t: Translator, sheet: UnitSheet | None) -> tuple[list[Cell], list[str]]:
    """The total and grade of a unit's scorecard, with its arithmetic."""
    if sheet is None or sheet.result is None:
        note = t.gettext(sheet.error.message, **sheet.error.params) if sheet and sheet.error else None
        return [Cell(t.gettext("Total score"), None, note=note), Cell("—", None, status="no_data")], []
    cells = _result_headline(t, sheet.result)
    if sheet.result.status == "incomplete":
        cells.append(Cell(t.gettext("incomplete: some figures are missing"), None, status="no_data"))
    return cells, _mean_steps(t, sheet.result)


def _result_headline(t: Translator, r: RollupResult) -> list[Cell]:
    """A scorecard's total (coloured by its status) and grade."""
    status = status_of(r.total) if r.status == "scored" else "no_data"
    return [
        Cell(t.gettext("Total score"), None),
        Cell(number_text(t, r.total), r.total, status=status),
        Cell(t.gettext("Grade"), None),
        Cell(r.grade or "—", r.grade),
    ]


def _base(t: Translator, kind: str, title: str, period: Period, today: date) -> Dashboard:
    return Dashboard(kind, title, period, t.period(period.grain, period.start), period.to_date(today))


# --- the enterprise dashboard ---------------------------------------------------------------------


def enterprise_view(t: Translator, dash: EnterpriseDashboard, today: date) -> Dashboard:
    view = _base(t, "enterprise", t.gettext("Enterprise dashboard"), dash.period, today)
    view.headline, view.steps = _sheet_headline(t, dash.sheet)
    if dash.so_far is not None and dash.so_far.total is not None:
        n, m, w, total_weight = dash.coverage
        view.headline += [
            Cell(t.gettext("Score of the indicators with data"), None),
            Cell(
                number_text(t, dash.so_far.total),
                dash.so_far.total,
                status=status_of(dash.so_far.total),
                note="\n".join(_mean_steps(t, dash.so_far)),
            ),
            Cell(
                t.gettext(
                    "{n} of {m} indicators, {weight}% of {total}% of the weight",
                    n=t.number(n),
                    m=t.number(m),
                    weight=number_text(t, w),
                    total=number_text(t, total_weight),
                ),
                None,
            ),
        ]
    if dash.record is None:
        view.notes.append(t.gettext("There is no strategy record yet: design the balanced scorecard first."))
    perspectives = []
    rows: list[Row] = []
    for pv in dash.perspectives:
        name = t.gettext(LAYER_LABELS[pv.perspective])
        perspectives.append(
            {
                "key": pv.perspective.value,
                "name": name,
                "score": number_text(t, pv.score),
                "status": pv.status,
                "status_text": t.gettext(STATUS_WORDS[pv.status]),
                "steps": _mean_steps(t, pv.mean),
                "objectives": len(pv.objectives),
            }
        )
        for ov in pv.objectives:
            objective = Cell(f"{ov.objective.code} {ov.objective.label(t.locale)}", ov.objective.code)
            objective_score = score_cell(t, ov.score, _mean_steps(t, ov.mean), status=ov.status)
            for i, line in enumerate(ov.lines):
                rows.append(
                    Row(
                        [
                            Cell(name, name),
                            objective,
                            objective_score,
                            card_cell(t, line.figure.card),
                            _weight_cell(t, line.link.weight),
                            *figure_cells(t, line.figure),
                        ],
                        spark(t, line.trend),
                        f"objective-{ov.objective.code}" if i == 0 else None,
                    )
                )
    view.tables.append(
        Table(
            "scorecard",
            t.gettext("Balanced scorecard"),
            [
                t.gettext("Perspective"),
                t.gettext("Objective"),
                t.gettext("Objective score"),
                t.gettext("Indicator"),
                t.gettext("Weight"),
                *figure_columns(t),
            ],
            rows,
            sparks=True,
            group=3,
        )
    )
    view.extra["perspectives"] = perspectives
    view.charts["map"] = _map_chart(t, dash)
    if dash.quality is not None:
        view.tables.extend(_quality_tables(t, dash.quality))
        view.extra["automatic_share"] = t.percent(dash.quality.automatic_share / 100)
        view.extra["automatic"] = (dash.quality.automatic, dash.quality.manual)
    return view


def _map_chart(t: Translator, dash: EnterpriseDashboard) -> dict[str, Any]:
    """The strategy map's layers bottom up with each objective's status and score."""
    layers = []
    for key in MAP_LAYERS:
        pv = next((p for p in dash.perspectives if p.perspective.value == key), None)
        objectives = []
        for ov in pv.objectives if pv else []:
            objectives.append(
                {
                    "id": ov.objective.id,
                    "code": ov.objective.code,
                    "label": ov.objective.label(t.locale),
                    "indicator_count": len(ov.lines),
                    "finding_count": 0,
                    "status": ov.status,
                    "score": number_text(t, ov.score),
                    "href": f"#objective-{ov.objective.code}",
                }
            )
        layers.append(
            {"perspective": key, "label": t.gettext(LAYER_LABELS[Perspective(key)]), "objectives": objectives}
        )
    links = [{"cause_id": x.cause_id, "effect_id": x.effect_id, "note": x.note} for x in dash.links]
    return {"layers": layers, "links": links, "statuses": {k: t.gettext(v) for k, v in STATUS_WORDS.items()}}


def _quality_tables(t: Translator, report: QualityReport) -> list[Table]:
    source_rows = [
        Row(
            [
                Cell(s.source.code, s.source.code, href=f"/data/sources/{quote(s.source.code)}"),
                Cell(
                    t.gettext(s.status),
                    s.status,
                    status={"fresh": "on_target", "stale": "off_track"}.get(s.status, "no_data"),
                ),
                Cell(t.number(s.age_days) if s.age_days is not None else "—", s.age_days),
                Cell(t.percent(s.null_share / 100), s.null_share / 100),
                Cell(t.percent(s.invalid_share / 100), s.invalid_share / 100),
            ]
        )
        for s in report.sources
    ]
    coverage_rows = [
        Row(
            [
                Cell(t.gettext(c.kind), c.kind),
                Cell(t.number(c.assignments), c.assignments),
                Cell(t.number(c.computed), c.computed),
                Cell(
                    t.percent(c.share / 100),
                    c.share / 100,
                    status=status_of(c.share),
                ),
            ]
        )
        for c in report.coverage
    ]
    return [
        Table(
            "sources",
            t.gettext("Data sources"),
            [
                t.gettext("Source"),
                t.gettext("Freshness"),
                t.gettext("Days since the latest event"),
                t.gettext("Empty required cells"),
                t.gettext("Invalid values"),
            ],
            source_rows,
        ),
        Table(
            "coverage",
            t.gettext("Coverage of the latest run"),
            [
                t.gettext("Scope"),
                t.gettext("Assignments"),
                t.gettext("Computed"),
                t.gettext("Share computed"),
            ],
            coverage_rows,
        ),
    ]


# --- the department dashboard ------------------------------------------------------------------


def _pool_table(t: Translator, key: str, title: str, lines: list[PoolLine]) -> Table:
    rows = [
        Row(
            [
                card_cell(t, line.figure.card, bound=line.figure.actual is not None or bool(line.trend)),
                Cell(t.gettext(line.candidate.tier.value) if line.candidate.tier else "—"),
                _weight_cell(t, line.candidate.weight),
                *figure_cells(t, line.figure),
            ],
            spark(t, line.trend),
        )
        for line in lines
    ]
    return Table(
        key,
        title,
        [
            t.gettext("Indicator"),
            t.gettext("Tier"),
            t.gettext("Weight"),
            *figure_columns(t),
        ],
        rows,
        sparks=True,
    )


def department_view(
    t: Translator, dash: DepartmentDashboard, today: date, openable: set[int] | None = None
) -> Dashboard:
    name = dash.department.label(t.locale)
    view = _base(t, "department", name, dash.period, today)
    view.headline, view.steps = _sheet_headline(t, dash.sheet)
    view.headline += [Cell(t.gettext("People"), None), Cell(t.number(dash.people), dash.people)]
    view.tables.append(_pool_table(t, "core", t.gettext("Core indicators"), dash.core))
    view.tables.append(_pool_table(t, "observed", t.gettext("Observed indicators"), dash.observed))
    # how each customer sees the department: its figures among that customer's rows
    customer_rows = []
    for cv in dash.customers:
        label = cv.customer.label(t.locale) if cv.customer is not None else cv.code
        first = Cell(
            f"{label} ({cv.code})" if cv.customer is not None else cv.code,
            cv.code,
            note=t.gettext("declared as this department's customer") if cv.declared else None,
        )
        cells = [first, Cell(t.gettext("declared") if cv.declared else t.gettext("found in the data"))]
        for card in dash.customer_cards:
            figure = cv.figures.get(card.id)
            if figure is None:
                cells.append(Cell("—", None, status="no_data"))
            else:
                cells.append(replace(figure_value_cell(t, figure.actual, card), status=figure.status))
        customer_rows.append(Row(cells))
    view.tables.append(
        Table(
            "customers",
            t.gettext("How its customers see it"),
            [t.gettext("Customer"), t.gettext("Relation"), *[c.label(t.locale) for c in dash.customer_cards]],
            customer_rows,
            note=t.gettext(
                "Each figure counts only the rows of that customer: the department as the customer experiences it."
            ),
        )
    )
    shared_rows = []
    for sv in dash.shared:
        shared_card = sv.company.card if sv.company is not None else None
        partners = ", ".join(f"{d.label(t.locale)} {number_text(t, share)}%" for d, share in sv.partners)
        mine = sv.mine
        shared_rows.append(
            Row(
                [
                    card_cell(t, shared_card)
                    if shared_card is not None
                    else Cell(sv.shared.indicator_code or "—"),
                    Cell(f"{number_text(t, sv.share)}%", sv.share),
                    Cell(partners or "—"),
                    figure_value_cell(t, sv.company.actual, shared_card)
                    if sv.company and shared_card
                    else Cell("—"),
                    figure_value_cell(t, mine.actual, shared_card) if mine and shared_card else Cell("—"),
                    status_cell(t, mine.status if mine is not None else "no_data"),
                ]
            )
        )
    view.tables.append(
        Table(
            "shared",
            t.gettext("Shared indicators"),
            [
                t.gettext("Indicator"),
                t.gettext("Our share"),
                t.gettext("Held with"),
                t.gettext("Company"),
                t.gettext("Ours"),
                t.gettext("Status"),
            ],
            shared_rows,
        )
    )
    child_rows = []
    for sheet in dash.children:
        assert sheet.department is not None
        total = sheet.result.total if sheet.result else None
        child_rows.append(
            Row(
                [
                    Cell(
                        f"{sheet.department.label(t.locale)} ({sheet.department.code})",
                        sheet.department.code,
                        href=f"/dashboards/departments/{quote(sheet.department.code)}?period={dash.period.code}"
                        if openable is None or sheet.department.id in openable
                        else None,
                    ),
                    score_cell(t, total, _mean_steps(t, sheet.result)),
                    Cell((sheet.result.grade if sheet.result else None) or "—"),
                ]
            )
        )
    view.tables.append(
        Table(
            "children",
            t.gettext("Departments below"),
            [t.gettext("Department"), t.gettext("Total score"), t.gettext("Grade")],
            child_rows,
        )
    )
    if dash.members is not None:
        m = dash.members
        member_rows = [
            Row(
                [
                    Cell(
                        f"{s.participant.employee.name} ({s.participant.employee.number})",
                        s.participant.employee.number,
                        href=f"/dashboards/people/{quote(s.participant.employee.number)}?period={dash.period.code}",
                    ),
                    Cell(s.participant.department.label(t.locale) if s.participant.department else "—"),
                    score_cell(t, s.total),
                    Cell(s.grade or "—", s.grade),
                ]
            )
            for s in m.scores
        ]
        view.tables.append(
            Table(
                "members",
                t.gettext("Members' scores in {cycle}", cycle=m.cycle.code),
                [t.gettext("Person"), t.gettext("Department"), t.gettext("Total score"), t.gettext("Grade")],
                member_rows,
            )
        )
        view.charts["distribution"] = {
            "labels": [g.code for g in m.grades.grades],
            "values": [m.counts.get(g.code, 0) for g in m.grades.grades],
        }
        view.extra["cycle"] = m.cycle
    elif not dash.can_see_members:
        view.notes.append(t.gettext("Members' scores are shown to managers, HR and executives."))
    return view


# --- the personal dashboard --------------------------------------------------------------------


def personal_view(t: Translator, dash: PersonalDashboard, today: date, *, own: bool) -> Dashboard:
    e = dash.employee
    view = _base(t, "personal", f"{e.name} ({e.number})", dash.period, today)
    r = dash.result
    if r is not None:
        view.headline = _result_headline(t, r)
        if dash.final_grade:
            view.headline += [Cell(t.gettext("Final grade"), None), Cell(dash.final_grade, dash.final_grade)]
        view.steps = _mean_steps(t, r)
    if dash.error is not None:
        view.notes.append(t.gettext(dash.error.message, **dash.error.params))
    if dash.source == "":
        view.notes.append(t.gettext("No indicators are assigned to this person yet."))
    rows = []
    for line in dash.lines:
        kind = str((line.card.rule or {}).get("kind", ""))
        result = line.result
        score = result.score if result is not None else None
        if score is None or score.status == "missing":
            status = "no_data"
        else:
            status = Figure(line.card, line.actual, score).status
        # a value taken from data opens its lineage; one entered by hand is the cycle's record
        value = Cell(
            value_text(t, line.value, line.card.unit, kind),
            _number_or_text(line.value),
            href=lineage_href(line.actual) if line.origin == "computed" else None,
        )
        if line.held:
            value = replace(value, note=t.gettext("waiting for approval: not counted yet"))
        department = (
            figure_value_cell(t, line.department, line.card) if line.department is not None else Cell("—")
        )
        rows.append(
            Row(
                [
                    card_cell(t, line.card, bound=line.actual is not None or bool(line.trend)),
                    _weight_cell(t, line.weight),
                    Cell(anchors_text(t, line.anchors) or "—"),
                    value,
                    Cell(t.gettext(ORIGIN_WORDS.get(line.origin, line.origin))),
                    score_cell(t, score.value if score else None, _steps_of(t, score), status=status),
                    status_cell(t, status),
                    department,
                ],
                spark(t, line.trend),
            )
        )
    view.tables.append(
        Table(
            "indicators",
            t.gettext("My indicators") if own else t.gettext("Indicators"),
            [
                t.gettext("Indicator"),
                t.gettext("Weight"),
                t.gettext("Targets"),
                t.gettext("Actual"),
                t.gettext("Origin"),
                t.gettext("Score"),
                t.gettext("Status"),
                t.gettext("Department"),
            ],
            rows,
            sparks=True,
            note=t.gettext(
                "The department's figure is shown when at least three people's records make it, so that nobody's own result shows through it."
            ),
        )
    )
    view.extra["cycle"] = dash.cycle
    view.extra["source"] = dash.source
    view.extra["due"] = [
        {
            "text": t.gettext(cycle_progress.STEPS[d.step]),
            "cycle": d.cycle.code,
            "count": t.number(d.count),
            "href": cycle_progress.due_url(d, e.number),
        }
        for d in dash.due
    ]
    if dash.cycle is not None:
        view.extra["cycle_href"] = f"/cycles/{quote(dash.cycle.code)}/people/{quote(e.number)}"
    return view


# --- the journey × department heatmap -------------------------------------------------------------


def journey_view(t: Translator, heat: Heatmap, today: date, openable: set[int] | None = None) -> Dashboard:
    """``openable``: the departments whose dashboards a cell may link to (None: all)."""
    view = _base(t, "journey", t.gettext("Journey × department"), heat.period, today)
    departments = [d.label(t.locale) for d in heat.departments]
    ys = [f"{tp.stage.label(t.locale)} · {tp.label(t.locale)}" for tp in heat.rows]
    chart_cells = []
    rows = []
    for y, tp in enumerate(heat.rows):
        cells = [Cell(ys[y], ys[y])]
        for x, d in enumerate(heat.departments):
            cell = heat.cells.get((tp.id, d.id))
            if cell is None:
                cells.append(Cell("", None))
                continue
            role = t.gettext(cell.role.value) if cell.role is not None else ""
            lines = [
                f"{f.card.label(t.locale)}: {number_text(t, f.points) if f.points is not None else t.gettext(STATUS_WORDS[f.status])}"
                for f in cell.figures
            ]
            if cell.gap:
                note = t.gettext("{role}, but no indicator of its pool points at this touchpoint", role=role)
                text = t.gettext("gap")
            else:
                note = "\n".join([*lines, *_mean_steps(t, cell.mean)])
                text = (
                    number_text(t, cell.mean.total)
                    if cell.mean is not None
                    else t.gettext(STATUS_WORDS[cell.status])
                )
            cells.append(
                Cell(
                    text,
                    cell.mean.total if cell.mean is not None else None,
                    href=f"/dashboards/departments/{quote(d.code)}?period={heat.period.code}"
                    if openable is None or d.id in openable
                    else None,
                    status="gap" if cell.gap else cell.status,
                    note=f"{role}\n{note}".strip() if role else note,
                )
            )
            chart_cells.append(
                {
                    "x": x,
                    "y": y,
                    "status": "gap" if cell.gap else cell.status,
                    "score": number_text(t, cell.mean.total) if cell.mean is not None else "",
                    "role": role,
                    "lines": lines,
                }
            )
        rows.append(Row(cells))
    view.tables.append(
        Table(
            "heatmap",
            t.gettext("Touchpoints by department"),
            [t.gettext("Touchpoint"), *departments],
            rows,
            note=t.gettext(
                'Each cell is the mean score of the department\'s pool indicators tagged with the touchpoint; "gap" marks a role with no indicator.'
            ),
        )
    )
    view.charts["heatmap"] = {
        "x": departments,
        "y": ys,
        "cells": chart_cells,
        "statuses": {k: t.gettext(v) for k, v in STATUS_WORDS.items()} | {"gap": t.gettext("gap")},
    }
    return view


# --- one indicator sliced --------------------------------------------------------------------------


def slices_view(t: Translator, sl: IndicatorSlices, today: date) -> Dashboard:
    card = sl.card
    view = _base(t, "indicator", f"{card.label(t.locale)} ({card.code})", sl.period, today)
    company = figure_cells(t, sl.company)
    view.headline = [Cell(t.gettext("Company"), None), company[0], Cell(t.gettext("Score"), None), company[2]]
    rows = []
    for row in sl.rows:
        name = row.name[1] if t.locale.startswith("zh") else row.name[0]
        if sl.by == "period":
            name = t.period(sl.period.grain, date.fromisoformat(row.key))
        detail = "" if row.detail is None else (row.detail[1] if t.locale.startswith("zh") else row.detail[0])
        rows.append(Row([Cell(name, row.key), Cell(detail or "—"), *figure_cells(t, row.figure)]))
    view.tables.append(
        Table(
            "slices",
            t.gettext(BY_WORDS[sl.by]),
            [
                t.gettext(BY_HEADINGS[sl.by]),
                t.gettext("Detail"),
                *figure_columns(t),
            ],
            rows,
        )
    )
    drawn = [r.cells for r in rows if r.cells[2].value is not None][:30]
    view.charts["bars"] = {
        "labels": [c[0].text for c in drawn],
        "values": [float(c[2].value) for c in drawn],
        "statuses": [c[5].status for c in drawn],
        "hrefs": [c[2].href for c in drawn],
    }
    view.charts["trend"] = {
        "labels": [t.period("month", p.start) for p in sl.trend],
        "values": [None if p.value is None else float(p.value) for p in sl.trend],
        "hrefs": [f"/data/actuals/{p.actual_id}" for p in sl.trend],
        "target": _target_number(card),
    }
    view.extra["by"] = sl.by
    view.extra["choices"] = [(key, t.gettext(BY_WORDS[key])) for key in BY]
    view.extra["metric"] = sl.metric
    return view


def _number_or_text(raw: str | None) -> Decimal | str | None:
    try:
        return Decimal(raw) if raw else None
    except InvalidOperation:
        return raw


def _target_number(card: IndicatorCard) -> float | None:
    target = (card.rule or {}).get("target")
    try:
        return float(target) if target is not None else None
    except (TypeError, ValueError):
        return None


# --- export and API -------------------------------------------------------------------------------


def export_xlsx(view: Dashboard, keys: Sequence[str] | None = None) -> bytes:
    """The dashboard's tables (or those named) as an xlsx, one sheet each; numbers stay numbers,
    text that a spreadsheet would run as a formula is escaped (``tabular.safe_cell``)."""
    chosen = [tb for tb in view.tables if keys is None or tb.key in keys]
    sheets = []
    for tb in chosen:
        rows = [[_export_value(c) for c in row.cells] for row in tb.rows]
        sheets.append((tb.title, tb.columns, rows))
    return write_xlsx(sheets)


def _export_value(cell: Cell) -> Any:
    if isinstance(cell.value, Decimal):
        return float(cell.value)
    if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
        return cell.value
    return cell.text


def as_json(view: Dashboard) -> dict[str, Any]:
    """The dashboard as the API returns it."""

    def cell(c: Cell) -> dict[str, Any]:
        value = float(c.value) if isinstance(c.value, Decimal) else c.value
        return {"text": c.text, "value": value, "href": c.href, "status": c.status, "note": c.note}

    return {
        "kind": view.kind,
        "title": view.title,
        "period": view.period.code,
        "period_label": view.period_label,
        "to_date": view.to_date,
        "headline": [cell(c) for c in view.headline],
        "steps": view.steps,
        "notes": view.notes,
        "tables": [
            {
                "key": tb.key,
                "title": tb.title,
                "columns": tb.columns,
                "note": tb.note,
                "rows": [
                    {"cells": [cell(c) for c in row.cells], "trend": row.spark, "anchor": row.anchor}
                    for row in tb.rows
                ],
            }
            for tb in view.tables
        ],
        "charts": view.charts,
    }


# --- building a dashboard for a request ------------------------------------------------------------


def _period(db: Session, code: str | None, today: date) -> tuple[Period, list[Period], bool]:
    """The period asked for (or the default), the periods offered, and whether any was computed."""
    period, offered = periods.choose(db, code or None)
    if period is None:
        return Period("quarter", date(today.year, (today.month - 1) // 3 * 3 + 1, 1)), offered, False
    return period, offered, True


def _finish(
    t: Translator, view: Dashboard, offered: list[Period], computed: bool, principal: Principal
) -> Dashboard:
    view.extra["periods"] = [(p.code, t.period(p.grain, p.start)) for p in offered]
    if not computed:
        view.notes.insert(
            0,
            t.gettext("Nothing has been computed from data yet: compute the actuals on the Data page first."),
        )
    if principal.role not in ALL_SCOPE_ROLES:
        view.notes.append(
            t.gettext(
                "Figures you may not see one by one are shown only when at least {n} people's records make them; the others are left blank.",
                n=MIN_GROUP,
            )
        )
    return view


def build_enterprise(
    db: Session, principal: Principal, t: Translator, code: str | None, today: date
) -> Dashboard:
    """The enterprise dashboard for the request's period, through the viewer's scope."""
    period, offered, computed = _period(db, code, today)
    dash = enterprise.enterprise(
        db,
        actual_filter(principal),
        period,
        record=enterprise.record_for(db),
        with_quality=principal.role in QUALITY_ROLES,
    )
    return _finish(t, enterprise_view(t, dash, today), offered, computed, principal)


def build_department(
    db: Session, principal: Principal, t: Translator, department_code: str, code: str | None, today: date
) -> Dashboard:
    openable = departments.openable_ids(db, principal)
    department = departments.viewable(db, department_code, openable)
    period, offered, computed = _period(db, code, today)
    dash = departments.department_dashboard(db, principal, actual_filter(principal), department, period)
    view = department_view(t, dash, today, openable)
    view.extra["department"] = department
    return _finish(t, view, offered, computed, principal)


def build_personal(
    db: Session, principal: Principal, t: Translator, number: str | None, code: str | None, today: date
) -> Dashboard:
    employee = personal.person(db, principal, number)
    period, offered, computed = _period(db, code, today)
    dash = personal.personal_dashboard(db, principal, actual_filter(principal), employee, period)
    view = personal_view(t, dash, today, own=employee.id == principal.employee_id)
    view.extra["employee"] = employee
    return _finish(t, view, offered, computed, principal)


def build_journey(
    db: Session, principal: Principal, t: Translator, code: str | None, today: date
) -> Dashboard:
    period, offered, computed = _period(db, code, today)
    heat = journey.heatmap(db, actual_filter(principal), period)
    view = journey_view(t, heat, today, departments.openable_ids(db, principal))
    return _finish(t, view, offered, computed, principal)


def build_indicator(
    db: Session, principal: Principal, t: Translator, card_code: str, by: str, code: str | None, today: date
) -> Dashboard:
    if by not in BY:
        raise ValidationFailed(
            N_('by: "{value}" is not a way to slice an indicator; choose one of: {known}.'),
            value=by,
            known=", ".join(BY),
            field="by",
        )
    card, metric = slices.bound_card(db, card_code)
    period, offered, computed = _period(db, code, today)
    found = slices.indicator_slices(db, actual_filter(principal), card, metric, period, by)
    return _finish(t, slices_view(t, found, today), offered, computed, principal)
