"""Piecewise edits of a position's design — the forms of the position page. Each one reads the
stored design, changes one piece and saves the whole through ``save_position_design``, so a
piece is checked against the same rules as a whole design and audited the same way."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from northstar.db import check_version
from northstar.errors import N_, NotFound, Problem, ValidationFailed
from northstar.org.models import Position
from northstar.positions.models import IndicatorRole
from northstar.positions.schemas import (
    IndicatorIn,
    OutputFields,
    OutputIn,
    PositionDesignIn,
    ResponsibilityFields,
    ResponsibilityIn,
    SupportingIndicatorIn,
)
from northstar.positions.service import design_of, save_position_design
from northstar.security.principal import Principal
from northstar.security.scope import require_department_editor


def _edit(
    db: Session,
    principal: Principal,
    position: Position,
    version: int,
    change: Callable[[PositionDesignIn], None],
    reason: str | None = None,
) -> Position:
    require_department_editor(db, principal, position.department_id)
    check_version(position, version, position.name)
    design = design_of(db, position)
    change(design)
    return save_position_design(db, principal, position, design, version=version, reason=reason)


def _responsibility(design: PositionDesignIn, index: int) -> ResponsibilityIn:
    if not 0 <= index < len(design.responsibilities):
        raise NotFound(N_("There is no key responsibility {n} on this position."), n=index + 1)
    return design.responsibilities[index]


def _output(design: PositionDesignIn, index: int, output: int) -> OutputIn:
    resp = _responsibility(design, index)
    if not 0 <= output < len(resp.outputs):
        raise NotFound(N_("Responsibility {n} has no key output {m}."), n=index + 1, m=output + 1)
    return resp.outputs[output]


def add_responsibility(
    db: Session, principal: Principal, position: Position, data: ResponsibilityFields, *, version: int
) -> Position:
    """Append a key responsibility with the customers it serves."""

    def change(d: PositionDesignIn) -> None:
        d.responsibilities.append(ResponsibilityIn(**data.model_dump()))

    return _edit(db, principal, position, version, change)


def update_responsibility(
    db: Session,
    principal: Principal,
    position: Position,
    index: int,
    data: ResponsibilityFields,
    *,
    version: int,
) -> Position:
    """Change a responsibility's statement, description or customers; its outputs stay."""

    def change(d: PositionDesignIn) -> None:
        resp = _responsibility(d, index)
        for key, value in data.model_dump().items():
            setattr(resp, key, value)

    return _edit(db, principal, position, version, change)


def remove_responsibility(
    db: Session, principal: Principal, position: Position, index: int, *, version: int
) -> Position:
    """Remove a responsibility with its outputs and their indicators."""

    def change(d: PositionDesignIn) -> None:
        _responsibility(d, index)
        del d.responsibilities[index]

    return _edit(db, principal, position, version, change)


def add_output(
    db: Session,
    principal: Principal,
    position: Position,
    index: int,
    data: OutputFields,
    *,
    indicator: IndicatorIn | None = None,
    version: int,
) -> Position:
    """Add a key output to responsibility ``index`` (0-based), optionally with its core indicator."""

    def change(d: PositionDesignIn) -> None:
        _remove_card(d, indicator.card if indicator else "")
        _responsibility(d, index).outputs.append(OutputIn(**data.model_dump(), indicator=indicator))

    return _edit(db, principal, position, version, change)


def update_output(
    db: Session,
    principal: Principal,
    position: Position,
    index: int,
    output: int,
    data: OutputFields,
    *,
    version: int,
) -> Position:
    def change(d: PositionDesignIn) -> None:
        out = _output(d, index, output)
        out.name, out.name_en = data.name, data.name_en

    return _edit(db, principal, position, version, change)


def remove_output(
    db: Session, principal: Principal, position: Position, index: int, output: int, *, version: int
) -> Position:
    """Remove a key output and its indicators."""

    def change(d: PositionDesignIn) -> None:
        _output(d, index, output)
        del d.responsibilities[index].outputs[output]

    return _edit(db, principal, position, version, change)


def _remove_card(design: PositionDesignIn, card: str) -> bool:
    found = False
    for r in design.responsibilities:
        for o in r.outputs:
            if o.indicator is not None and o.indicator.card == card:
                o.indicator, found = None, True
            kept = [s for s in o.supporting if s.card != card]
            found = found or len(kept) != len(o.supporting)
            o.supporting = kept
    kept = [s for s in design.other_indicators if s.card != card]
    found = found or len(kept) != len(design.other_indicators)
    design.other_indicators = kept
    return found


def set_indicator(
    db: Session,
    principal: Principal,
    position: Position,
    data: SupportingIndicatorIn,
    *,
    index: int | None,
    output: int | None,
    version: int,
) -> Position:
    """Put a card on the position: as an output's core indicator (replacing the old one), as its
    quality or collaboration indicator, or (no output) as one of the position as a whole. A card
    already on the position moves."""

    def change(d: PositionDesignIn) -> None:
        _remove_card(d, data.card)
        plain_in = IndicatorIn(card=data.card, weight=data.weight, candidate=data.candidate)
        if index is None or output is None:
            if data.role is IndicatorRole.core:
                raise ValidationFailed(
                    N_("A core indicator measures a key output: choose the output it measures."),
                    problems=[
                        Problem(N_("Choose the key output this core indicator measures."), field="output")
                    ],
                )
            d.other_indicators.append(data)
            return
        out = _output(d, index, output)
        if data.role is IndicatorRole.core:
            out.indicator = plain_in
        else:
            out.supporting.append(data)

    return _edit(db, principal, position, version, change)


def remove_indicator(
    db: Session, principal: Principal, position: Position, card: str, *, version: int
) -> Position:
    """Take a card off the position (holders lose it at the next assignment)."""

    def change(d: PositionDesignIn) -> None:
        if not _remove_card(d, card):
            raise NotFound(N_('The card "{code}" is not on this position.'), code=card)

    return _edit(db, principal, position, version, change)
