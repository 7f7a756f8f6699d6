"""JSON API for indicator cards (S6.3) and the indicator library they are taken from (S5.4)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from northstar.indicators import service
from northstar.indicators.models import IndicatorCard
from northstar.indicators.schemas import AdoptIn, CardIn, CardOut, CardUpdate, LibraryCardOut
from northstar.org.service import get_department_by_code
from northstar.strategy.models import Perspective
from northstar.web.deps import DB, CurrentPrincipal, Writer

router = APIRouter(tags=["indicator cards"])


def card_out(card: IndicatorCard) -> CardOut:
    missing = service.missing_elements(card)
    return CardOut(
        **service.to_card_in(card).model_dump(),
        id=card.id,
        version=card.version,
        missing=missing,
        assessable=not missing,
    )


@router.get("/indicators", response_model=list[CardOut])
def list_cards(
    db: DB,
    principal: CurrentPrincipal,
    domain: str | None = None,
    driver: str | None = None,
    perspective: Perspective | None = None,
    complete: bool | None = None,
) -> list[CardOut]:
    """The design's indicator cards; ``complete=false`` lists the drafts that cannot be assessed yet."""
    cards = service.list_cards(db, domain=domain, driver=driver, perspective=perspective, complete=complete)
    return [card_out(c) for c in cards]


@router.get("/indicators/library", response_model=list[LibraryCardOut])
def list_library(
    db: DB, principal: CurrentPrincipal, domain: str | None = None, q: str | None = None
) -> list[LibraryCardOut]:
    """The bilingual indicator library, by domain; ``q`` searches codes, names and definitions."""
    out = []
    for card in service.library_cards(domain=domain, query=q):
        adopted = service.design_card_for(db, card.code)
        out.append(
            LibraryCardOut(
                **card.model_dump(),
                design_card_id=adopted.id if adopted else None,
                missing=service.missing_elements(card),
            )
        )
    return out


@router.post("/indicators/library/{code}/adopt", response_model=CardOut, status_code=201)
def adopt(code: str, db: DB, principal: Writer, body: AdoptIn | None = None) -> CardOut:
    """Copy a library card into the design; 409 when the design has it already."""
    dept = get_department_by_code(db, body.department) if body and body.department else None
    return card_out(service.adopt_library_card(db, principal, code, department=dept))


@router.post("/indicators", response_model=CardOut, status_code=201)
def create(body: CardIn, db: DB, principal: Writer) -> CardOut:
    """A new card; one missing elements is kept as a draft (``missing`` lists them)."""
    return card_out(service.create_card(db, principal, body))


@router.get("/indicators/{card_id:int}", response_model=CardOut)
def get(card_id: int, db: DB, principal: CurrentPrincipal) -> CardOut:
    return card_out(service.get_card(db, card_id))


@router.put("/indicators/{card_id:int}", response_model=CardOut)
def update(card_id: int, body: CardUpdate, db: DB, principal: Writer) -> CardOut:
    """Change a card; send the ``version`` you read (409 when someone saved in between)."""
    card = service.get_card(db, card_id)
    data = CardIn(**body.model_dump(exclude={"version", "reason"}))
    return card_out(service.update_card(db, principal, card, data, version=body.version, reason=body.reason))


@router.delete("/indicators/{card_id:int}", status_code=204)
def delete(card_id: int, db: DB, principal: Writer) -> Response:
    """Delete a card that nothing uses; 409 lists what still uses it."""
    service.delete_card(db, principal, service.get_card(db, card_id))
    return Response(status_code=204)
