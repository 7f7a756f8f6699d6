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

from northstar import yamlio
from northstar.config import get_settings
from northstar.db import make_engine, make_session_factory, unit_of_work
from northstar.demo.company import DemoLogin
from northstar.errors import N_, NorthstarError
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
data_app = typer.Typer(help="Data sources: register, load, push, quality.", no_args_is_help=True)
metrics_app = typer.Typer(help="Metrics: the spec, bindings and batch computation.", no_args_is_help=True)
spec_app = typer.Typer(help="The metric spec in force.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(metrics_app, name="metrics")
metrics_app.add_typer(spec_app, name="spec")
cycles_app = typer.Typer(help="Performance cycles: actuals, progress and reminders.", no_args_is_help=True)
app.add_typer(cycles_app, name="cycles")
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


#: what the demo load is doing at each of its stages (``company.STAGES``)
DEMO_STAGES = {
    "organisation": N_("Demo company: organisation, positions and people"),
    "value": N_("Demo company: customers and the value they receive"),
    "scorecards": N_("Demo company: strategy, KPI pools and scorecards"),
    "business_data": N_("Demo company: generating a year of business data"),
    "sources": N_("Demo company: registering and loading data sources"),
    "actuals_month": N_("Demo company: computing actuals by month"),
    "actuals_quarter": N_("Demo company: computing actuals by quarter"),
    "actuals_year": N_("Demo company: computing actuals for the year"),
    "cycles": N_("Demo company: performance cycles, reviews and scores"),
}


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
                t = Translator(_cli_locale())
                task = progress.add_task(t.gettext(DEMO_STAGES["organisation"]), total=len(company.STAGES))

                def stage(name: str) -> None:
                    progress.update(
                        task, description=t.gettext(DEMO_STAGES[name]), completed=company.STAGES.index(name)
                    )

                logins = company.load(db, get_settings(), step=stage)
                progress.update(task, completed=len(company.STAGES))
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


# --- data sources and metrics (S7) --------------------------------------------------------------


@data_app.command("register")
def data_register(file: Path) -> None:
    """Register (or update) the sources of a YAML file: a list of sources, or {sources: [...]}."""
    from northstar.data import registry
    from northstar.security.principal import SYSTEM_PRINCIPAL

    loaded = yamlio.load(file.read_text(encoding="utf-8"))
    entries = loaded.get("sources", []) if isinstance(loaded, dict) else loaded
    try:
        with unit_of_work(_factory()) as db:
            for entry in entries or []:
                source = registry.register_source(db, SYSTEM_PRINCIPAL, registry.source_in(entry))
                console.print(f"Registered {source.code} ({source.kind}).")
    except NorthstarError as exc:
        _fail(exc)


@data_app.command("sources")
def data_sources() -> None:
    """List the registered sources with their current snapshot and freshness."""
    from northstar.data import quality

    with unit_of_work(_factory()) as db:
        report = quality.quality_report(db)
        table = RichTable(
            "code",
            "kind",
            "system",
            "rows",
            "loaded",
            "latest event",
            "status",
            "empty required %",
            "invalid %",
        )
        for s in report.sources:
            snap = s.snapshot
            table.add_row(
                s.source.code,
                s.source.kind,
                s.source.system,
                f"{snap.rows:,}" if snap else "—",
                snap.loaded_at.strftime("%Y-%m-%d %H:%M") if snap else "—",
                snap.last_event.strftime("%Y-%m-%d") if snap and snap.last_event else "—",
                s.status + (f" ({s.age_days} d)" if s.age_days is not None else ""),
                str(s.null_share),
                str(s.invalid_share),
            )
    console.print(table)


@data_app.command("load")
def data_load(
    codes: Annotated[
        list[str] | None, typer.Argument(help="source codes; all file and SQL sources when omitted")
    ] = None,
) -> None:
    """Read file and SQL sources into new snapshots; each all or nothing."""
    from northstar.data import registry
    from northstar.security.principal import SYSTEM_PRINCIPAL

    settings = get_settings()
    try:
        with unit_of_work(_factory()) as db:
            names = codes or [s.code for s in registry.list_sources(db) if s.kind != "push"]
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("Loading sources…", total=len(names))
                for code in names:
                    result = registry.load_source(db, SYSTEM_PRINCIPAL, settings, code)
                    snap = result.snapshot
                    state = "new snapshot" if result.changed else "unchanged"
                    progress.console.print(f"{code}: {snap.rows:,} rows, snapshot {snap.number} ({state}).")
                    progress.advance(task)
    except NorthstarError as exc:
        _fail(exc)


@data_app.command("push")
def data_push(
    code: str,
    file: Path,
    key: Annotated[str, typer.Option(help="idempotency key: the same key is counted once")],
) -> None:
    """Push a JSON or CSV file of rows into a push source, as the HTTP endpoint does."""
    from northstar.data import registry
    from northstar.security.principal import SYSTEM_PRINCIPAL

    content_type = "text/csv" if file.suffix.lower() == ".csv" else "application/json"
    try:
        with unit_of_work(_factory()) as db:
            result = registry.push_batch(
                db,
                SYSTEM_PRINCIPAL,
                get_settings(),
                code,
                idempotency_key=key,
                content=file.read_bytes(),
                content_type=content_type,
            )
    except NorthstarError as exc:
        _fail(exc)
        return
    if result.replayed:
        console.print(f"{code}: the batch {key} had been received before; nothing added.")
    else:
        console.print(f"{code}: {result.batch.rows:,} rows received as batch {key}.")


@data_app.command("quality")
def data_quality() -> None:
    """Coverage of assignments by data and the share computed automatically (S7.5)."""
    from northstar.data import quality

    with unit_of_work(_factory()) as db:
        report = quality.quality_report(db)
    for c in report.coverage:
        console.print(
            f"{c.kind}: {c.computed:,} of {c.assignments:,} assignments have a computed value ({c.share}%)."
        )
    console.print(
        f"Computed automatically: {report.automatic:,}; entered by hand: {report.manual:,} "
        f"({report.automatic_share}% automatic)."
    )
    for gap in report.gaps[:20]:
        console.print(
            f"  gap: {gap['card']} {gap['scope_kind']} {gap['scope_key']}: {gap['reason']} ({gap['detail']})"
        )


@spec_app.command("save")
def spec_save(file: Path, note: str = "") -> None:
    """Check a metric spec (YAML or JSON) against the registered sources and save it."""
    from northstar.data import specs
    from northstar.security.principal import SYSTEM_PRINCIPAL

    try:
        with unit_of_work(_factory()) as db:
            version = specs.save_spec(db, SYSTEM_PRINCIPAL, file.read_text(encoding="utf-8"), note=note)
            console.print(f"Saved the metric spec, version {version.id} ({version.content_hash}).")
    except NorthstarError as exc:
        _fail(exc)


@spec_app.command("export")
def spec_export(
    file: Annotated[Path | None, typer.Argument(help="YAML file; stdout when omitted")] = None,
) -> None:
    """Print (or write) the metric spec in force."""
    from northstar.data import specs

    with unit_of_work(_factory()) as db:
        found = specs.current_spec(db)
        text = found.version.text if found else ""
    if not text:
        console.print("No metric spec has been saved yet.")
        raise typer.Exit(1)
    if file is None:
        typer.echo(text, nl=False)
        return
    file.write_text(text, encoding="utf-8")
    console.print(f"Wrote {file}.")


@spec_app.command("schema")
def spec_schema() -> None:
    """Print the JSON Schema of the metric spec."""
    import json

    from northstar.metrics.spec import spec_json_schema

    typer.echo(json.dumps(spec_json_schema(), ensure_ascii=False, indent=2))


@metrics_app.command("bind")
def metrics_bind(card: str, metric: str) -> None:
    """Compute the indicator card CARD from METRIC of the spec in force."""
    from northstar.data import specs
    from northstar.security.principal import SYSTEM_PRINCIPAL

    try:
        with unit_of_work(_factory()) as db:
            specs.bind(db, SYSTEM_PRINCIPAL, card, metric)
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print(f"{card} is computed from {metric}.")


@metrics_app.command("compute")
def metrics_compute(
    start: Annotated[
        str, typer.Option("--from", help="first day, YYYY-MM-DD (its whole period is computed)")
    ],
    end: Annotated[str, typer.Option("--to", help="the day after the last, YYYY-MM-DD")],
    grain: Annotated[str, typer.Option(help="week, month, quarter or year")] = "month",
) -> None:
    """Compute the actuals of every bound assignment for the periods of [FROM, TO)."""
    from datetime import date
    from typing import cast

    from northstar.data import compute
    from northstar.metrics.spec import Grain
    from northstar.security.principal import SYSTEM_PRINCIPAL

    try:
        first, after = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        console.print("[red]--from and --to take dates written YYYY-MM-DD, e.g. 2026-01-01.[/red]")
        raise typer.Exit(1) from None
    if grain not in ("week", "month", "quarter", "year"):
        console.print("[red]--grain takes week, month, quarter or year.[/red]")
        raise typer.Exit(1)
    steps = {
        "sources": N_("Reading source snapshots"),
        "person": N_("Computing per person"),
        "department": N_("Computing per department subtree"),
        "company": N_("Computing for the company"),
        "customer": N_("Computing per customer"),
        "project": N_("Computing per project"),
        "segment": N_("Computing per customer segment"),
        "dept_customer": N_("Computing per department for each customer"),
        "store": N_("Storing values with their lineage"),
        "done": N_("Done"),
    }
    settings = get_settings()
    try:
        with unit_of_work(_factory()) as db, Progress(console=console) as progress:
            t = Translator(_cli_locale())
            task = progress.add_task(t.gettext(N_("Preparing…")), total=None)

            def report(step: str, done: int, total: int) -> None:
                text = t.gettext(steps[step]) if step in steps else step
                progress.update(task, description=text, completed=done, total=total)

            run = compute.compute_actuals(
                db,
                SYSTEM_PRINCIPAL,
                settings,
                start=first,
                end=after,
                grain=cast(Grain, grain),
                progress=report,
            )
            actuals, gaps, run_id = run.actuals, len(run.gaps), run.id
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print(
        f"Run {run_id}: {actuals:,} actuals stored ({settings.metrics_engine}); {gaps:,} assignments without data."
    )


@cycles_app.command("list")
def cycles_list() -> None:
    """The cycles, newest first, with their state and participants."""
    from northstar.cycles import service as cycles

    with unit_of_work(_factory()) as db:
        found = cycles.list_cycles(db)
        counts = cycles.participant_counts(db, found)
        for c in found:
            coverage = c.department.code if c.department else "company"
            console.print(
                f"{c.code:<16} {c.kind.value:<8} {c.start} – {c.end}  {coverage:<10} {c.state.value:<12} "
                f"{counts.get(c.id, 0):>5} participants"
            )


@cycles_app.command("take-actuals")
def cycles_take_actuals(code: str) -> None:
    """Compute the cycle's period and take every person's figure into the cycle (for cron)."""
    from northstar.cycles import actuals as cycle_actuals
    from northstar.cycles import service as cycles
    from northstar.security.principal import SYSTEM_PRINCIPAL

    settings = get_settings()
    try:
        with unit_of_work(_factory()) as db, Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"Computing and taking the actuals of {code}…", total=None)
            out = cycle_actuals.take_computed(db, SYSTEM_PRINCIPAL, settings, cycles.get_cycle(db, code))
            progress.update(task, completed=1, total=1)
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print(
        f"{code}: {out.added:,} added, {out.refreshed:,} refreshed, {out.unchanged:,} unchanged, "
        f"{out.kept_manual:,} kept as entered by hand, {out.without_data:,} without data, "
        f"{out.by_hand:,} not bound to a metric (entered by hand)."
    )


