"""The ``northstar`` command line. Every command runs one unit of work and calls services."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table as RichTable
from sqlalchemy.orm import Session, sessionmaker

from northstar.config import get_settings
from northstar.db import make_engine, make_session_factory, unit_of_work
from northstar.demo.company import DemoLogin
from northstar.errors import NorthstarError
from northstar.web.i18n import Translator, normalise

app = typer.Typer(help="Northstar (北极星): customer-oriented performance management.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo company.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for machine clients.", no_args_is_help=True)
org_app = typer.Typer(help="Organisation import and export.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(org_app, name="org")
workspace_app = typer.Typer(
    help="The workspace file: the whole design as YAML (export, import, validate, schema).",
    no_args_is_help=True,
)
app.add_typer(workspace_app, name="workspace")
console = Console()


def _factory() -> sessionmaker[Session]:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_session_factory(make_engine(settings.resolved_database_url))


def _cli_locale() -> str:
    """The terminal's language (LANG / LC_ALL), else the configured default."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        locale = normalise(os.environ.get(var))
        if locale:
            return locale
    return get_settings().default_locale


def _fail(exc: NorthstarError) -> None:
    t = Translator(_cli_locale())
    console.print(f"[red]{escape(t.gettext(exc.message, **exc.params))}[/red]")
    for p in getattr(exc, "problems", []):
        where = " ".join(x for x in (p.sheet or "", f"row {p.row}" if p.row else "", p.field or "") if x)
        # paths such as segments[2].code are text, not rich markup
        console.print(f"  [yellow]{escape(where)}[/yellow]: {escape(t.gettext(p.message, **p.params))}")
    raise typer.Exit(1)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, reload: bool = False) -> None:
    """Serve the web app and the JSON API."""
    import uvicorn

    uvicorn.run("northstar.web.main:app", host=host, port=port, reload=reload, proxy_headers=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from northstar import migrate

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.resolved_database_url, revision)
    console.print(f"Database at revision {revision}: {_redacted(settings.resolved_database_url)}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@demo_app.command("load")
def demo_load(
    skip_if_loaded: Annotated[
        bool, typer.Option(help="Exit quietly when the demo is already loaded.")
    ] = False,
) -> None:
    """Load the demo company into an empty database and print its logins."""
    from northstar.demo import company

    try:
        with unit_of_work(_factory()) as db:
            if skip_if_loaded and company.is_loaded(db):
                console.print("The demo company is already loaded.")
                _print_logins(company.logins())
                return
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("Building the demo company…", total=None)
                logins = company.load(db)
                progress.update(task, completed=1, total=1)
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print(f"Loaded the demo company {company.COMPANY[0]} / {company.COMPANY[1]}.")
    _print_logins(logins)


@demo_app.command("logins")
def demo_logins() -> None:
    """Print the demo logins and passwords."""
    from northstar.demo import company

    _print_logins(company.logins())


def _print_logins(logins: list[DemoLogin]) -> None:
    table = RichTable(title="Demo logins (one per role)")
    for col in ("username", "password", "role"):
        table.add_column(col)
    for login in logins:
        table.add_row(login.username, login.password, login.role.value)
    console.print(table)


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[
        str, typer.Option(help="admin, hr, executive, manager, employee or auditor")
    ] = "employee",
    employee: Annotated[str | None, typer.Option(help="The employee number this account belongs to.")] = None,
    password: Annotated[
        str | None, typer.Option(help="Omit to be prompted (safer than the shell history).")
    ] = None,
    name: str = "",
) -> None:
    """Create an account."""
    from northstar.security import service
    from northstar.security.models import Role
    from northstar.security.principal import SYSTEM_PRINCIPAL

    if password is None:
        password = getpass.getpass("Password: ")
    try:
        with unit_of_work(_factory()) as db:
            service.create_user(
                db,
                SYSTEM_PRINCIPAL.actor,
                username=username,
                role=Role(role),
                password=password,
                display_name=name,
                employee_number=employee,
            )
    except NorthstarError as exc:
        _fail(exc)
    except ValueError:
        console.print(f"[red]Unknown role {role}.[/red]")
        raise typer.Exit(1) from None
    console.print(f"Created {username} ({role}).")


@user_app.command("list")
def user_list() -> None:
    """List the accounts."""
    from northstar.security import service

    with unit_of_work(_factory()) as db:
        table = RichTable()
        for col in ("username", "role", "employee", "active"):
            table.add_column(col)
        for u in service.get_all_users(db):
            table.add_row(u.username, u.role.value, u.employee.number if u.employee else "", str(u.is_active))
    console.print(table)


