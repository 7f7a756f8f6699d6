"""The workspace file into the database: every record through its domain's service, so the
file obeys the same rules as the pages; all or nothing, with every problem named by its path
in the file (``segments[2].proposition.drivers[1].driver``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from northstar.customers.models import Customer, Segment
from northstar.errors import N_, Conflict, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.journey.models import JourneyStage, Process
from northstar.pools.models import KpiCandidate
from northstar.positions.models import PositionResponsibility
from northstar.scorecards.models import PersonalScorecard, TeamIndicator
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.strategy.models import StrategyRecord
from northstar.workspace import document as d
from northstar.workspace.design_steps import STEPS, Context, PathProblems

#: tables that hold a design; the file is only imported where all of them are empty
_DESIGN_TABLES = (
    Segment,
    Customer,
    JourneyStage,
    Process,
    IndicatorCard,
    StrategyRecord,
    KpiCandidate,
    PositionResponsibility,
    PersonalScorecard,
    TeamIndicator,
)


def parse_document(data: Any) -> d.WorkspaceDoc:
    """The file's content as a document; schema errors become problems at their paths."""
    try:
        return d.WorkspaceDoc.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
            if err["type"] == "missing":
                problems.append(Problem(N_("This field is required: fill it in."), field=path))
            elif err["type"] == "extra_forbidden":
                problems.append(
                    Problem(
                        N_("Unknown field: remove it or check its spelling against the schema."), field=path
                    )
                )
            elif err["type"] == "enum":
                problems.append(
                    Problem(
                        N_('"{value}" is not allowed here: use one of {choices}.'),
                        {"value": str(err.get("input")), "choices": err.get("ctx", {}).get("expected", "")},
                        field=path,
                    )
                )
            else:
                problems.append(
                    Problem(N_("This value is not valid here: {detail}"), {"detail": err["msg"]}, field=path)
                )
        raise ValidationFailed(
            N_("Nothing was imported: {count} problem(s) found. Fix them and import the file again."),
            problems=problems,
            count=len(problems),
        ) from None


def design_is_empty(db: Session) -> bool:
    return all(not db.scalar(select(func.count()).select_from(t)) for t in _DESIGN_TABLES)


def import_design(db: Session, principal: Principal, doc: d.WorkspaceDoc) -> dict[str, int]:
    """Bring a whole design into a database that holds the organisation but no design yet."""
    principal.require(*DESIGN_ROLES)
    if not design_is_empty(db):
        raise Conflict(
            N_(
                "This database already holds a design: the workspace file is imported into a database "
                "with the organisation but no design yet. Export the current design first if you need it."
            )
        )
    ctx = Context(db, principal, PathProblems())
    for step in STEPS:
        step(ctx, doc)
    if ctx.problems.items:
        raise ValidationFailed(
            N_("Nothing was imported: {count} problem(s) found. Fix them and import the file again."),
            problems=ctx.problems.items,
            count=len(ctx.problems.items),
        )
    return {
        "customers": len(doc.customers),
        "segments": len(doc.segments),
        "journeys": len(doc.journeys),
        "processes": len(doc.processes),
        "cards": len(doc.cards),
        "strategy": len(doc.strategy),
        "pools": len(doc.pools),
        "positions": len(doc.positions),
        "teams": len(doc.teams),
        "scorecards": len(doc.scorecards),
    }


def import_sections(db: Session, principal: Principal, doc: d.WorkspaceDoc, sections: Sequence[str]) -> None:
    """Add some sections of a document to an existing design (the demo company builds its
    scorecard this way on top of its customer value design); all or nothing like a full import."""
    principal.require(*DESIGN_ROLES)
    ctx = Context(db, principal, PathProblems())
    ctx.load_journeys()
    steps = {step.__name__.lstrip("_"): step for step in STEPS}
    for name in sections:
        steps[name](ctx, doc)
    if ctx.problems.items:
        raise ValidationFailed(
            N_("Nothing was imported: {count} problem(s) found. Fix them and import the file again."),
            problems=ctx.problems.items,
            count=len(ctx.problems.items),
        )


def validate_design(db: Session, principal: Principal, doc: d.WorkspaceDoc) -> None:
    """Every problem the import would meet, without keeping anything (run inside a savepoint)."""
    savepoint = db.begin_nested()
    try:
        import_design(db, principal, doc)
    finally:
        savepoint.rollback()
