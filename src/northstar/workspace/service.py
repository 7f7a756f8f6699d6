"""The design as one workbook. Each domain contributes a ``Part``: its sheet specs, a function
that imports its tables (reporting problems row by row) and one that exports them. Import runs
every part in dependency order and stores nothing when any row of any sheet has a problem (the
edge rolls the unit of work back)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from northstar.errors import N_, NorthstarError, Problem, ValidationFailed
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.tabular import SheetSpec, Table, read_upload, write_xlsx

SheetOut = tuple[str, Sequence[str], list[list[Any]]]


class ImportCounts(BaseModel):
    """What an import did, per sheet: rows read."""

    sheets: dict[str, int] = {}
    rows: int = 0


@dataclass
class Problems:
    """Problems collected across every sheet, so the user sees them all at once."""

    items: list[Problem] = field(default_factory=list)

    def add(self, sheet: str, row: int | None, field_: str | None, message: str, **params: Any) -> None:
        self.items.append(Problem(message, params, row=row, field=field_, sheet=sheet))

    @contextmanager
    def at(self, sheet: str, row: int | None, field_: str | None = None) -> Iterator[None]:
        """Turn a service's refusal into a problem of this row instead of stopping the import."""
        try:
            yield
        except ValidationFailed as exc:
            if exc.problems:
                for p in exc.problems:
                    self.items.append(
                        Problem(p.message, p.params, row=p.row or row, field=p.field or field_, sheet=sheet)
                    )
            else:
                self.add(sheet, row, field_, exc.message, **exc.params)
        except NorthstarError as exc:
            self.add(sheet, row, field_, exc.message, **exc.params)


@dataclass(frozen=True)
class Part:
    key: str
    specs: tuple[SheetSpec, ...]
    importer: Callable[[Session, Principal, dict[str, Table], Problems], None]
    exporter: Callable[[Session, str], list[SheetOut]]


def specs(parts: Sequence[Part]) -> list[SheetSpec]:
    return [s for p in parts for s in p.specs]


def import_workbook(
    db: Session,
    principal: Principal,
    parts: Sequence[Part],
    *,
    filename: str,
    content: bytes,
    csv_sheet: str | None = None,
) -> ImportCounts:
    """Import every known sheet of a workbook (or one CSV table): all of it, or nothing."""
    principal.require(*DESIGN_ROLES)
    tables = read_upload(filename, content, specs(parts), csv_sheet=csv_sheet)
    problems = Problems()
    for part in parts:
        part.importer(db, principal, tables, problems)
    if problems.items:
        order = [s.key for s in specs(parts)]
        problems.items.sort(key=lambda p: (order.index(p.sheet) if p.sheet in order else 99, p.row or 0))
        raise ValidationFailed(
            N_("Nothing was imported: {count} problem(s) found. Fix them and upload the file again."),
            problems=problems.items,
            count=len(problems.items),
        )
    return ImportCounts(
        sheets={k: len(t.rows) for k, t in tables.items()}, rows=sum(len(t.rows) for t in tables.values())
    )


def export_workbook(db: Session, parts: Sequence[Part], *, locale: str) -> bytes:
    """The design (or some parts of it) as one xlsx, in the same shape the import reads."""
    sheets: list[SheetOut] = []
    for part in parts:
        sheets += part.exporter(db, locale)
    return write_xlsx(sheets)


def headers(spec: SheetSpec, locale: str) -> list[str]:
    return [c.header(locale) for c in spec.columns]


def truthy(value: Any) -> bool:
    """Yes/no cells as HR writes them: yes, y, true, 1, ✓, 是, 对."""
    return str(value or "").strip().lower() in {"yes", "y", "true", "1", "x", "✓", "√", "是", "对", "key"}


LIST_SEPARATORS = ("、", "，", "；", ";", "\n", "/", "|")


def split_list(value: Any, separators: Sequence[str] = LIST_SEPARATORS) -> list[str]:
    """A cell listing several things: 销售、计划、供应链 or "SALES, SCM; QA" or one per line."""
    text = str(value or "")
    for sep in separators:
        text = text.replace(sep, ",")
    return [p.strip() for p in text.split(",") if p.strip()]