@cycles_app.command("progress")
def cycles_progress(code: str) -> None:
    """Who has not done their step in the cycle."""
    from northstar.cycles import progress as cycle_progress
    from northstar.cycles import service as cycles
    from northstar.security.principal import SYSTEM_PRINCIPAL

    t = Translator(_cli_locale())
    try:
        with unit_of_work(_factory()) as db:
            pr = cycle_progress.progress(db, SYSTEM_PRINCIPAL, cycles.get_cycle(db, code))
            for step, count in pr.waiting.items():
                console.print(f"{t.gettext(cycle_progress.STEPS[step])}: {count:,}")
            for row in pr.rows:
                if row.due:
                    emp = row.participant.employee
                    console.print(f"  {emp.number} {emp.name}  {t.gettext(cycle_progress.STEPS[row.due])}")
    except NorthstarError as exc:
        _fail(exc)


@cycles_app.command("remind")
def cycles_remind(code: str) -> None:
    """Send in-app reminders to everyone with a step due in the cycle (for cron)."""
    from northstar.cycles import progress as cycle_progress
    from northstar.cycles import service as cycles
    from northstar.security.principal import SYSTEM_PRINCIPAL

    try:
        with unit_of_work(_factory()) as db:
            people = cycle_progress.remind(db, SYSTEM_PRINCIPAL, cycles.get_cycle(db, code))
    except NorthstarError as exc:
        _fail(exc)
        return
    console.print(f"{code}: {people:,} people reminded.")


if __name__ == "__main__":
    app()
