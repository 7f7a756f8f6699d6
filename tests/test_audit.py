"""The append-only audit log: one row per changed field, who/when/old/new/reason; its page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from northstar.audit import AuditLog
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org


@pytest.fixture
def small_org(session_factory):
    return build_small_org(session_factory)


def rows(db, **where):
    db.expire_all()
    q = select(AuditLog)
    for k, v in where.items():
        q = q.where(getattr(AuditLog, k) == v)
    return db.scalars(q.order_by(AuditLog.id)).all()


def test_every_change_through_the_api_writes_an_audit_row_with_actor_and_reason(client, small_org, db):
    csrf = login(client, "hr", PASSWORD)
    h = {"X-CSRF-Token": csrf}
    created = client.post(
        "/api/v1/departments",
        headers=h,
        json={"code": "LEG", "name": "法务部", "name_en": "Legal", "kind": "support", "parent_code": "HQ"},
    ).json()
    client.patch(
        f"/api/v1/departments/{created['id']}",
        headers=h,
        json={"name": "法务合规部", "version": created["version"], "reason": "scope now includes compliance"},
    )
    emp = client.post(
        "/api/v1/employees",
        headers=h,
        json={"number": "E100", "name": "冯律", "department_code": "LEG", "start_date": "2024-02-01"},
    ).json()
    client.patch(
        f"/api/v1/employees/{emp['id']}",
        headers=h,
        json={
            "manager_number": "E001",
            "end_date": "2025-12-31",
            "version": emp["version"],
            "reason": "fixed-term",
        },
    )
    client.post(
        "/api/v1/positions", headers=h, json={"code": "LEG-C", "name": "法务专员", "department_code": "LEG"}
    )

    dept_rows = rows(db, entity="department", entity_id="LEG")
    assert {(r.action, r.field) for r in dept_rows} >= {
        ("create", "name"),
        ("create", "parent"),
        ("update", "name"),
    }
    rename = next(r for r in dept_rows if r.action == "update")
    assert (rename.old, rename.new, rename.reason, rename.actor_name) == (
        "法务部",
        "法务合规部",
        "scope now includes compliance",
        "hr",
    )
    emp_updates = {
        r.field: (r.old, r.new, r.reason)
        for r in rows(db, entity="employee", entity_id="E100", action="update")
    }
    assert emp_updates == {
        "manager": (None, "E001", "fixed-term"),
        "end_date": (None, "2025-12-31", "fixed-term"),
    }
    assert rows(db, entity="position", entity_id="LEG-C")


def test_changes_through_pages_and_account_actions_are_audited_too(client, small_org, db):
    csrf = login(client, "admin", PASSWORD)
    emp_id = small_org.id("b1")
    page = client.get(f"/org/employees/{emp_id}")
    version = int(page.text.split('name="version" value="')[1].split('"')[0])
    client.post(
        f"/org/employees/{emp_id}",
        data={
            "csrf_token": csrf,
            "version": version,
            "name": "李一一",
            "department_code": "OPS",
            "start_date": "2022-01-10",
            "manager_number": "E002",
            "position_code": "OPS-AG",
            "reason": "name corrected",
        },
    )
    client.post(
        "/admin/users",
        data={"csrf_token": csrf, "username": "newhr", "password": "long-password-1", "role": "hr"},
    )
    token = client.post(
        "/api/v1/tokens", headers={"X-CSRF-Token": csrf}, json={"name": "ERP", "role": "hr"}
    ).json()
    client.delete(f"/api/v1/tokens/{token['id']}", headers={"X-CSRF-Token": csrf})
    client.post("/account/language", data={"csrf_token": csrf, "locale": "en", "next": "/"})

    assert [
        (r.field, r.old, r.new, r.reason)
        for r in rows(db, entity="employee", entity_id="E003", action="update")
    ] == [("name", "李一", "李一一", "name corrected")]
    created_accounts = [r.new for r in rows(db, entity="user", action="create", field="username")]
    assert "newhr" in created_accounts and "svc-erp" in created_accounts  # the token's service account
    assert {r.action for r in rows(db, entity="api_token")} == {"create", "revoke"}
    assert rows(db, entity="user", field="locale")[-1].new == "en"


def test_a_refused_change_leaves_no_audit_row(client, small_org, db):
    csrf = login(client, "hr", PASSWORD)
    before = len(rows(db))
    response = client.post(
        "/api/v1/employees",
        headers={"X-CSRF-Token": csrf},
        json={"number": "E200", "name": "无部门", "department_code": "NOPE", "start_date": "2024-01-01"},
    )
    assert response.status_code == 422
    assert len(rows(db)) == before


def test_the_database_refuses_to_update_or_delete_audit_rows(session_factory, small_org):
    for statement in ("UPDATE audit_log SET new = 'forged'", "DELETE FROM audit_log"):
        with session_factory() as s, pytest.raises(DBAPIError, match="append-only"):
            s.execute(text(statement))
            s.commit()
    with session_factory() as s:
        assert s.scalar(text("SELECT count(*) FROM audit_log WHERE new = 'forged'")) == 0


def test_stale_version_is_a_conflict_and_nothing_is_lost(client, anon_client, small_org, db):
    first = login(client, "hr", PASSWORD)
    second = login(anon_client, "admin", PASSWORD)
    emp = client.get(f"/api/v1/employees/{small_org.id('b1')}").json()
    ok = client.patch(
        f"/api/v1/employees/{emp['id']}",
        headers={"X-CSRF-Token": first},
        json={"email": "li@x.cn", "version": emp["version"]},
    )
    assert ok.status_code == 200
    late = anon_client.patch(
        f"/api/v1/employees/{emp['id']}",
        headers={"X-CSRF-Token": second},
        json={"email": "other@x.cn", "version": emp["version"]},
    )
    assert late.status_code == 409
    assert "changed by someone else" in late.json()["error"]["message"]
    assert client.get(f"/api/v1/employees/{emp['id']}").json()["email"] == "li@x.cn"


@pytest.mark.parametrize(
    "username,status", [("admin", 200), ("hr", 200), ("aud", 200), ("exec", 403), ("mgr", 403), ("emp", 403)]
)
def test_audit_page_is_for_admin_hr_and_auditor(client, small_org, username, status):
    login(client, username, PASSWORD)
    assert client.get("/audit").status_code == status
    assert client.get("/api/v1/audit").status_code == status


def test_audit_page_filters_by_entity_and_by_user(client, small_org, db):
    csrf = login(client, "hr", PASSWORD)
    client.post(
        "/api/v1/positions",
        headers={"X-CSRF-Token": csrf},
        json={"code": "FIN-A", "name": "会计", "department_code": "FIN"},
    )
    hr_id = db.scalar(text("SELECT id FROM user_account WHERE username = 'hr'"))
    by_entity = client.get("/api/v1/audit", params={"entity": "position"}).json()
    assert by_entity["total"] > 0 and {i["entity"] for i in by_entity["items"]} == {"position"}
    by_user = client.get("/api/v1/audit", params={"user_id": hr_id}).json()
    assert by_user["items"] and {i["actor"] for i in by_user["items"]} == {"hr"}
    page = client.get("/audit", params={"entity": "position", "user_id": hr_id})
    assert "FIN-A" in page.text and "E004" not in page.text


def test_service_helper_writes_nothing_when_nothing_changed(db, small_org):
    from northstar import audit
    from northstar.audit import SYSTEM

    before = len(rows(db))
    audit.record(
        db,
        SYSTEM,
        action="update",
        entity="employee",
        entity_id="E001",
        changes={"start_date": (date(2022, 1, 10), date(2022, 1, 10))},
    )
    assert len(rows(db)) == before


def test_a_manager_change_that_would_close_a_loop_is_refused_with_the_fix(client, small_org, db):
    csrf = login(client, "hr", PASSWORD)
    ceo = client.get(f"/api/v1/employees/{small_org.id('ceo')}").json()
    before = len(rows(db))
    response = client.patch(
        f"/api/v1/employees/{ceo['id']}",
        headers={"X-CSRF-Token": csrf},
        json={"manager_number": "E004", "version": ceo["version"]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "Employee E001 cannot report to E004: that would make the reporting line a loop. "
        "Choose a manager outside E001's own reporting line."
    )
    assert len(rows(db)) == before
