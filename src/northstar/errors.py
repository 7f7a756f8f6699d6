"""One error hierarchy. Messages are catalogue keys with named parameters, so that the one
handler can render them in the user's language; services never raise HTTPException."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    """Marks a message for the catalogue without translating it here (translated at render)."""
    return message


class Label(str):
    """A message parameter that is itself a catalogue word (a field or entity name): the
    translator renders it in the user's language too."""


class Named(str):
    """A message parameter that has its own Chinese name (a catalogue value driver, a department):
    the English text is the string itself, the Chinese one ``zh``."""

    zh: str

    def __new__(cls, en: str, zh: str) -> Named:
        obj = super().__new__(cls, en)
        obj.zh = zh
        return obj


def zh_of(text: str) -> str:
    """A text's Chinese form: a ``Named`` one's Chinese name, any other text as it is."""
    return text.zh if isinstance(text, Named) else text


@dataclass
class Problem:
    """One thing wrong with the input: where (row, field) and what, with the fix in the message."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)
    row: int | None = None
    field: str | None = None
    sheet: str | None = None


class NorthstarError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(self, message: str, /, *, status: int | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        try:
            return self.message.format(**self.params)
        except (KeyError, IndexError):
            return self.message


class NotFound(NorthstarError):
    status = 404
    code = "not_found"


class Forbidden(NorthstarError):
    status = 403
    code = "forbidden"


class NotAuthenticated(NorthstarError):
    status = 401
    code = "not_authenticated"


class Conflict(NorthstarError):
    status = 409
    code = "conflict"


class TooManyRequests(NorthstarError):
    status = 429
    code = "too_many_requests"


class PayloadTooLarge(NorthstarError):
    status = 413
    code = "payload_too_large"


class ValidationFailed(NorthstarError):
    """Bad input: one or more problems, each naming its row/field and the fix. Nothing stored."""

    status = 422
    code = "validation_failed"

    def __init__(self, message: str, /, *, problems: list[Problem] | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.problems = problems or []
