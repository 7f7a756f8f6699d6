"""Organisation import and export: xlsx and CSV (UTF-8, BOM, GBK), per-row errors, all-or-nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from northstar.audit import AuditLog
from northstar.org.models import Department, Employee, Position
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org

DEPT_HEAD = ["Code", "Name", "English name", "Kind", "Parent code", "Head number"]
POS_HEAD = ["Code", "Name", "English name", "Department code"]
EMP_HEAD = [
    "Number",
    "Name",
    "Email",
    "Department code",
    "Position code",
    "Manager number",
    "Start date",
    "End date",
]


def workbook(departments=(), positions=(), employees=(), zh=False) -> bytes:
    book = Workbook()
    book.remove(book.active)
    names = ("部门", "岗位", "员工") if zh else ("Departments", "Positions", "Employees")
    heads = (
        (
            ["部门编码", "部门名称", "英文名称", "部门类型", "上级部门编码", "负责人工号"],
            ["岗位编码", "岗位名称", "英文名称", "所属部门编码"],
            ["工号", "姓名", "邮箱", "部门编码", "岗位编码", "直属上级工号", "入职日期", "离职日期"],
        )
        if zh
        else (DEPT_HEAD, POS_HEAD, EMP_HEAD)
    )
    for name, head, rows in zip(names, heads, (departments, positions, employees), strict=True):
        if rows is None:
            continue
        ws = book.create_sheet(name)
        ws.append(head)
        for r in rows:
            ws.append(list(r))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


GOOD_DEPTS = [
    ("C", "公司", "Company", "support", "", ""),
    ("S", "销售部", "Sales", "销售/市场", "C", "P1"),
    ("Q", "质量部", "Quality", "production", "C", ""),
]
GOOD_POS = [("S-REP", "销售工程师", "Sales Engineer", "S")]
GOOD_EMPS = [
    ("P1", "周明", "p1@x.cn", "S", "", "", "2021-03-01", ""),
    ("P2", "吴芳", "p2@x.cn", "S", "S-REP", "P1", "2022/7/15", ""),
    ("P3", "郑强", "", "Q", "", "P1", "2020-01-02", "2024-05-31"),
]


@pytest.fixture
def hr(client, session_factory):
    build_small_org(session_factory)
    return login(client, "hr", PASSWORD)


def counts(db):
    db.expire_all()
    return tuple(
        db.scalar(select(func.count()).select_from(m)) for m in (Department, Position, Employee, AuditLog)
    )


def upload(client, csrf, filename, content, sheet="employees", lang="en"):
    return client.post(
        "/api/v1/org/import",
        files={"file": (filename, content)},
        data={"sheet": sheet},
        headers={"X-CSRF-Token": csrf, "Accept-Language": lang},
    )


@pytest.mark.req("S1.3")
def test_xlsx_import_creates_the_tree_with_heads_managers_and_dates(client, hr, db):
    response = upload(client, hr, "org.xlsx", workbook(GOOD_DEPTS, GOOD_POS, GOOD_EMPS))
    assert response.status_code == 200, response.text
    assert response.json() == {"departments": 3, "positions": 1, "employees": 3, "created": 7, "updated": 0}
    sales = db.scalar(select(Department).where(Department.code == "S"))
    assert sales.parent.code == "C" and sales.head.number == "P1" and sales.kind.value == "sales_marketing"
    p2 = db.scalar(select(Employee).where(Employee.number == "P2"))
    assert (
        p2.manager.number == "P1"
        and p2.position.code == "S-REP"
        and p2.start_date.isoformat() == "2022-07-15"
    )
    p3 = db.scalar(select(Employee).where(Employee.number == "P3"))
    assert p3.end_date.isoformat() == "2024-05-31"


def test_chinese_sheet_and_column_names_are_understood(client, hr, db):
    response = upload(client, hr, "组织架构.xlsx", workbook(GOOD_DEPTS, GOOD_POS, GOOD_EMPS, zh=True))
    assert response.status_code == 200, response.text
    assert response.json()["employees"] == 3


def test_reimporting_updates_in_place_and_audits_only_what_changed(client, hr, db):
    upload(client, hr, "org.xlsx", workbook(GOOD_DEPTS, GOOD_POS, GOOD_EMPS))
    changed = [list(r) for r in GOOD_EMPS]
    changed[1][1] = "吴芳芳"
    response = upload(client, hr, "org.xlsx", workbook(GOOD_DEPTS, GOOD_POS, changed))
    assert response.json()["created"] == 0 and response.json()["updated"] == 1
    rows = db.scalars(
        select(AuditLog).where(
            AuditLog.entity == "employee", AuditLog.entity_id == "P2", AuditLog.action == "update"
        )
    ).all()
    assert [(r.field, r.old, r.new) for r in rows] == [("name", "吴芳", "吴芳芳")]


def _csv(rows, head=EMP_HEAD) -> str:
    return "\n".join(",".join(map(str, r)) for r in [head, *rows]) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_bom_and_gbk_imports_the_same_chinese_names(client, hr, db, encoding):
    content = _csv([("N1", "欧阳娜", "", "OPS", "", "E002", "2023-04-01", "")]).encode(encoding)
    response = upload(client, hr, "员工.csv", content)
    assert response.status_code == 200, response.text
    assert db.scalar(select(Employee.name).where(Employee.number == "N1")) == "欧阳娜"


def test_export_then_import_round_trips_without_changes(client, hr, db):
    exported = client.get("/org/export", params={"format": "xlsx"}).content
    before = counts(db)
    response = upload(client, hr, "organisation.xlsx", exported)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 0 and response.json()["updated"] == 0
    assert counts(db) == before


def test_exported_csv_opens_in_excel_as_utf8_with_bom(client, hr):
    content = client.get("/org/export", params={"format": "csv", "sheet": "departments"}).content
    assert content.startswith(b"\xef\xbb\xbf")
    assert "运营部" in content.decode("utf-8-sig")


def test_export_headers_follow_the_users_language(client, hr):
    content = client.get("/org/export", params={"format": "xlsx", "lang": "zh-CN"}).content
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["部门", "岗位", "员工"]
    assert [c.value for c in book["员工"][1]][:2] == ["工号", "姓名"]


def test_export_escapes_cells_that_a_spreadsheet_would_run_as_formulas(client, hr, session_factory):
    from northstar.db import unit_of_work
    from northstar.org import service
    from northstar.security.principal import SYSTEM_PRINCIPAL

    with unit_of_work(session_factory) as s:
        service.create_employee(
            s,
            SYSTEM_PRINCIPAL,
            number="F1",
            name='=HYPERLINK("http://x")',
            department_code="HQ",
            start_date=__import__("datetime").date(2024, 1, 1),
        )
    book = load_workbook(io.BytesIO(client.get("/org/export", params={"format": "xlsx"}).content))
    names = [r[1] for r in book["Employees"].iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in names


# --- bad input: clear message naming row and field, nothing imported -----------------------


def assert_nothing_imported(db, before):
    assert counts(db) == before


def problems_of(response):
    body = response.json()["error"]
    return body, body.get("problems", [])


@pytest.mark.req("S1.3")
def test_duplicate_employee_numbers_name_both_rows_and_import_nothing(client, hr, db):
    before = counts(db)
    emps = GOOD_EMPS + [("P2", "重复", "", "S", "", "", "2023-01-01", "")]
    response = upload(client, hr, "org.xlsx", workbook(GOOD_DEPTS, GOOD_POS, emps))
    assert response.status_code == 422
    body, problems = problems_of(response)
    assert "Nothing was imported" in body["message"]
    dup = [p for p in problems if p["field"] == "number"]
    assert dup == [
        {
            "sheet": "employees",
            "row": 5,
            "field": "number",
            "message": "Employee number P2 appears twice (first on row 3): each employee needs a unique number.",
        }
    ]
    assert_nothing_imported(db, before)


def test_a_manager_loop_is_refused_with_the_loop_spelled_out(client, hr, db):
    before = counts(db)
    emps = [
        ("L1", "甲", "", "OPS", "", "L3", "2023-01-01", ""),
        ("L2", "乙", "", "OPS", "", "L1", "2023-01-01", ""),
        ("L3", "丙", "", "OPS", "", "L2", "2023-01-01", ""),
    ]
    response = upload(client, hr, "org.xlsx", workbook(None, None, emps))
    body, problems = problems_of(response)
    assert response.status_code == 422
    loop = [p for p in problems if "loop" in p["message"]]
    assert loop and loop[0]["field"] == "manager_number" and "→" in loop[0]["message"]
    assert_nothing_imported(db, before)


def test_a_manager_loop_through_existing_people_is_refused_too(client, hr, db):
    # E002 reports to E001 already; making E001 report to E004 (who reports to E002) closes a loop.
    before = counts(db)
    content = _csv([("E001", "高总", "", "HQ", "", "E004", "2022-01-10", "")]).encode()
    response = upload(client, hr, "employees.csv", content)
    assert response.status_code == 422
    assert any("loop" in p["message"] for p in problems_of(response)[1])
    assert_nothing_imported(db, before)


def test_an_unknown_department_code_names_row_field_and_code(client, hr, db):
    before = counts(db)
    content = _csv(
        [
            ("N1", "新人", "", "OPS", "", "", "2023-01-01", ""),
            ("N2", "新人二", "", "NOPE", "", "", "2023-01-01", ""),
        ]
    ).encode()
    response = upload(client, hr, "employees.csv", content)
    body, problems = problems_of(response)
    assert problems == [
        {
            "sheet": "employees",
            "row": 3,
            "field": "department_code",
            "message": "Unknown department code NOPE: use the code of an existing department or one in this file.",
        }
    ]
    assert_nothing_imported(db, before)


def test_the_same_problem_is_reported_in_chinese_for_a_chinese_user(client, hr, db):
    content = _csv([("N2", "新人二", "", "NOPE", "", "", "2023-01-01", "")]).encode()
    response = upload(client, hr, "employees.csv", content, lang="zh-CN")
    body, problems = problems_of(response)
    assert "NOPE" in problems[0]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problems[0]["message"])  # written in Chinese
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_a_wrongly_encoded_csv_is_refused_with_how_to_save_it(client, hr, db):
    before = counts(db)
    latin1 = _csv([("N1", "Zoë Müller-Ça", "", "OPS", "", "", "2023-01-01", "")]).encode("latin-1")
    response = upload(client, hr, "employees.csv", latin1)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "neither UTF-8 nor GBK" in message and "CSV UTF-8" in message and "line 2" in message
    utf16 = _csv([("N1", "新人", "", "OPS", "", "", "2023-01-01", "")]).encode("utf-16")
    assert "UTF-16" in upload(client, hr, "employees.csv", utf16).json()["error"]["message"]
    assert_nothing_imported(db, before)


def test_a_file_named_xlsx_that_is_not_one_is_refused(client, hr, db):
    before = counts(db)
    response = upload(client, hr, "organisation.xlsx", b"Number,Name\nE1,Somebody\n")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == (
        "organisation.xlsx is not an Excel workbook, although its name ends in .xlsx. "
        'Open it in Excel and save it as "Excel Workbook (*.xlsx)".'
    )
    assert_nothing_imported(db, before)


def test_an_upload_over_the_size_limit_is_refused_before_anything_is_read(client, hr, db, app):
    app.state.settings.upload_max_bytes = 2048
    before = counts(db)
    big = _csv([(f"N{i}", "新人", "", "OPS", "", "", "2023-01-01", "") for i in range(200)]).encode()
    response = upload(client, hr, "employees.csv", big)
    assert response.status_code == 413
    assert "the limit is" in response.json()["error"]["message"]
    assert_nothing_imported(db, before)


def test_missing_columns_are_named_with_both_headers(client, hr, db):
    content = "Number,Name\nN1,新人\n".encode()
    response = upload(client, hr, "employees.csv", content)
    problems = problems_of(response)[1]
    fields = {p["field"] for p in problems}
    assert fields == {"department_code", "start_date"}
    assert any("部门编码" in p["message"] for p in problems)


def test_one_bad_row_among_many_good_ones_imports_nothing(client, hr, db):
    before = counts(db)
    emps = list(GOOD_EMPS) + [("P9", "", "", "S", "", "", "not a date", "")]
    response = upload(client, hr, "org.xlsx", workbook(GOOD_DEPTS, GOOD_POS, emps))
    problems = problems_of(response)[1]
    assert {(p["row"], p["field"]) for p in problems} == {(5, "name")}
    assert_nothing_imported(db, before)


def test_bad_dates_and_kinds_are_explained(client, hr, db):
    depts = [("Z", "新部门", "", "marketing-ish", "", "")]
    emps = [
        ("Z1", "某人", "", "Z", "", "", "31/12/2023", ""),
        ("Z2", "某人二", "", "Z", "", "", "2023-05-01", "2023-01-01"),
    ]
    problems = problems_of(upload(client, hr, "org.xlsx", workbook(depts, None, emps)))[1]
    messages = {(p["sheet"], p["row"], p["field"]): p["message"] for p in problems}
    assert "use one of frontline" in messages[("departments", 2, "kind")]
    assert "YYYY-MM-DD" in messages[("employees", 2, "start_date")]
    assert "before the start date" in messages[("employees", 3, "end_date")]


def test_the_import_page_shows_the_row_report(client, hr, db):
    content = _csv([("N2", "新人二", "", "NOPE", "", "", "2023-01-01", "")]).encode()
    page = client.post(
        "/org/import", files={"file": ("e.csv", content)}, data={"sheet": "employees", "csrf_token": hr}
    )
    assert page.status_code == 422
    assert 'data-testid="problems"' in page.text and "Unknown department code NOPE" in page.text
