"""The workspace file: the whole design as YAML, exported, validated and imported (issue 4, item 8)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from northstar import migrate
from northstar.catalogue.library import indicator_library
from northstar.cli import app as cli
from northstar.db import make_engine, make_session_factory, unit_of_work
from northstar.errors import ValidationFailed
from northstar.org import io as org_io
from northstar.security.principal import SYSTEM_PRINCIPAL
from northstar.workspace import design_file
from northstar.workspace.design_import import design_is_empty
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org


def _library(*codes: str) -> list[dict[str, Any]]:
    lib = {c.code: c for c in indicator_library()}
    return [lib[c].model_dump(mode="json", exclude_defaults=True) for c in codes]


def small_design() -> dict[str, Any]:
    """A whole design for the small organisation of tests/factories.py, every section filled."""
    return {
        "northstar_workspace": 1,
        "customers": [
            {"code": "KA1", "name": "大客户甲", "name_en": "Key account A", "category": "key_account"}
        ],
        "cards": _library(
            "csat",
            "first_contact_resolution",
            "ticket_handling_time",
            "gross_margin",
            "customer_scenario_training_rate",
        ),
        "strategy": [
            {
                "period": "2026",
                "priorities": [
                    {
                        "rank": 1,
                        "driver": "problem_resolution",
                        "customer": "KA1",
                        "statement": "问题一次解决",
                    }
                ],
                "objectives": [
                    {
                        "code": "C1",
                        "perspective": "customer",
                        "name": "客户问题一次解决",
                        "priority": 1,
                        "indicators": [{"card": "csat", "weight": 40}],
                    },
                    {
                        "code": "F1",
                        "perspective": "financial",
                        "name": "利润健康",
                        "indicators": [{"card": "gross_margin", "weight": 20}],
                    },
                    {
                        "code": "P1",
                        "perspective": "process",
                        "name": "快速闭环",
                        "indicators": [{"card": "first_contact_resolution", "weight": 30}],
                    },
                    {
                        "code": "L1",
                        "perspective": "learning",
                        "name": "客户场景能力",
                        "indicators": [{"card": "customer_scenario_training_rate", "weight": 10}],
                    },
                ],
                "links": [
                    {"cause": "L1", "effect": "P1"},
                    {"cause": "P1", "effect": "C1"},
                    {"cause": "C1", "effect": "F1"},
                ],
            }
        ],
        "pools": [
            {
                "department": "OPS",
                "candidates": [
                    {
                        "name": "一次性解决率",
                        "source": "library",
                        "indicator": "first_contact_resolution",
                        "card": "first_contact_resolution",
                        "driver": "problem_resolution",
                        "perspective": "process",
                        "affects_value": True,
                        "perceivable": True,
                        "tier": "A",
                        "core": True,
                        "weight": 100,
                        "objective": "2026/P1",
                    }
                ],
            }
        ],
        "positions": [
            {
                "position": "OPS-AG",
                "responsibilities": [
                    {
                        "name": "受理并解决客户问题",
                        "customers": ["KA1"],
                        "outputs": [
                            {
                                "name": "一次解决的问题",
                                "indicator": {
                                    "card": "first_contact_resolution",
                                    "weight": 40,
                                    "candidate": {
                                        "department": "OPS",
                                        "indicator": "first_contact_resolution",
                                    },
                                },
                            }
                        ],
                    },
                    {
                        "name": "按时处理工单",
                        "customers": ["KA1"],
                        "outputs": [
                            {
                                "name": "按时关闭的工单",
                                "indicator": {"card": "ticket_handling_time", "weight": 30},
                            }
                        ],
                    },
                    {
                        "name": "让客户满意",
                        "customers": ["KA1"],
                        "outputs": [{"name": "满意的客户", "indicator": {"card": "csat", "weight": 30}}],
                    },
                ],
            }
        ],
        "scorecards": [
            {
                "employee": "E002",
                "period": "2026",
                "position": "OPS-AG",
                "items": [
                    {
                        "card": "first_contact_resolution",
                        "weight": 40,
                        "inherited": True,
                        "candidate": {"department": "OPS", "indicator": "first_contact_resolution"},
                    },
                    {"card": "ticket_handling_time", "weight": 30, "inherited": True},
                    {"card": "csat", "weight": 30, "inherited": True},
                ],
            },
            {
                "employee": "E003",
                "period": "2026",
                "position": "OPS-AG",
                "items": [
                    {
                        "card": "first_contact_resolution",
                        "weight": 40,
                        "inherited": True,
                        "parent": {"employee": "E002", "card": "first_contact_resolution"},
                    },
                    {"card": "ticket_handling_time", "weight": 30, "inherited": True},
                    {"card": "csat", "weight": 30, "inherited": True},
                ],
            },
        ],
    }


def _text(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _fields(exc: ValidationFailed) -> dict[str, str]:
    return {p.field or "": p.message.format(**p.params) for p in exc.problems}


@pytest.mark.req("S4.1", "S5.2", "S6.1", "S6.2", "S6.4", "S6.5")
def test_the_demo_design_exported_and_imported_into_an_empty_database_comes_back_exactly(
    demo, session_factory, tmp_path
):
    with unit_of_work(session_factory) as db:
        text = design_file.export_text(db)
        org_file = org_io.export_xlsx(db, SYSTEM_PRINCIPAL, locale="zh_CN")
    doc = design_file.load(text)
    # the whole design is in the file: scorecard, pools, positions, people
    assert doc.strategy[0].objectives and doc.strategy[0].links
    assert len(doc.pools) >= 14 and len(doc.positions) >= 50 and len(doc.scorecards) >= 280
    assert doc.teams and doc.cards

    target = tmp_path / "target.db"
    migrate.upgrade(f"sqlite:///{target}")
    factory = make_session_factory(make_engine(f"sqlite:///{target}"))
    with unit_of_work(factory) as db:
        org_io.import_organisation(db, SYSTEM_PRINCIPAL, filename="org.xlsx", content=org_file)
    with unit_of_work(factory) as db:
        counts = design_file.import_text(db, SYSTEM_PRINCIPAL, text)
    assert counts["scorecards"] == len(doc.scorecards)
    with unit_of_work(factory) as db:
        again = design_file.export_text(db)
    assert again == text


def _refused_and_nothing_stored(session_factory: Any, data: dict[str, Any]) -> dict[str, str]:
    """Validate ``data``: it must be refused with nothing stored; its problems by path."""
    with unit_of_work(session_factory) as db:
        with pytest.raises(ValidationFailed) as caught:
            design_file.validate_text(db, SYSTEM_PRINCIPAL, _text(data))
        assert design_is_empty(db)
    return _fields(caught.value)


@pytest.mark.req("S6.2", "S6.3", "S6.4", "S6.5")
def test_validate_lists_every_problem_with_its_path_and_stores_nothing(session_factory):
    build_small_org(session_factory)
    data = small_design()
    bands = {
        "kind": "bands",
        "bands": [
            {"upper": 80, "score": 0, "description": "差"},
            {"lower": 85, "upper": 95, "score": 80, "description": "好"},
            {"lower": 95, "score": 100, "description": "优"},
        ],
    }
    bad_bands, bad_formula = _library("repurchase_rate", "resolution_rate")
    bad_bands.update(code="bad_bands", rule=bands, polarity="higher_better")
    bad_formula.update(code="bad_formula", formula="resolved_requests / all_tickets * 100")
    data["cards"] += [bad_bands, bad_formula]
    data["strategy"][0]["objectives"][0]["indicators"][0]["card"] = "no_such_card"
    data["pools"].append({"department": "NOPE", "candidates": []})
    data["teams"] = [
        {
            "department": "OPS",
            "card": "csat",
            "period": "2026",
            "name": "客服团队",
            "members": [{"employee": "E002", "share": 60}, {"employee": "E003", "share": 30}],
        }
    ]
    # a loop: each one's item serves the other's
    data["scorecards"][0]["items"][0]["parent"] = {"employee": "E003", "card": "first_contact_resolution"}
    found = _refused_and_nothing_stored(session_factory, data)
    assert "start band 2 at 80" in found["cards[5].rule.bands[1].lower"]
    assert "all_tickets" in found["cards[6].formula"]
    assert any(
        k.startswith("strategy[0].objectives[0].indicators[0]") and "no_such_card" in v
        for k, v in found.items()
    )
    assert "NOPE" in found["pools[1].department"]
    assert any(k.startswith("teams[0]") and "90%" in v for k, v in found.items())
    assert any(
        k.startswith("scorecards[") and k.endswith(".parent") and "loop" in v for k, v in found.items()
    )
    with pytest.raises(ValidationFailed), unit_of_work(session_factory) as db:
        design_file.import_text(db, SYSTEM_PRINCIPAL, _text(data))
    with unit_of_work(session_factory) as db:
        assert design_is_empty(db)


@pytest.mark.req("S6.4")
def test_a_scorecard_item_naming_a_candidate_the_pool_lacks_is_named_by_its_path(session_factory):
    # the candidates of all the scorecards are read in one query; each wrong one keeps its path
    build_small_org(session_factory)
    data = small_design()
    data["scorecards"][1]["items"][1]["candidate"] = {"department": "OPS", "indicator": "no_such_kpi"}
    found = _refused_and_nothing_stored(session_factory, data)
    assert 'no candidate "no_such_kpi"' in found["scorecards[1].items[1].candidate.indicator"]
    assert not any(k.startswith("scorecards[0]") for k in found)


@pytest.mark.req("S6.4")
def test_a_schema_error_names_the_path_and_a_wrong_file_gets_a_clear_message(session_factory):
    build_small_org(session_factory)
    data = small_design()
    data["positions"][0]["responsibilities"][0]["owner"] = "someone"
    data["strategy"][0]["objectives"][1]["perspective"] = "profit"
    with unit_of_work(session_factory) as db:
        with pytest.raises(ValidationFailed) as caught:
            design_file.validate_text(db, SYSTEM_PRINCIPAL, _text(data))
        found = _fields(caught.value)
        assert "Unknown field" in found["positions[0].responsibilities[0].owner"]
        assert "profit" in found["strategy[0].objectives[1].perspective"]
        with pytest.raises(ValidationFailed) as bad_yaml:
            design_file.validate_text(db, SYSTEM_PRINCIPAL, "cards: [\n  - code: x\n bad")
        assert "not valid YAML" in str(bad_yaml.value)
        with pytest.raises(ValidationFailed) as gbk:
            design_file.validate_text(db, SYSTEM_PRINCIPAL, "客户: 甲".encode("gbk"))
        assert "UTF-8" in str(gbk.value)


@pytest.mark.req("S6.1", "S6.2", "S6.4")
def test_cli_validates_imports_exports_and_refuses_a_second_import(
    db_url, session_factory, tmp_path, monkeypatch
):
    from northstar.config import get_settings

    build_small_org(session_factory)
    monkeypatch.setenv("NORTHSTAR_DATABASE_URL", db_url)
    monkeypatch.setenv("NORTHSTAR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    get_settings.cache_clear()
    runner = CliRunner()
    source = tmp_path / "design.yaml"
    source.write_text(_text(small_design()), encoding="utf-8")
    try:
        valid = runner.invoke(cli, ["workspace", "validate", str(source)])
        assert valid.exit_code == 0 and "valid" in valid.output, valid.output
        imported = runner.invoke(cli, ["workspace", "import", str(source)])
        assert imported.exit_code == 0, imported.output
        assert "2 scorecards" in imported.output
        out = tmp_path / "out.yaml"
        assert runner.invoke(cli, ["workspace", "export", str(out)]).exit_code == 0
        exported = yaml.safe_load(out.read_text(encoding="utf-8"))
        item = exported["scorecards"][1]["items"][0]
        assert item["parent"] == {"employee": "E002", "card": "first_contact_resolution"}
        assert exported["pools"][0]["candidates"][0]["objective"] == "2026/P1"
        again = runner.invoke(cli, ["workspace", "import", str(out)])
        assert again.exit_code == 1 and "already holds a design" in again.output
        schema = runner.invoke(cli, ["workspace", "schema"])
        assert {"cards", "strategy", "pools", "positions", "scorecards", "teams"} <= set(
            json.loads(schema.output)["properties"]
        )
    finally:
        get_settings.cache_clear()


@pytest.mark.req("S6.4")
def test_the_api_publishes_the_schema_and_reports_problems_in_the_users_language(client, session_factory):
    build_small_org(session_factory)
    token = login(client, "hr", PASSWORD)
    assert client.get("/api/v1/workspace/schema.json").json()["properties"]["positions"]
    data = small_design()
    data["pools"][0]["department"] = "NOPE"
    files = {"file": ("design.yaml", _text(data).encode(), "application/yaml")}
    refused = client.post(
        "/api/v1/workspace/design/validate",
        files=files,
        headers={"X-CSRF-Token": token, "Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 422
    problems = {p["field"]: p["message"] for p in refused.json()["error"]["problems"]}
    assert "NOPE" in problems["pools[0].department"] and "部门" in problems["pools[0].department"]
    ok = client.post(
        "/api/v1/workspace/design",
        files={"file": ("d.yaml", _text(small_design()).encode())},
        headers={"X-CSRF-Token": token},
    )
    assert ok.status_code == 201, ok.text
    exported = client.get("/api/v1/workspace/design.yaml")
    assert exported.status_code == 200 and "OPS-AG" in exported.text


@pytest.mark.req("S6.4")
def test_the_workspace_page_validates_and_imports_a_yaml_file_in_the_users_language(client, session_factory):
    build_small_org(session_factory)
    token = login(client, "hr", PASSWORD)
    page = client.get("/workspace?lang=zh-CN")
    assert "工作区文件" in page.text and "/api/v1/workspace/design.yaml" in page.text
    data = small_design()
    data["scorecards"][0]["employee"] = "E999"
    bad = client.post(
        "/workspace/design?lang=zh-CN",
        data={"mode": "validate", "csrf_token": token},
        files={"file": ("design.yaml", _text(data).encode())},
    )
    assert bad.status_code == 422
    assert "scorecards[0]" in bad.text and "E999" in bad.text
    imported = client.post(
        "/workspace/design?lang=zh-CN",
        data={"mode": "import", "csrf_token": token},
        files={"file": ("design.yaml", _text(small_design()).encode())},
    )
    assert imported.status_code == 200, imported.text
    assert "已导入 design.yaml" in imported.text and "个人绩效卡" in imported.text