@token_app.command("create")
def token_create(
    name: str, role: Annotated[str, typer.Option(help="Role of the new service account.")]
) -> None:
    """Create an API token for a new service account with ROLE; the secret is printed once."""
    from northstar.security import service
    from northstar.security.models import Role
    from northstar.security.principal import SYSTEM_PRINCIPAL

    try:
        with unit_of_work(_factory()) as db:
            row, secret = service.create_token(db, SYSTEM_PRINCIPAL.actor, name=name, role=Role(role))
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print(f"Token {row.name} (id {row.id}). Copy it now, it is not shown again:")
    console.print(secret, soft_wrap=True)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke an API token."""
    from northstar.security import service
    from northstar.security.principal import SYSTEM_PRINCIPAL

    try:
        with unit_of_work(_factory()) as db:
            service.revoke_token(db, SYSTEM_PRINCIPAL.actor, token_id=token_id)
    except NorthstarError as exc:
        _fail(exc)
    console.print(f"Revoked token {token_id}.")


@org_app.command("import")
def org_import(file: Path, sheet: str = "employees", reason: str = "") -> None:
    """Import an organisation file (.xlsx, or .csv holding SHEET); all rows or none."""
    from northstar.org import io as org_io
    from northstar.security.principal import SYSTEM_PRINCIPAL

    try:
        with unit_of_work(_factory()) as db:
            report = org_io.import_organisation(
                db,
                SYSTEM_PRINCIPAL,
                filename=file.name,
                content=file.read_bytes(),
                csv_sheet=sheet,
                reason=reason or None,
            )
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print(
        f"Imported: {report.departments} departments, {report.positions} positions, "
        f"{report.employees} employees ({report.created} created, {report.updated} updated)."
    )


@org_app.command("export")
def org_export(file: Path, locale: str = "zh_CN") -> None:
    """Export the organisation to FILE (.xlsx, or departments/positions/employees .csv by name)."""
    from northstar.org import io as org_io
    from northstar.security.principal import SYSTEM_PRINCIPAL

    with unit_of_work(_factory()) as db:
        if file.suffix == ".csv":
            sheet = file.stem if file.stem in ("departments", "positions") else "employees"
            data = org_io.export_csv(db, SYSTEM_PRINCIPAL, sheet=sheet, locale=locale)
        else:
            data = org_io.export_xlsx(db, SYSTEM_PRINCIPAL, locale=locale)
    file.write_bytes(data)
    console.print(f"Wrote {file} ({len(data):,} bytes).")


@workspace_app.command("export")
def workspace_export(
    file: Annotated[Path | None, typer.Argument(help="YAML file; stdout when omitted")] = None,
) -> None:
    """Write the whole design (customers to personal scorecards) as a YAML workspace file."""
    from northstar.workspace import design_file

    with unit_of_work(_factory()) as db:
        text = design_file.export_text(db)
    if file is None:
        typer.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    console.print(f"Wrote {file} ({len(text.encode()):,} bytes).")


@workspace_app.command("import")
def workspace_import(file: Path) -> None:
    """Import a workspace file into a database that holds the organisation but no design; all or nothing."""
    from northstar.security.principal import SYSTEM_PRINCIPAL
    from northstar.workspace import design_file

    try:
        with unit_of_work(_factory()) as db:
            counts = design_file.import_text(db, SYSTEM_PRINCIPAL, file.read_bytes())
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print("Imported: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n))


@workspace_app.command("validate")
def workspace_validate(file: Path) -> None:
    """List every problem of a workspace file, each with its path; change nothing."""
    from northstar.security.principal import SYSTEM_PRINCIPAL
    from northstar.workspace import design_file

    try:
        with unit_of_work(_factory()) as db:
            design_file.validate_text(db, SYSTEM_PRINCIPAL, file.read_bytes())
            db.rollback()
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print(f"{file}: valid.")


@workspace_app.command("schema")
def workspace_schema(
    file: Annotated[Path | None, typer.Argument(help="JSON file; stdout when omitted")] = None,
) -> None:
    """Print (or write) the JSON Schema of the workspace file."""
    import json

    from northstar.workspace.document import json_schema

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if file is None:
        typer.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    console.print(f"Wrote {file}.")


if __name__ == "__main__":
    app()
