"""The workspace file as YAML text: export, import and validate (``northstar workspace …``)."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import yaml
from sqlalchemy.orm import Session

from northstar import yamlio
from northstar.errors import N_, Problem, ValidationFailed
from northstar.security.principal import Principal
from northstar.workspace.design_export import export_design
from northstar.workspace.design_import import import_design, parse_document, validate_design
from northstar.workspace.document import WorkspaceDoc

HEADER = (
    "# Northstar workspace file: the whole customer-oriented design of one company.\n"
    "# Schema: northstar workspace schema (JSON Schema); departments, positions and employees by code.\n"
)


class _Dumper(yaml.SafeDumper):
    """Block style, Chinese kept as written, decimals as plain numbers, multi-line text as blocks."""


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = format(value, "f")
    tag = "tag:yaml.org,2002:int" if "." not in text else "tag:yaml.org,2002:float"
    return dumper.represent_scalar(tag, text)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(Decimal, _decimal)
_Dumper.add_representer(str, _str)
_Dumper.add_multi_representer(enum.StrEnum, lambda dumper, value: _str(dumper, str(value.value)))


def dump(doc: WorkspaceDoc) -> str:
    """The document as YAML; fields left at their defaults are omitted to keep reviews short."""
    data = doc.model_dump(mode="python", exclude_defaults=True)
    data = {"northstar_workspace": doc.northstar_workspace, **data}
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)
    return HEADER + body


def export_text(db: Session) -> str:
    """The stored design as a workspace file."""
    return dump(export_design(db))


def load(text: str | bytes) -> WorkspaceDoc:
    """Parse YAML text into a document; YAML and schema errors become problems with paths."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(
                N_("The workspace file is not UTF-8 text: save it as UTF-8 and import it again.")
            ) from None
    try:
        data: Any = yamlio.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ValidationFailed(
            N_("The file is not valid YAML near line {line}, column {column}: {detail}"),
            problems=[
                Problem(
                    N_("Check the indentation and quoting here."),
                    row=(mark.line + 1) if mark else None,
                )
            ],
            line=(mark.line + 1) if mark else "?",
            column=(mark.column + 1) if mark else "?",
            detail=str(getattr(exc, "problem", "") or exc),
        ) from None
    if not isinstance(data, dict):
        raise ValidationFailed(
            N_("The workspace file must be a YAML mapping starting with northstar_workspace: 1.")
        )
    return parse_document(data)


def import_text(db: Session, principal: Principal, text: str | bytes) -> dict[str, int]:
    """Import a workspace file into a database with the organisation and no design; all or nothing."""
    return import_design(db, principal, load(text))


def validate_text(db: Session, principal: Principal, text: str | bytes) -> None:
    """Raise ValidationFailed listing every problem of the file; change nothing."""
    validate_design(db, principal, load(text))
