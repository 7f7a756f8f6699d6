"""The design workbook: the seed's value-chain mapping table imported as it stands, missing
columns and bad rows refused with nothing stored, and the demo's design exported and read back."""

from __future__ import annotations

import io
from collections.abc import Sequence

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session, sessionmaker

from northstar.db import unit_of_work
from northstar.org import service as org
from northstar.org.models import DepartmentKind
from northstar.security.principal import SYSTEM_PRINCIPAL
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org

#: 表:客户旅程与内部流程映射示意 — the seed's table, cell for cell
SEED_TABLE = [
    ("客户旅程阶段", "关键客户体验点", "内部主流程/责任部门"),
    ("下单", "报价清晰、交期承诺可靠", "销售、计划、供应链"),
    ("生产/交付", "准时交付、质量稳定", "生产、质检、仓储"),
    ("使用", "产品性能稳定、易用性", "研发、产品、售后"),
    ("问题解决", "响应速度、一次解决率", "客服、技术支持、研发"),
    ("续约/增购", "服务体验、性价比感知", "销售、客服、财务(政策)、运营"),
]
ZH = {"Accept-Language": "zh-CN"}
#: departments named as the seed names them, some with the usual 部/中心 suffix
SEED_DEPARTMENTS = [
    ("SAL", "销售部"),
    ("PLN", "计划部"),
    ("SCM", "供应链部"),
    ("PRD", "生产部"),
    ("QC", "质检部"),
    ("WH", "仓储部"),
    ("RD", "研发中心"),
    ("PM", "产品部"),
    ("AS", "售后部"),
    ("CS", "客服中心"),
    ("TS", "技术支持部"),
    ("FN", "财务部"),
    ("OP", "运营部"),
]


def xlsx(rows: Sequence[tuple[str, ...]], title: str = "价值链映射") -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.fixture
def seed_org(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as db:
        org.create_department(db, SYSTEM_PRINCIPAL, code="CO", name="公司", kind=DepartmentKind.support)
        for code, name in SEED_DEPARTMENTS:
            org.create_department(
                db, SYSTEM_PRINCIPAL, code=code, name=name, kind=DepartmentKind.support, parent_code="CO"
            )
        from northstar.security import service as security
        from northstar.security.models import Role

        security.create_user(db, SYSTEM_PRINCIPAL.actor, username="hr", role=Role.hr, password=PASSWORD)


def upload(client: TestClient, token: str, content: bytes, name: str = "map.xlsx") -> httpx.Response:
    return client.post(
        "/api/v1/workspace/import",
        files={"file": (name, content, "application/octet-stream")},
        headers={"X-CSRF-Token": token},
    )


@pytest.mark.req("S3.2", "S3.4")
def test_the_seeds_value_chain_table_imports_to_the_same_mapping(client: TestClient, seed_org: None) -> None:
    token = login(client, "hr", PASSWORD)
    r = upload(client, token, xlsx(SEED_TABLE))
    assert r.status_code == 200, r.text
    code_to_name = dict(SEED_DEPARTMENTS)
    found: dict[tuple[str, str], set[str]] = {}
    for row in client.get("/api/v1/responsibility", headers=ZH).json():
        found[(row["stage"], row["touchpoint"])] = {
            code_to_name[c["department_code"]] for c in row["departments"]
        }
    expected: dict[tuple[str, str], set[str]] = {}
    for stage, points, depts in SEED_TABLE[1:]:
        names = {
            next(n for _, n in SEED_DEPARTMENTS if n.startswith(d.split("(")[0])) for d in depts.split("、")
        }
        for point in points.split("、"):
            expected[(stage, point)] = names
    assert found == expected
    # the journey keeps the seed's stage order, after the method's default stages it did not name
    stages = [s["name"] for s in client.get("/api/v1/journey", headers=ZH).json()["stages"]]
    assert stages[:3] == ["认知", "购买决策", "下单"]
    assert stages.index("问题解决") > stages.index("使用")
    # several departments share every point, so each gets a proposed shared indicator summing to 100%
    proposals = client.get("/api/v1/shared-indicators/proposals").json()
    assert len(proposals) == 10
    assert all(sum(float(s["share"]) for s in p["shares"]) == 100 for p in proposals)


@pytest.mark.req("S3.4")
def test_an_unknown_department_in_the_table_imports_nothing_and_names_the_row(
    client: TestClient, seed_org: None
) -> None:
    token = login(client, "hr", PASSWORD)
    rows = [*SEED_TABLE, ("推荐/流失", "愿意推荐", "品牌部")]
    r = upload(client, token, xlsx(rows))
    assert r.status_code == 422
    problems = r.json()["error"]["problems"]
    assert [(p["sheet"], p["row"], p["field"]) for p in problems] == [("value_chain", 7, "responsible")]
    assert "品牌部" in problems[0]["message"]
    assert client.get("/api/v1/responsibility").json() == []
    assert client.get("/api/v1/journey").json()["stages"] == []


@pytest.mark.req("S3.4")
def test_a_sheet_with_a_missing_column_is_refused_naming_the_column(
    client: TestClient, seed_org: None
) -> None:
    token = login(client, "hr", PASSWORD)
    rows = [(stage, point) for stage, point, _ in SEED_TABLE]
    r = upload(client, token, xlsx(rows))
    assert r.status_code == 422
    problem = r.json()["error"]["problems"][0]
    assert problem["field"] == "responsible"
    assert "Responsible departments" in problem["message"]


@pytest.mark.req("S2.2")
def test_a_drivers_sheet_with_two_equal_ranks_imports_nothing(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    build_small_org(session_factory)
    token = login(client, "hr", PASSWORD)
    book = Workbook()
    segs = book.active
    assert segs is not None
    segs.title = "Segments"
    segs.append(["Code", "Name", "Market", "Key segment"])
    segs.append(["KA", "大客户", "B2B", "yes"])
    drivers = book.create_sheet("价值要素排序")
    drivers.append(["细分编码", "排序", "价值要素"])
    drivers.append(["KA", 1, "交期"])
    drivers.append(["KA", 1, "品质"])
    buf = io.BytesIO()
    book.save(buf)
    r = upload(client, token, buf.getvalue(), "design.xlsx")
    assert r.status_code == 422
    problems = r.json()["error"]["problems"]
    assert [(p["sheet"], p["row"], p["field"]) for p in problems] == [("value_drivers", 3, "rank")]
    assert client.get("/api/v1/segments").json() == []  # the valid segment row was not kept either


@pytest.mark.req("S1.1", "S2.2", "S3.3", "S3.4")
def test_the_demo_design_exports_to_a_workbook_that_reads_back_unchanged(
    client: TestClient, demo: list[object]
) -> None:
    token = login(client, "hr", "Northstar-hr-2026")
    exported = client.get("/api/v1/workspace/export", headers={"Accept-Language": "zh-CN"})
    assert exported.status_code == 200
    book = load_workbook(io.BytesIO(exported.content))
    assert {"客户细分", "客户价值主张", "价值要素排序", "战略共识", "价值链映射", "端到端流程"} <= set(
        book.sheetnames
    )
    chain = [tuple(r) for r in book["价值链映射"].iter_rows(min_row=2, max_col=3, values_only=True)]
    assert ("下单", "交期承诺可靠", "供应链部、销售部") in chain
    before = client.get("/api/v1/responsibility").json()
    processes = client.get("/api/v1/processes").json()
    r = upload(client, token, exported.content, "demo.xlsx")
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/responsibility").json() == before
    assert [p["steps"] for p in client.get("/api/v1/processes").json()] == [p["steps"] for p in processes]
