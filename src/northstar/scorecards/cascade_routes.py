"""JSON API of cascading (S6.4) — the alignment tree, its breaks, the links — and of team
indicators with each member's contribution (S6.5). Included by ``scorecards/routes.py``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from northstar.errors import N_, NotFound, ValidationFailed
from northstar.indicators import service as cards
from northstar.org import service as org
from northstar.pools import service as pools
from northstar.scorecards import alignment, teams
from northstar.scorecards.alignment_schemas import (
    BreakOut,
    CandidateLinkIn,
    CandidateLinkOut,
    ItemLinkIn,
    ItemLinkOut,
    TreeOut,
)
from northstar.scorecards.models import ScorecardItem, TeamIndicator
from northstar.scorecards.team_schemas import (
    ContributionsIn,
    TeamIndicatorIn,
    TeamIndicatorOut,
    TeamIndicatorUpdate,
    TeamMemberOut,
)
from northstar.strategy import scorecard as bsc
from northstar.strategy import service as strategy
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer

router = APIRouter(tags=["alignment and team indicators"])

# --- the alignment tree, its breaks and the links (S6.4) -----------------------------------------


@router.get("/alignment/{record_id:int}", response_model=TreeOut)
def alignment_tree(
    record_id: int,
    db: DB,
    principal: CurrentPrincipal,
    period: str | None = None,
    department_id: int | None = None,
) -> Any:
    """The alignment tree of a strategy record: customer value → objectives → department indicators →
    team indicators → people's items (S6.4). People outside your scope appear as hidden boxes."""
    rec = strategy.get_record(db, record_id=record_id)
    tree = alignment.alignment_tree(db, rec, period=period, principal=principal, department_id=department_id)
    return tree.as_dict()


@router.get("/alignment/{record_id:int}/breaks", response_model=list[BreakOut])
def alignment_breaks(
    record_id: int,
    db: DB,
    principal: CurrentPrincipal,
    t: Tr,
    period: str | None = None,
    department_id: int | None = None,
) -> Any:
    """Every break in the alignment, the worst first, each with its fix, in your language."""
    rec = strategy.get_record(db, record_id=record_id)
    found = alignment.alignment_breaks(
        db, rec, period=period, principal=principal, department_id=department_id
    )
    return [b.as_dict(t.gettext) for b in found]


def _scorecard_item(db: DB, item_id: int) -> ScorecardItem:
    item = db.get(ScorecardItem, item_id)
    if item is None:
        raise NotFound(N_("No personal scorecard item with id {id}."), id=item_id)
    return item


def _team(db: DB, team_id: int | None) -> TeamIndicator | None:
    return None if team_id is None else teams.get_team_indicator(db, team_id)


@router.post("/alignment/items/{item_id:int}/link", response_model=ItemLinkOut)
def link_item(item_id: int, body: ItemLinkIn, db: DB, principal: Writer) -> ItemLinkOut:
    """Set what a person's item serves (one of the three), or clear it; a loop is refused naming the chain."""
    item = alignment.link_item(
        db,
        principal,
        _scorecard_item(db, item_id),
        candidate=pools.get_candidate(db, body.candidate_id) if body.candidate_id else None,
        parent_item=_scorecard_item(db, body.parent_item_id) if body.parent_item_id else None,
        team_indicator=_team(db, body.team_indicator_id),
        reason=body.reason,
    )
    return ItemLinkOut(
        item_id=item.id,
        scorecard_id=item.scorecard_id,
        employee_number=item.scorecard.employee.number,
        period=item.scorecard.period,
        card=item.card.code,
        candidate_id=item.candidate_id,
        parent_item_id=item.parent_item_id,
        team_indicator_id=item.team_indicator_id,
    )


@router.post("/alignment/candidates/{candidate_id:int}/link", response_model=CandidateLinkOut)
def link_candidate(candidate_id: int, body: CandidateLinkIn, db: DB, principal: Writer) -> CandidateLinkOut:
    """Set what a department indicator serves (an enterprise objective or an indicator above), or clear it."""
    cand = alignment.link_candidate(
        db,
        principal,
        pools.get_candidate(db, candidate_id),
        objective=bsc.get_objective(db, objective_id=body.objective_id) if body.objective_id else None,
        parent_candidate=pools.get_candidate(db, body.parent_candidate_id)
        if body.parent_candidate_id
        else None,
        reason=body.reason,
    )
    return CandidateLinkOut(
        candidate_id=cand.id,
        department_code=cand.department.code,
        objective_id=cand.objective_id,
        objective_code=cand.objective.code if cand.objective else None,
        parent_candidate_id=cand.parent_candidate_id,
    )


