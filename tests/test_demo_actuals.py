"""The demo company's bound indicators have actuals computed from its business data, and a
drill-down from one lists exactly the source rows it counted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import login


@pytest.mark.req("S7.2", "S7.3", "S7.5")
def test_the_demo_computes_every_bound_assignment_and_a_value_drills_down_to_its_rows(
    demo: Any, client: TestClient
) -> None:
    login(client, "hr", "Northstar-hr-2026")
    quality = client.get("/api/v1/data/quality").json()
    assert {s["code"] for s in quality["sources"]} == {
        "crm_tickets",
        "orders",
        "survey_responses",
        "it_service",
        "training",
        "production_lots",
        "receivables",
    }
    assert all(s["rows"] > 1000 for s in quality["sources"])
    coverage = {c["kind"]: c for c in quality["coverage"]}
    assert set(coverage) == {"person", "department", "company"}
    assert all(c["computed"] == c["assignments"] > 0 for c in coverage.values())
    assert quality["gaps"] == [] and quality["automatic"] > quality["manual"] > 0

    # one agent's first-contact resolution in March 2026, from the CRM tickets
    page = client.get(
        "/api/v1/data/actuals",
        params={
            "card": "first_contact_resolution",
            "scope_kind": "person",
            "grain": "month",
            "period_start": "2026-03-01",
        },
    ).json()
    assert page["total"] >= 10
    actual = next(a for a in page["items"] if a["value"] is not None and Decimal(a["denominator"]) >= 5)
    detail = client.get(f"/api/v1/data/actuals/{actual['id']}").json()
    assert detail["sources"]["crm_tickets"]["rows"] > 1000
    parts = {f["part"]: i for i, f in enumerate(detail["row_filter"])}
    numerator = client.get(
        f"/api/v1/data/actuals/{actual['id']}/rows", params={"part": parts["numerator"], "size": 500}
    ).json()
    denominator = client.get(
        f"/api/v1/data/actuals/{actual['id']}/rows", params={"part": parts["denominator"], "size": 500}
    ).json()
    assert numerator["total"] == Decimal(actual["numerator"]) and denominator["total"] == Decimal(
        actual["denominator"]
    )
    owner_column = detail["row_filter"][0]["equals"]
    ((column, owner),) = owner_column.items()
    assert owner == actual["scope_key"]
    assert {r[column] for r in denominator["rows"]} == {owner}
    assert {r["ticket_no"] for r in numerator["rows"]} <= {r["ticket_no"] for r in denominator["rows"]}
    rate = Decimal(100) * numerator["total"] / denominator["total"]
    assert abs(rate - Decimal(actual["value"])) < Decimal("0.001")
    # the page of the same value lists the rows too
    html = client.get(f"/data/actuals/{actual['id']}?lang=en").text
    assert numerator["rows"][0]["ticket_no"] in html
