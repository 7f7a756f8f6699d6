"""The bilingual indicator library (S5.4): its content, its standard formulas and its loader.

Everything but the last test runs without a database; the last one stores every library card
through the card service, so the library can never hold a card the application would refuse.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from northstar.catalogue import value_drivers
from northstar.catalogue.library import (
    LIBRARY_FILE,
    indicator_library,
    library_by_domain,
    library_card,
    load_library,
)
from northstar.indicators import service as cards
from northstar.indicators.schemas import DOMAINS, CardIn
from northstar.metrics.formula import parse
from northstar.scoring.engine import score
from northstar.scoring.rules import Rule
from northstar.security.principal import SYSTEM_PRINCIPAL

# The departments S5.4 names (company-level cards come on top of these).
S54_DOMAINS = (
    "it",
    "hr",
    "finance",
    "supply_chain",
    "production",
    "customer_service",
    "rnd",
    "sales",
    "marketing",
)

# Every indicator the seed names (steps 4–8): (card code, the card's Chinese name, the seed's words).
# Where the value-driver catalogue already names the indicator, the card keeps that name and its
# definition quotes the seed's wording, so a search for the seed's words finds it.
SEED_INDICATORS = (
    # step 5, the IT department's KPI pool
    ("system_uptime", "关键系统稳定可用率", "关键系统稳定可用时间"),
    ("it_request_response_time", "需求响应平均时长", "需求响应平均时长"),
    ("release_on_plan_rate", "版本上线按计划完成率", "版本上线按计划完成率"),
    ("risk_plan_coverage", "关键风险预警与预案覆盖率", "关键系统风险预警与预案覆盖率"),
    ("it_support_satisfaction", "来自业务部门的IT支持满意度", "来自业务部门的IT支持满意度"),
    # step 4, the enterprise scorecard
    ("revenue_share_key_segments", "重点客户群收入占比", "来自重点客户群的收入占比"),
    ("gross_margin", "毛利率", "毛利率"),
    ("collection_cycle", "回款周期", "回款周期"),
    ("nps", "净推荐值(NPS)", "NPS"),
    ("csat", "客户满意度", "满意度"),
    ("repurchase_rate", "复购率", "复购率"),
    ("key_account_retention", "重点客户留存率", "重点客户留存率"),
    ("complaint_rate", "投诉率", "投诉率"),
    ("on_time_delivery_rate", "准时交付率", "交付准时率"),
    ("installation_first_time_success", "一次安装成功率", "一次安装成功率"),
    ("requirement_response_cycle", "需求响应周期", "需求响应周期"),
    ("closure_cycle", "问题闭环周期", "问题闭环周期"),
    ("customer_scenario_training_rate", "面向客户场景的培训参与率", "面向客户场景的培训参与率"),
    ("cross_department_projects", "跨部门项目数", "跨部门项目数"),
    ("adopted_improvement_proposals", "改善提案采纳数", "改善提案采纳数"),
    # step 5, HR and supply chain "products"; step 6, R&D; step 7, data sources; step 8, incentives
    ("key_position_fill_on_time", "关键岗位到岗及时率", "到岗"),
    ("training_business_satisfaction", "培训业务满意度", "培训业务满意度"),
    ("employee_service_satisfaction", "员工服务满意度", "员工服务满意度"),
    ("inventory_turnover", "库存周转率", "库存周转率"),
    ("stock_coverage_days", "成品库存可供天数", "合理库存水平"),
    ("order_accuracy_rate", "订单交付准确率", "订单交付准确率"),
    ("requirement_on_time_delivery_rate", "客户需求按期交付率", "客户需求按期交付率"),
    ("customer_defect_rate", "客户使用缺陷率", "客户使用缺陷率"),
    ("post_release_satisfaction", "版本上线后客户满意度", "版本上线后客户满意度"),
    ("first_contact_resolution", "一次性解决率", "一次解决率"),
    ("ticket_handling_time", "工单平均处理时长", "处理时长"),
    ("delivery_lead_time", "订单交付周期", "交付周期"),
    ("first_pass_yield", "一次交检合格率", "合格率"),
    ("internal_customer_satisfaction", "内部客户满意度", "内部客户满意度"),
    ("contract_renewal_rate", "续约率", "续约率"),
    ("resolution_rate", "解决率", "解决率"),
)

RULE: TypeAdapter[Any] = TypeAdapter(Rule)
BILINGUAL = (
    ("name", "name_en"),
    ("definition", "definition_en"),
    ("purpose", "purpose_en"),
    ("formula_notes", "formula_notes_en"),
    ("data_source", "data_source_en"),
    ("data_owner", "data_owner_en"),
)


def _recommended() -> dict[str, tuple[Any, list[str]]]:
    """Every indicator code the value-driver catalogue recommends: (its entry, the drivers)."""
    out: dict[str, tuple[Any, list[str]]] = {}
    for driver in value_drivers():
        for indicator in driver.indicators:
            out.setdefault(indicator.code, (indicator, []))[1].append(driver.code)
    return out


def _card(code: str) -> CardIn:
    card = library_card(code)
    assert card is not None, f"the library has no card {code!r}"
    return card


# --- content ---------------------------------------------------------------------------------


@pytest.mark.req("S5.4")
def test_the_library_covers_every_department_of_s54_with_at_least_five_cards() -> None:
    library = indicator_library()
    by_domain = library_by_domain()
    assert len(library) >= 60
    assert list(by_domain) == list(DOMAINS)
    for domain in S54_DOMAINS:
        assert len(by_domain[domain]) >= 5, f"{domain} has only {len(by_domain[domain])} cards"
    company = {card.perspective.value for card in by_domain["company"] if card.perspective}
    assert {"customer", "financial"} <= company
    assert sum(len(group) for group in by_domain.values()) == len(library)


@pytest.mark.req("S5.4", "S6.3")
def test_every_card_is_complete_and_bilingual() -> None:
    for card in indicator_library():
        assert cards.missing_elements(card) == [], card.code
        for zh, en in BILINGUAL:
            chinese, english = getattr(card, zh).strip(), getattr(card, en).strip()
            assert chinese and english, (card.code, en)
            assert chinese != english, (card.code, en)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), (card.code, zh)
        for measure in card.measures:
            assert measure.name_en.strip() and measure.name_en != measure.name, (card.code, measure.code)
        assert card.rule is not None
        described = card.rule.get("bands") or card.rule.get("levels") or []
        for item in described:
            assert item["description"].strip() and item["description_en"].strip(), card.code


@pytest.mark.req("S5.4", "S6.3")
def test_every_formula_parses_over_its_own_measures_and_uses_each() -> None:
    for card in indicator_library():
        codes = [m.code for m in card.measures]
        formula = parse(card.formula, codes)
        assert sorted(formula.measures) == sorted(codes), card.code


@pytest.mark.req("S5.4", "S6.3")
def test_every_rule_is_valid_and_rewards_the_cards_polarity() -> None:
    kinds = set()
    for card in indicator_library():
        assert cards.rule_problems(card.rule) == [], card.code
        rule = RULE.validate_python(card.rule)
        assert rule.polarity == card.polarity, card.code
        kinds.add(rule.kind)
    # linear mostly, but every kind of the scoring engine has a worked card in the library
    assert kinds == {"linear", "bands", "range", "yes_no", "rubric", "deduction", "bonus", "penalty", "veto"}


@pytest.mark.req("S5.4")
def test_every_indicator_the_value_drivers_recommend_is_a_library_card_under_the_same_names() -> None:
    recommended = _recommended()
    assert len(recommended) == 43
    polarity = {"higher_better": "higher_better", "lower_better": "lower_better", "range": "in_range"}
    for code, (indicator, drivers) in recommended.items():
        card = _card(code)
        assert (card.name, card.name_en) == (indicator.name.zh, indicator.name.en), code
        assert card.perspective is not None and card.perspective.value == indicator.perspective, code
        assert card.polarity is not None and card.polarity.value == polarity[indicator.polarity], code
        assert card.driver in drivers, f"{code} serves {card.driver}, not one of {drivers}"


@pytest.mark.req("S5.4")
def test_every_customer_card_names_the_value_driver_it_serves() -> None:
    for card in indicator_library():
        if card.perspective is not None and card.perspective.value == "customer":
            assert card.driver, card.code


@pytest.mark.req("S5.4")
@pytest.mark.parametrize(("code", "name", "seed_words"), SEED_INDICATORS)
def test_every_indicator_the_seed_names_is_in_the_library(code: str, name: str, seed_words: str) -> None:
    card = _card(code)
    assert card.name == name
    assert seed_words in card.name or seed_words in card.definition


@pytest.mark.req("S5.4")
def test_the_seed_examples_have_realistic_targets() -> None:
    uptime = _card("system_uptime")
    assert uptime.rule == {"kind": "linear", "threshold": 99.5, "target": 99.9, "stretch": 99.95}
    assert (uptime.unit, uptime.domain) == ("percent", "it")
    response = _card("it_request_response_time")
    assert response.unit == "hours" and response.polarity is not None
    assert response.polarity.value == "lower_better"
    assert response.rule is not None and response.rule["target"] < response.rule["threshold"]
    veto = _card("major_customer_complaints")
    assert (veto.name, veto.rule and veto.rule["kind"]) == ("重大客诉", "veto")


# --- standard formulas -------------------------------------------------------------------------


def _evaluate(code: str, **values: int) -> Decimal | None:
    card = _card(code)
    formula = parse(card.formula, [m.code for m in card.measures])
    return formula.evaluate({key: Decimal(value) for key, value in values.items()})


@pytest.mark.req("S5.4")
@pytest.mark.parametrize(
    ("promoters", "detractors", "respondents", "expected"),
    [
        (50, 20, 100, Decimal(30)),  # 50% promoters − 20% detractors
        (10, 40, 100, Decimal(-30)),  # more detractors than promoters: negative
        (120, 0, 120, Decimal(100)),  # everyone a promoter: the top of the scale
        (0, 80, 80, Decimal(-100)),  # everyone a detractor: the bottom of the scale
        (45, 15, 150, Decimal(20)),  # 30% − 10%, passives count among the respondents
    ],
)
def test_nps_is_the_share_of_promoters_minus_the_share_of_detractors(
    promoters: int, detractors: int, respondents: int, expected: Decimal
) -> None:
    got = _evaluate("nps", promoters=promoters, detractors=detractors, respondents=respondents)
    assert got == expected
    nps = _card("nps")
    assert (nps.unit, nps.polarity and nps.polarity.value) == ("points", "higher_better")


@pytest.mark.req("S5.4")
def test_csat_is_the_share_of_four_and_five_answers() -> None:
    assert _evaluate("csat", satisfied=45, respondents=50) == Decimal(90)
    assert _evaluate("csat", satisfied=0, respondents=30) == Decimal(0)
    assert _evaluate("csat", satisfied=10, respondents=0) is None  # no answers: no data, not an error
    csat = _card("csat")
    assert csat.unit == "percent" and "4" in csat.definition and "5" in csat.definition


@pytest.mark.req("S5.4")
def test_library_cards_score_sample_actuals_as_their_bands_describe() -> None:
    nps_rule = _card("nps").rule
    closure_rule = _card("closure_cycle").rule
    uptime_rule = _card("system_uptime").rule
    assert nps_rule and closure_rule and uptime_rule
    assert score(RULE.validate_python(nps_rule), Decimal(40)).value == Decimal(100)
    assert score(RULE.validate_python(nps_rule), Decimal(-5)).value == Decimal(30)
    assert score(RULE.validate_python(closure_rule), Decimal(12)).value == Decimal(80)
    assert score(RULE.validate_python(uptime_rule), Decimal("99.9")).value == Decimal(100)


# --- loader ------------------------------------------------------------------------------------


@pytest.mark.req("S5.4")
def test_the_loader_keeps_file_order_and_hands_out_copies() -> None:
    raw = yaml.safe_load(LIBRARY_FILE.read_text(encoding="utf-8"))
    assert [card.code for card in indicator_library()] == [item["code"] for item in raw["cards"]]
    assert library_card("no_such_indicator") is None
    card = _card("nps")
    card.name = "changed"
    assert card.rule is not None
    card.rule["kind"] = "changed"
    assert _card("nps").name == "净推荐值(NPS)" and _card("nps").rule == raw["cards"][0]["rule"]


def _write(tmp_path: Path, cards_: list[dict[str, Any]]) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump({"cards": cards_}, allow_unicode=True), encoding="utf-8")
    return path


def _raw(code: str) -> dict[str, Any]:
    raw = yaml.safe_load(LIBRARY_FILE.read_text(encoding="utf-8"))
    return copy.deepcopy(next(item for item in raw["cards"] if item["code"] == code))


def _gap(card: dict[str, Any]) -> None:
    card["rule"]["bands"][1]["lower"] = 5


def _undescribed(card: dict[str, Any]) -> None:
    card["rule"]["bands"][2]["description"] = ""


def _english_missing(card: dict[str, Any]) -> None:
    del card["definition_en"]


def _english_copied(card: dict[str, Any]) -> None:
    card["purpose_en"] = card["purpose"]


def _unknown_measure(card: dict[str, Any]) -> None:
    card["formula"] = "(promoters - critics) / respondents * 100"


def _unused_measure(card: dict[str, Any]) -> None:
    card["formula"] = "promoters / respondents * 100"


def _unknown_driver(card: dict[str, Any]) -> None:
    card["driver"] = "speed_of_light"


def _wrong_polarity(card: dict[str, Any]) -> None:
    card["polarity"] = "lower_better"


def _no_owner(card: dict[str, Any]) -> None:
    card["data_owner"] = " "


def _unknown_field(card: dict[str, Any]) -> None:
    card["weight"] = 20


def _bad_unit(card: dict[str, Any]) -> None:
    card["unit"] = "percentage"


def _bad_domain(card: dict[str, Any]) -> None:
    card["domain"] = "logistics"


@pytest.mark.req("S5.4", "S6.3")
@pytest.mark.parametrize(
    ("break_it", "field"),
    [
        (_gap, "rule"),
        (_undescribed, "rule.bands[2].description"),
        (_english_missing, "definition_en"),
        (_english_copied, "purpose_en"),
        (_unknown_measure, "formula"),
        (_unused_measure, "measures"),
        (_unknown_driver, "driver"),
        (_wrong_polarity, "polarity"),
        (_no_owner, "data_owner"),
        (_unknown_field, "weight"),
        (_bad_unit, "unit"),
        (_bad_domain, "domain"),
    ],
)
def test_a_broken_card_is_refused_naming_the_card_and_the_field(
    tmp_path: Path, break_it: Any, field: str
) -> None:
    good, broken = _raw("csat"), _raw("nps")
    break_it(broken)
    with pytest.raises(ValueError) as exc:
        load_library(_write(tmp_path, [good, broken]))
    message = str(exc.value)
    assert "card 'nps'" in message and f"field {field}" in message, message


@pytest.mark.req("S5.4")
def test_a_code_used_twice_and_a_bad_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"card 'nps', field code"):
        load_library(_write(tmp_path, [_raw("nps"), _raw("csat"), _raw("nps")]))
    bad = tmp_path / "list.yaml"
    bad.write_text("- code: nps\n", encoding="utf-8")
    with pytest.raises(ValueError, match="single key 'cards'"):
        load_library(bad)
    gap = _raw("nps")
    _gap(gap)
    with pytest.raises(ValueError, match="gap between band 1"):
        indicator_library(_write(tmp_path, [gap]))
    # a good file given by path loads without touching the built-in library
    assert [c.code for c in indicator_library(_write(tmp_path, [_raw("csat")]))] == ["csat"]


@pytest.mark.req("S5.4", "S6.3")
def test_rubric_levels_and_vetoes_must_describe_the_performance_in_both_languages(tmp_path: Path) -> None:
    rubric = _raw("service_quality_rating")
    rubric["rule"]["levels"][1]["description_en"] = ""
    with pytest.raises(
        ValueError, match=r"card 'service_quality_rating', field rule.levels\[1\].description_en"
    ):
        load_library(_write(tmp_path, [rubric]))
    veto = _raw("safety_incidents")
    del veto["rule"]["description"]
    with pytest.raises(ValueError, match=r"card 'safety_incidents', field rule.description"):
        load_library(_write(tmp_path, [veto]))


# --- the application accepts every card ------------------------------------------------------


@pytest.mark.req("S5.4", "S6.3")
def test_every_library_card_is_stored_by_the_card_service_as_assessable(db: Session) -> None:
    for card in indicator_library():
        assert cards.card_problems(db, card) == [], card.code
        stored = cards.create_card(db, SYSTEM_PRINCIPAL, card)
        assert cards.missing_elements(stored) == [], card.code
    db.flush()
    assert len(cards.get_all_cards(db)) == len(indicator_library())