# --- team indicators with each member's contribution (S6.5) ---------------------------------------


def team_out(db: DB, principal: CurrentPrincipal, team: TeamIndicator) -> TeamIndicatorOut:
    view = teams.team_view(db, principal, team)
    return TeamIndicatorOut(
        id=team.id,
        department_code=team.department.code,
        card_code=team.card.code,
        name=team.name,
        name_en=team.name_en,
        period=team.period,
        candidate_id=team.candidate_id,
        version=team.version,
        total_share=view.total,
        members=[
            TeamMemberOut(
                employee_number=r.member.employee.number,
                employee_name=r.member.employee.name,
                share=r.member.share,
                contribution=r.member.contribution,
                item_id=r.item.id if r.item else None,
                scorecard_id=r.item.scorecard_id if r.item else None,
                item_weight=r.item.weight if r.item else None,
            )
            for r in view.rows
        ],
        hidden_members=view.hidden_count,
        hidden_share=view.hidden_share,
    )


def _save_team(db: DB, principal: Writer, body: TeamIndicatorIn, team: TeamIndicator | None) -> TeamIndicator:
    dept = org.get_department_by_code(db, body.department_code)
    try:
        card = cards.get_card_by_code(db, body.card_code)
        cand = pools.get_candidate(db, body.candidate_id) if body.candidate_id else None
    except NotFound as exc:  # a reference in the body is bad input, not a missing page
        raise ValidationFailed(exc.message, **exc.params) from exc
    members = teams.resolve_members(
        db, principal, [(m.employee_number, m.share, m.contribution) for m in body.members]
    )
    return teams.save_team_indicator(
        db,
        principal,
        dept,
        card,
        body.period,
        members,
        cand,
        team=team,
        version=body.version if isinstance(body, TeamIndicatorUpdate) else None,
        name=body.name,
        name_en=body.name_en,
        item_weight=body.item_weight,
        reason=body.reason,
    )


@router.get("/team-indicators", response_model=list[TeamIndicatorOut])
def list_team_indicators(
    db: DB, principal: CurrentPrincipal, department_id: int | None = None, period: str | None = None
) -> list[TeamIndicatorOut]:
    """Team indicators (of a department and those below it; of one period) (S6.5)."""
    found = teams.get_team_indicators(db, department_id=department_id, period=period)
    return [team_out(db, principal, x) for x in found]


@router.post("/team-indicators", response_model=TeamIndicatorOut, status_code=201)
def create_team_indicator(body: TeamIndicatorIn, db: DB, principal: Writer) -> TeamIndicatorOut:
    """A team result with each member's share (shares sum to exactly 100%); each member's scorecard
    of the period gets the item linked to it."""
    return team_out(db, principal, _save_team(db, principal, body, None))


@router.get("/team-indicators/{team_id:int}", response_model=TeamIndicatorOut)
def get_team_indicator(team_id: int, db: DB, principal: CurrentPrincipal) -> TeamIndicatorOut:
    return team_out(db, principal, teams.get_team_indicator(db, team_id))


@router.put("/team-indicators/{team_id:int}", response_model=TeamIndicatorOut)
def update_team_indicator(
    team_id: int, body: TeamIndicatorUpdate, db: DB, principal: Writer
) -> TeamIndicatorOut:
    """Change the members, shares, card, period or the indicator served (version checked)."""
    return team_out(db, principal, _save_team(db, principal, body, teams.get_team_indicator(db, team_id)))


@router.put("/team-indicators/{team_id:int}/contributions", response_model=TeamIndicatorOut)
def evaluate_contributions(
    team_id: int, body: ContributionsIn, db: DB, principal: Writer
) -> TeamIndicatorOut:
    """The manager's evaluation of each member's contribution to the team result."""
    team = teams.get_team_indicator(db, team_id)
    numbers = {m.employee.number: m.employee_id for m in team.members}
    strangers = [c.employee_number for c in body.contributions if c.employee_number not in numbers]
    if strangers:
        raise ValidationFailed(
            N_("{number} is not a member of this team: evaluate the members it lists."), number=strangers[0]
        )
    texts = {numbers[c.employee_number]: c.contribution for c in body.contributions}
    teams.evaluate_contributions(db, principal, team, texts, version=body.version, reason=body.reason)
    return team_out(db, principal, team)


@router.delete("/team-indicators/{team_id:int}", status_code=204)
def delete_team_indicator(team_id: int, db: DB, principal: Writer) -> Response:
    """Remove a team indicator; the members' items stay on their scorecards, unlinked."""
    teams.delete_team_indicator(db, principal, teams.get_team_indicator(db, team_id))
    return Response(status_code=204)
