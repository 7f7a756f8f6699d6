"""The demo company and the CLI (`northstar db upgrade`, `demo load`, `user create`, `org export`)."""

from __future__ import annotations

from collections import Counter

import pytest
from rich.progress import Progress
from sqlalchemy import select
from typer.testing import CliRunner

from northstar import cli as cli_module
from northstar.cli import app as cli
from northstar.demo import company
from northstar.org.models import Department, DepartmentKind, Employee
from northstar.security.models import Role, User
from northstar.web.i18n import Translator
from tests.conftest import login


def test_demo_company_is_a_realistic_mid_size_company_covering_every_department_kind(demo, db):
    depts = db.scalars(select(Department)).all()
    people = db.scalars(select(Employee)).all()
    assert 12 <= len(depts) <= 16
    assert {d.kind for d in depts} == set(DepartmentKind)
    assert 280 <= len(people) <= 330
    assert all(d.head is not None for d in depts)
    tops = [e for e in people if e.manager is None]
    assert len(tops) == 1  # one chief executive; everyone else has a manager
    for e in people:  # no loops: every chain ends at the top
        seen, node = set(), e
        while node.manager is not None:
            assert node.id not in seen
            seen.add(node.id)
            node = node.manager
    assert all(e.position is not None for e in people)
    assert len(Counter(e.name for e in people)) > 250  # realistic names, few namesakes
    assert any(e.end_date for e in people)  # leavers keep their history


def test_demo_has_one_working_login_per_role(demo, client, db):
    assert {login.role for login in demo} == set(Role)
    for entry in demo:
        login(client, entry.username, entry.password)
        me = client.get("/api/v1/me").json()
        assert me["role"] == entry.role.value
        client.cookies.clear()
    manager = db.scalar(select(User).where(User.username == "manager"))
    employee = db.scalar(select(User).where(User.username == "employee"))
    assert (
        employee.employee.manager.manager_id == manager.employee_id
        or employee.employee.department.parent_id == manager.employee.department_id
        or employee.employee.department_id == manager.employee.department_id
    )


def test_demo_manager_sees_their_service_centre_but_not_manufacturing(demo, client):
    entry = next(d for d in demo if d.username == "manager")
    login(client, entry.username, entry.password)
    listed = client.get("/api/v1/employees", params={"limit": 500}).json()
    departments = {e["department_code"] for e in listed["items"]}
    assert departments == {"CSC", "FS"}


@pytest.fixture
def cli_env(db_url, tmp_path, monkeypatch):
    from northstar.config import get_settings

    monkeypatch.setenv("NORTHSTAR_DATABASE_URL", db_url)
    monkeypatch.setenv("NORTHSTAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


# one database (PostgreSQL in CI): the ``demo`` fixture loads the company for real on SQLite once
# per session, so this is the real load on PostgreSQL; the command's exit codes and messages do
# not depend on the database
@pytest.mark.one_database
def test_cli_loads_the_demo_once_and_refuses_a_database_with_other_data(
    cli_env, session_factory, monkeypatch
):
    runner = cli_env
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    # what the progress bar says, in order (the runner is no terminal, so rich draws nothing)
    shown: list[tuple[str, int]] = []

    class Recorded(Progress):
        def update(self, task_id, **changes):
            if changes.get("description") is not None:
                shown.append((changes["description"], changes.get("completed")))
            super().update(task_id, **changes)

    monkeypatch.setattr(cli_module, "Progress", Recorded)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # a Chinese terminal
    first = runner.invoke(cli, ["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Northstar-manager-2026" in first.output
    # every stage of the load is shown, in order, in the terminal's language, with how far the
    # load has come
    zh = Translator("zh_CN")
    assert shown == [(zh.gettext(cli_module.DEMO_STAGES[s]), i) for i, s in enumerate(company.STAGES)]
    assert shown[5] == ("示例公司：按月计算实际值", 5)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    again = runner.invoke(cli, ["demo", "load"])
    assert again.exit_code == 1 and "already loaded" in again.output
    skipped = runner.invoke(cli, ["demo", "load", "--skip-if-loaded"])
    assert skipped.exit_code == 0


def test_cli_demo_load_refuses_a_database_that_holds_someone_elses_data(cli_env):
    runner = cli_env
    created = runner.invoke(cli, ["user", "create", "alice", "--role", "hr", "--password", "a-long-password"])
    assert created.exit_code == 0, created.output
    refused = runner.invoke(cli, ["demo", "load", "--skip-if-loaded"])
    assert refused.exit_code == 1
    assert "already holds other data" in " ".join(refused.output.split())


def test_cli_user_create_rejects_a_short_password_and_unknown_employee(cli_env):
    runner = cli_env
    short = runner.invoke(cli, ["user", "create", "bob", "--password", "short"])
    assert short.exit_code == 1 and "at least 10" in short.output
    unknown = runner.invoke(
        cli, ["user", "create", "bob", "--password", "long-enough-pw", "--employee", "X999"]
    )
    assert unknown.exit_code == 1 and "X999" in unknown.output


def test_cli_exports_and_reimports_the_organisation(demo, cli_env, tmp_path):
    # the demo fixture restores the company the CLI test above loads for real
    runner = cli_env
    target = tmp_path / "org.xlsx"
    exported = runner.invoke(cli, ["org", "export", str(target)])
    assert exported.exit_code == 0 and target.stat().st_size > 10_000
    again = runner.invoke(cli, ["org", "import", str(target)])
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated" in again.output


def test_cli_messages_follow_the_terminal_language(cli_env, monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    short = cli_env.invoke(cli, ["user", "create", "bob", "--password", "short"])
    assert short.exit_code == 1 and "密码" in short.output
