"""Accounts and access: CSRF, sessions, rate limit, API tokens, headers (foundation issue)."""

from __future__ import annotations

import pytest

from northstar.web.deps import SESSION_COOKIE
from tests.conftest import csrf_of, login
from tests.factories import PASSWORD, build_small_org


@pytest.fixture
def small_org(session_factory):
    return build_small_org(session_factory)


def test_state_changing_form_without_csrf_token_is_refused(client, small_org):
    login(client, "hr", PASSWORD)
    response = client.post("/account/language", data={"locale": "zh_CN", "next": "/"}, follow_redirects=False)
    assert response.status_code == 403
    assert "CSRF" in response.text
    wrong = client.post(
        "/account/language", data={"locale": "zh_CN", "csrf_token": "forged"}, follow_redirects=False
    )
    assert wrong.status_code == 403


def test_cookie_authenticated_api_call_needs_the_csrf_header(client, small_org):
    csrf = login(client, "hr", PASSWORD)
    body = {"code": "LEG", "name": "法务部", "kind": "support", "parent_code": "HQ"}
    refused = client.post("/api/v1/departments", json=body)
    assert refused.status_code == 403
    assert client.get("/api/v1/departments").json().__len__() == 4  # nothing was created
    accepted = client.post("/api/v1/departments", json=body, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201, accepted.text


def test_login_form_itself_is_csrf_protected(anon_client, small_org):
    response = anon_client.post(
        "/login", data={"username": "hr", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 403


def test_session_id_rotates_at_login_and_the_old_id_is_dead(client, anon_client, small_org):
    client.get("/login")
    before = client.cookies.get(SESSION_COOKIE)
    assert before
    login(client, "hr", PASSWORD)
    after = client.cookies.get(SESSION_COOKIE)
    assert after and after != before
    # A browser that still holds the pre-login id (session fixation) is not signed in.
    anon_client.cookies.set(SESSION_COOKIE, before)
    assert anon_client.get("/api/v1/me").status_code == 401


def test_logout_invalidates_the_session_on_the_server(client, anon_client, small_org):
    csrf = login(client, "hr", PASSWORD)
    stolen = client.cookies.get(SESSION_COOKIE)
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    anon_client.cookies.set(SESSION_COOKIE, stolen)
    assert anon_client.get("/api/v1/me").status_code == 401
    page = anon_client.get("/", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_wrong_password_is_one_message_for_unknown_users_too(client, small_org):
    for username in ("hr", "nobody"):
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": username, "password": "wrong-password", "csrf_token": csrf_of(page.text)},
        )
        assert response.status_code == 401
        assert "Wrong username or password." in response.text


def test_login_rate_limit_refuses_even_the_right_password_after_repeated_failures(client, small_org):
    for _ in range(5):
        page = client.get("/login")
        r = client.post(
            "/login", data={"username": "hr", "password": "guess-guess", "csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 401
    page = client.get("/login")
    blocked = client.post(
        "/login",
        data={"username": "hr", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text
    # Another account is not locked by someone guessing at hr.
    login(client, "admin", PASSWORD)


def test_api_token_authenticates_and_stops_working_when_revoked(client, anon_client, small_org):
    csrf = login(client, "admin", PASSWORD)
    created = client.post(
        "/api/v1/tokens", json={"name": "CRM sync", "role": "hr"}, headers={"X-CSRF-Token": csrf}
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("nst_")
    listed = client.get("/api/v1/tokens").json()
    assert all("token" not in t for t in listed)  # shown once, never listed

    auth = {"Authorization": f"Bearer {secret}"}
    me = anon_client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200 and me.json()["role"] == "hr" and me.json()["via_token"] is True
    assert anon_client.get("/api/v1/employees", headers=auth).json()["total"] == 7
    # Token calls need no CSRF token: no browser attaches this header by itself.
    assert (
        anon_client.post(
            "/api/v1/positions",
            headers=auth,
            json={"code": "FIN-ACC", "name": "会计", "department_code": "FIN"},
        ).status_code
        == 201
    )

    revoked = client.delete(f"/api/v1/tokens/{created.json()['id']}", headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    again = anon_client.get("/api/v1/me", headers=auth)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "not_authenticated"


def test_api_token_is_stored_only_as_a_hash(client, small_org, db):
    from sqlalchemy import select

    from northstar.security.models import ApiToken

    csrf = login(client, "admin", PASSWORD)
    secret = client.post(
        "/api/v1/tokens", json={"name": "script", "role": "auditor"}, headers={"X-CSRF-Token": csrf}
    ).json()["token"]
    stored = db.scalars(select(ApiToken)).one()
    assert secret not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64


def test_a_token_for_a_person_has_that_persons_scope(client, anon_client, small_org, db):
    from sqlalchemy import select

    from northstar.security.models import User

    mgr_id = db.scalar(select(User.id).where(User.username == "mgr"))
    csrf = login(client, "admin", PASSWORD)
    secret = client.post(
        "/api/v1/tokens", json={"name": "mgr script", "user_id": mgr_id}, headers={"X-CSRF-Token": csrf}
    ).json()["token"]
    items = anon_client.get("/api/v1/employees", headers={"Authorization": f"Bearer {secret}"}).json()[
        "items"
    ]
    assert {e["number"] for e in items} == {"E002", "E003", "E004", "E006"}


def test_a_token_for_the_employee_role_without_a_person_sees_no_one(client, anon_client, small_org):
    csrf = login(client, "admin", PASSWORD)
    secret = client.post(
        "/api/v1/tokens", json={"name": "kiosk", "role": "employee"}, headers={"X-CSRF-Token": csrf}
    ).json()["token"]
    listed = anon_client.get("/api/v1/employees", headers={"Authorization": f"Bearer {secret}"}).json()
    assert listed["total"] == 0


def test_only_admins_manage_tokens(client, small_org):
    csrf = login(client, "hr", PASSWORD)
    assert client.get("/api/v1/tokens").status_code == 403
    assert (
        client.post(
            "/api/v1/tokens", json={"name": "x", "role": "admin"}, headers={"X-CSRF-Token": csrf}
        ).status_code
        == 403
    )


def test_auditor_is_read_only(client, small_org):
    csrf = login(client, "aud", PASSWORD)
    assert client.get("/api/v1/employees").json()["total"] == 7
    response = client.post(
        "/api/v1/positions",
        json={"code": "P", "name": "P", "department_code": "HQ"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["error"]["message"]


def test_security_headers_forbid_inline_script_and_caching_of_personal_pages(client, small_org):
    login(client, "emp", PASSWORD)
    response = client.get(f"/org/employees/{small_org.id('a1')}")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in response.text  # every script is a file
    assert client.get("/api/v1/me").headers["cache-control"] == "no-store"


def test_session_cookie_is_http_only_and_same_site(client, small_org):
    response = client.get("/login")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")


def test_healthz_reports_the_database(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"


def test_openapi_documents_the_json_api(client, small_org):
    spec = client.get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/employees",
        "/api/v1/employees/{employee_id}",
        "/api/v1/departments",
        "/api/v1/org/import",
        "/api/v1/org/export",
        "/api/v1/tokens",
        "/api/v1/audit",
    ):
        assert path in spec["paths"], path
    login(client, "emp", PASSWORD)
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/vendor/swagger-ui-bundle.js" in docs.text


def test_pages_redirect_to_login_and_api_answers_401_when_signed_out(client):
    page = client.get("/org/employees", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/org/employees"
    api = client.get("/api/v1/employees")
    assert api.status_code == 401 and api.json()["error"]["message"] == "Please sign in."


def test_login_redirect_target_must_stay_on_this_site(client, small_org):
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "hr",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_deactivated_account_loses_its_sessions(client, anon_client, small_org, db):
    from sqlalchemy import select

    from northstar.security.models import User

    login(anon_client, "emp", PASSWORD)
    assert anon_client.get("/api/v1/me").status_code == 200
    emp_id = db.scalar(select(User.id).where(User.username == "emp"))
    csrf = login(client, "admin", PASSWORD)
    client.post(f"/admin/users/{emp_id}/active", data={"active": "false", "csrf_token": csrf})
    assert anon_client.get("/api/v1/me").status_code == 401


def test_production_refuses_the_default_secret_and_the_fast_password_profile():
    from pydantic import ValidationError

    from northstar.config import Settings

    with pytest.raises(ValidationError, match="NORTHSTAR_SECRET_KEY"):
        Settings(env="production")
    with pytest.raises(ValidationError, match="PASSWORD_PROFILE"):
        Settings(env="production", secret_key="x" * 40, password_profile="fast")


def test_standard_password_profile_is_argon2id():
    from argon2 import extract_parameters

    from northstar.security.passwords import hasher_for

    stored = hasher_for("standard").hash("something-long")
    assert stored.startswith("$argon2id$")
    assert extract_parameters(stored).memory_cost == 65536
