"""Record scope of every role on list, export, single record and API (DESIGN: one scope mechanism)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import login
from tests.factories import EXPECTED_SCOPE, NUMBERS, PASSWORD, build_small_org

pytestmark = pytest.mark.req(
    "S6.4"
)  # the organisation the cascade will run through; access rules of the house

BY_NUMBER = {v: k for k, v in NUMBERS.items()}


@pytest.fixture
def small_org(session_factory):
    return build_small_org(session_factory)


@pytest.mark.parametrize("username", sorted(EXPECTED_SCOPE))
def test_each_role_sees_exactly_its_scope_in_api_list_export_and_single_records(client, small_org, username):
    login(client, username, PASSWORD)
    expected = EXPECTED_SCOPE[username]

    listed = client.get("/api/v1/employees", params={"limit": 500}).json()
    assert {BY_NUMBER[e["number"]] for e in listed["items"]} == expected
    assert listed["total"] == len(expected)

    page = client.get("/org/employees").text
    shown = {key for key, number in NUMBERS.items() if f"<td>{number}</td>" in page}
    assert shown == expected

    exported = client.get("/org/export", params={"format": "csv", "sheet": "employees"})
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))[1:]
    assert {BY_NUMBER[r[0]] for r in rows} == expected

    for key in NUMBERS:
        api = client.get(f"/api/v1/employees/{small_org.id(key)}")
        html = client.get(f"/org/employees/{small_org.id(key)}")
        if key in expected:
            assert api.status_code == 200 and api.json()["number"] == NUMBERS[key]
            assert html.status_code == 200
        else:
            # Out of scope looks exactly like a record that does not exist.
            assert api.status_code == 404, (username, key)
            assert html.status_code == 404, (username, key)


def test_manager_sees_department_subtree_and_reports_elsewhere_but_not_peers_above(client, small_org):
    login(client, "mgr", PASSWORD)
    numbers = {e["number"] for e in client.get("/api/v1/employees").json()["items"]}
    assert "E004" in numbers  # a1 in the sub-department OPS-A
    assert "E006" in numbers  # x sits in Finance but reports to the manager
    assert "E005" not in numbers and "E001" not in numbers


def test_department_page_counts_only_people_in_scope(client, small_org):
    login(client, "emp", PASSWORD)
    depts = client.get("/api/v1/departments").json()
    assert {d["code"] for d in depts} == {"HQ", "OPS", "OPS-A", "FIN"}  # the structure is shared
    fin = next(d for d in depts if d["code"] == "FIN")
    page = client.get(f"/org/departments/{fin['id']}").text
    assert "赵财" not in page and "钱六" not in page  # but not the people in it


def test_xlsx_export_is_scoped_too(client, small_org):
    from openpyxl import load_workbook

    login(client, "mgr", PASSWORD)
    content = client.get("/org/export", params={"format": "xlsx"}).content
    book = load_workbook(io.BytesIO(content))
    sheet = book["Employees"]
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {BY_NUMBER[n] for n in numbers} == EXPECTED_SCOPE["mgr"]


@pytest.mark.parametrize("username", ["emp", "mgr", "exec", "aud"])
def test_only_hr_and_admin_change_the_organisation(client, small_org, username):
    csrf = login(client, username, PASSWORD)
    response = client.post(
        "/api/v1/departments",
        headers={"X-CSRF-Token": csrf},
        json={"code": "NEW", "name": "新部门", "kind": "support"},
    )
    assert response.status_code == 403
    assert "error" in response.json()


def test_employee_cannot_patch_their_own_record(client, small_org):
    csrf = login(client, "emp", PASSWORD)
    me = client.get(f"/api/v1/employees/{small_org.id('a1')}").json()
    response = client.patch(
        f"/api/v1/employees/{small_org.id('a1')}",
        headers={"X-CSRF-Token": csrf},
        json={"manager_number": None, "version": me["version"]},
    )
    assert response.status_code == 403
