"""Form posts of the HTML pages: run one change, then go on to the next page or show the page
again with what was refused."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from northstar.errors import N_, Conflict, NorthstarError, Problem, ValidationFailed
from northstar.web.i18n import Translator


def form_action(
    db: Session,
    action: Callable[[], object],
    *,
    success_url: str | None = None,
    rerender: Callable[[NorthstarError], Response],
) -> Response:
    """Run ``action``; a 303 to ``success_url`` (or, without one, to the URL ``action`` returns,
    for a next page that tells what the change did), or when it is refused (ValidationFailed,
    Conflict) the unit of work rolled back and ``rerender(error)`` — the page with the error."""
    try:
        result = action()
    except (ValidationFailed, Conflict) as exc:
        db.rollback()
        return rerender(exc)
    return RedirectResponse(success_url if success_url is not None else str(result), status_code=303)


def error_context(t: Translator, error: NorthstarError | None) -> dict[str, Any]:
    """The ``error`` banner and the ``problems`` table rows of a page shown after a refusal."""
    return {
        "error": t.gettext(error.message, **error.params) if error else None,
        "problems": [
            {"sheet": None, "row": None, "field": p.field, "message": t.gettext(p.message, **p.params)}
            for p in getattr(error, "problems", [])
        ],
    }


def percent_field(raw: str, field: str = "weight") -> Decimal:
    """A percentage typed in a form ("30" or "30%"; empty is 0); not a number → a problem at ``field``."""
    try:
        return Decimal(raw.strip().rstrip("%") or "0")
    except InvalidOperation as exc:
        raise ValidationFailed(
            N_('The weight "{value}" is not a number: write a percentage such as 30.'),
            problems=[Problem(N_("Write a number."), field=field)],
            value=raw,
        ) from exc
