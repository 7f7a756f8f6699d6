"""The built-in value-driver catalogue: its content and its loader (S2.2, S2.3). No database."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from northstar.catalogue import (
    CATALOGUE_FILE,
    PERSPECTIVES,
    POLARITIES,
    UNITS,
    RecommendedIndicator,
    Text,
    ValueDriver,
    find_driver,
    parse,
    suggest,
    value_driver,
    value_drivers,
)

REQUIRED_DRIVERS = (
    "price",
    "quality",
    "on_time_delivery",
    "customisation",
    "brand_experience",
    "responsiveness",
    "problem_resolution",
    "product_reliability",
    "ease_of_use",
    "innovation",
    "partnership",
    "total_cost",
)

# Codes the indicator-card library (S5.4, S6.3) reuses; each must be recommended somewhere.
SHARED_INDICATOR_CODES = (
    "nps",
    "csat",
    "repurchase_rate",
    "key_account_retention",
    "complaint_rate",
    "first_contact_resolution",
    "closure_cycle",
    "on_time_delivery_rate",
    "first_pass_yield",
    "plan_attainment_rate",
    "response_time",
    "requirement_to_delivery_cycle",
    "resolution_rate",
    "innovation_proposals",
    "installation_first_time_success",
    "customer_defect_rate",
    "key_feature_adoption",
    "price_competitiveness_index",
    "quote_turnaround_time",
    "customisation_delivery_rate",
    "brand_awareness",
    "system_uptime",
    "gross_margin_key_segments",
    "revenue_share_key_segments",
)


def _indicator(code: str = "response_time", **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "code": code,
        "name": {"en": "Response time", "zh": "响应时长"},
        "why": {"en": "How long the customer waits.", "zh": "客户等待的时间。"},
        "perspective": "process",
        "unit": "hours",
        "polarity": "lower_better",
    }
    raw.update(changes)
    return raw


def _driver(code: str = "responsiveness", **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "code": code,
        "name": {"en": f"Driver {code}", "zh": f"驱动因素 {code}"},
        "description": {"en": "What the customer cares about.", "zh": "客户在意的东西。"},
        "aliases": [],
        "indicators": [_indicator()],
    }
    raw.update(changes)
    return raw


def _codes(driver: ValueDriver) -> list[str]:
    return [indicator.code for indicator in driver.indicators]


# --- content ----------------------------------------------------------------------------------------


@pytest.mark.req("S2.3")
def test_catalogue_has_the_required_drivers_in_both_languages() -> None:
    drivers = value_drivers()
    codes = [driver.code for driver in drivers]
    assert len(drivers) >= 12
    assert len(set(codes)) == len(codes)
    assert set(REQUIRED_DRIVERS) <= set(codes)
    for driver in drivers:
        for text in (driver.name, driver.description):
            assert text.en.strip() and text.zh.strip(), driver.code
        assert 3 <= len(driver.indicators) <= 6, driver.code
        for indicator in driver.indicators:
            assert indicator.name.en.strip() and indicator.name.zh.strip(), indicator.code
            assert indicator.why.en.strip() and indicator.why.zh.strip(), indicator.code
            assert indicator.perspective in PERSPECTIVES
            assert indicator.unit in UNITS
            assert indicator.polarity in POLARITIES


@pytest.mark.req("S2.3")
def test_chinese_texts_are_chinese_and_english_texts_are_not() -> None:
    def has_han(text: str) -> bool:
        return any("\u4e00" <= char <= "\u9fff" for char in text)

    for driver in value_drivers():
        texts = [driver.name, driver.description]
        texts += [t for indicator in driver.indicators for t in (indicator.name, indicator.why)]
        for text in texts:
            assert has_han(text.zh), (driver.code, text)
            assert not has_han(text.en), (driver.code, text)


@pytest.mark.req("S2.3")
def test_seed_example_stable_on_time_delivery() -> None:
    driver = value_driver("on_time_delivery")
    assert driver is not None
    assert driver.name == Text(en="Stable, on-time delivery", zh="稳定交付与准时")
    assert _codes(driver)[:3] == ["on_time_delivery_rate", "plan_attainment_rate", "first_pass_yield"]
    assert [indicator.name.zh for indicator in driver.indicators[:3]] == [
        "准时交付率",
        "计划达成率",
        "一次交检合格率",
    ]
    assert driver.indicators[2].name.en == "First-pass inspection yield"
    assert all(indicator.polarity == "higher_better" for indicator in driver.indicators[:3])


@pytest.mark.req("S2.3")
def test_seed_example_fast_response_and_personalisation() -> None:
    driver = value_driver("responsiveness")
    assert driver is not None
    assert driver.name == Text(en="Fast response and personalisation", zh="快速响应与个性化")
    first = driver.indicators[:4]
    assert [i.code for i in first] == [
        "response_time",
        "requirement_to_delivery_cycle",
        "resolution_rate",
        "innovation_proposals",
    ]
    assert [i.name.zh for i in first] == ["响应时长", "需求转化周期", "解决率", "创新提案数"]
    assert first[1].name.en == "Requirement-to-delivery cycle"
    assert [(i.unit, i.polarity) for i in first] == [
        ("hours", "lower_better"),
        ("days", "lower_better"),
        ("percent", "higher_better"),
        ("count", "higher_better"),
    ]


@pytest.mark.req("S2.3")
def test_shared_indicator_codes_are_all_recommended_and_consistent() -> None:
    seen: dict[str, RecommendedIndicator] = {}
    for driver in value_drivers():
        for indicator in driver.indicators:
            first = seen.setdefault(indicator.code, indicator)
            assert (first.name, first.perspective, first.unit, first.polarity) == (
                indicator.name,
                indicator.perspective,
                indicator.unit,
                indicator.polarity,
            ), indicator.code
    missing = [code for code in SHARED_INDICATOR_CODES if code not in seen]
    assert not missing


@pytest.mark.req("S2.3")
def test_every_balanced_scorecard_perspective_is_covered() -> None:
    perspectives = {i.perspective for d in value_drivers() for i in d.indicators}
    assert perspectives == set(PERSPECTIVES)


# --- loader -----------------------------------------------------------------------------------------


@pytest.mark.req("S2.3")
def test_value_drivers_is_cached_and_value_driver_looks_up_by_code() -> None:
    assert value_drivers() is value_drivers()
    quality = value_driver("quality")
    assert quality is not None and quality.code == "quality"
    assert value_driver("no_such_driver") is None


@pytest.mark.req("S2.3")
@pytest.mark.parametrize(
    "locale,expected",
    [
        ("zh", "中"),
        ("zh_CN", "中"),
        ("zh-Hans-CN", "中"),
        ("ZH_cn", "中"),
        ("en", "en"),
        ("fr", "en"),
        ("", "en"),
    ],
)
def test_text_picks_the_language_by_locale(locale: str, expected: str) -> None:
    assert Text(en="en", zh="中")(locale) == expected


@pytest.mark.req("S2.2", "S2.3")
@pytest.mark.parametrize(
    "text,code",
    [
        ("交期", "on_time_delivery"),
        ("Quality ", "quality"),
        ("  QUALITY", "quality"),
        ("delivery/lead time", "on_time_delivery"),
        ("Lead   Time", "on_time_delivery"),
        ("稳定交付与准时", "on_time_delivery"),
        ("Fast response and personalisation", "responsiveness"),
        ("快速响应与个性化", "responsiveness"),
        ("性价比", "price"),
        ("品质", "quality"),
        ("定制化", "customisation"),
        ("品牌体验", "brand_experience"),
        ("TCO", "total_cost"),
        ("总拥有成本", "total_cost"),
        ("key accounts", "partnership"),
        ("ease_of_use", "ease_of_use"),
    ],
)
def test_find_driver_matches_code_names_and_aliases(text: str, code: str) -> None:
    driver = find_driver(text)
    assert driver is not None and driver.code == code


@pytest.mark.req("S2.3")
@pytest.mark.parametrize("text", ["", "   ", "no such driver", "交", "quality assurance department"])
def test_find_driver_returns_none_for_unknown_text(text: str) -> None:
    assert find_driver(text) is None


@pytest.mark.req("S2.3")
def test_every_driver_is_found_by_its_own_names() -> None:
    for driver in value_drivers():
        for text in (driver.code, driver.name.en, driver.name.zh, *driver.aliases):
            assert find_driver(text) == driver, text


# --- suggestions ------------------------------------------------------------------------------------


@pytest.mark.req("S2.3")
def test_suggest_orders_by_rank_then_by_position() -> None:
    suggestions = suggest([(1, "responsiveness"), (2, "on_time_delivery")])
    codes = [s.indicator.code for s in suggestions]
    responsiveness = value_driver("responsiveness")
    on_time = value_driver("on_time_delivery")
    assert responsiveness is not None and on_time is not None
    assert codes[0] == "response_time"
    assert codes[:4] == _codes(responsiveness)[:4]
    assert codes == _codes(responsiveness) + [c for c in _codes(on_time) if c not in _codes(responsiveness)]
    assert [s.best_rank for s in suggestions] == sorted(s.best_rank for s in suggestions)
    assert len(codes) == len(set(codes))

    # the ranking, not the order of the pairs, decides
    reversed_input = suggest([(2, "responsiveness"), (1, "on_time_delivery")])
    assert [s.indicator.code for s in reversed_input][:3] == [
        "on_time_delivery_rate",
        "plan_attainment_rate",
        "first_pass_yield",
    ]


@pytest.mark.req("S2.3")
def test_suggest_lists_an_indicator_shared_by_two_drivers_once_with_both() -> None:
    quality = value_driver("quality")
    on_time = value_driver("on_time_delivery")
    assert quality is not None and on_time is not None
    shared = set(_codes(quality)) & set(_codes(on_time))
    assert "first_pass_yield" in shared

    suggestions = suggest([(1, "quality"), (2, "on_time_delivery")])
    by_code = {s.indicator.code: s for s in suggestions}
    assert len(by_code) == len(suggestions)
    fpy = by_code["first_pass_yield"]
    assert fpy.driver_codes == ("quality", "on_time_delivery")
    assert fpy.best_rank == 1
    assert fpy.indicator == quality.indicators[_codes(quality).index("first_pass_yield")]
    assert by_code["on_time_delivery_rate"].driver_codes == ("on_time_delivery",)
    assert by_code["on_time_delivery_rate"].best_rank == 2

    # the other way round, the on-time driver ranks first and lists first
    flipped = {s.indicator.code: s for s in suggest([(1, "on_time_delivery"), (2, "quality")])}
    assert flipped["first_pass_yield"].driver_codes == ("on_time_delivery", "quality")


@pytest.mark.req("S2.3")
def test_suggest_ignores_unknown_codes_and_repeated_drivers() -> None:
    assert suggest([]) == []
    assert suggest([(1, "no_such_driver")]) == []
    plain = suggest([(2, "price")])
    assert suggest([(1, "no_such_driver"), (2, "price")]) == plain
    repeated = suggest([(3, "price"), (2, "price")])
    assert [s.indicator.code for s in repeated] == [s.indicator.code for s in plain]
    assert all(s.driver_codes == ("price",) and s.best_rank == 2 for s in repeated)


@pytest.mark.req("S2.3")
def test_suggest_for_every_driver_covers_each_indicator_once() -> None:
    drivers = value_drivers()
    suggestions = suggest([(rank, d.code) for rank, d in enumerate(drivers, start=1)])
    all_codes = {i.code for d in drivers for i in d.indicators}
    assert sorted(s.indicator.code for s in suggestions) == sorted(all_codes)
    for s in suggestions:
        recommending = [d.code for d in drivers if s.indicator.code in _codes(d)]
        assert s.driver_codes == tuple(recommending)


# --- validation -------------------------------------------------------------------------------------


@pytest.mark.req("S2.3")
def test_parse_accepts_a_minimal_catalogue() -> None:
    drivers = parse({"drivers": [_driver(aliases=["fast"])]})
    assert drivers == (
        ValueDriver(
            code="responsiveness",
            name=Text(en="Driver responsiveness", zh="驱动因素 responsiveness"),
            description=Text(en="What the customer cares about.", zh="客户在意的东西。"),
            aliases=("fast",),
            indicators=(
                RecommendedIndicator(
                    code="response_time",
                    name=Text(en="Response time", zh="响应时长"),
                    why=Text(en="How long the customer waits.", zh="客户等待的时间。"),
                    perspective="process",
                    unit="hours",
                    polarity="lower_better",
                ),
            ),
        ),
    )


@pytest.mark.req("S2.3")
def test_parse_rejects_a_duplicate_driver_code() -> None:
    with pytest.raises(ValueError, match=r"'price'.*duplicate driver code"):
        parse({"drivers": [_driver("price"), _driver("price")]})


@pytest.mark.req("S2.3")
@pytest.mark.parametrize(
    "field,value",
    [("polarity", "up_is_good"), ("unit", "furlongs"), ("perspective", "marketing")],
)
def test_parse_rejects_unknown_choices(field: str, value: str) -> None:
    data = {"drivers": [_driver("speed", indicators=[_indicator("response_time", **{field: value})])]}
    with pytest.raises(ValueError, match=rf"'speed'.*'response_time'.*unknown {field} '{value}'"):
        parse(data)


@pytest.mark.req("S2.3")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_parse_rejects_missing_language(lang: str) -> None:
    name = {"en": "Response time", "zh": "响应时长"}
    del name[lang]
    data = {"drivers": [_driver(indicators=[_indicator(name=name)])]}
    with pytest.raises(ValueError, match=rf"'response_time': name: missing {lang} text"):
        parse(data)
    blank = {"drivers": [_driver(description={"en": "  ", "zh": "客户在意的东西。"})]}
    with pytest.raises(ValueError, match=r"'responsiveness': description: missing en text"):
        parse(blank)


@pytest.mark.req("S2.3")
def test_parse_rejects_one_indicator_code_with_two_names() -> None:
    other = _indicator(name={"en": "Reaction time", "zh": "反应时间"})
    data = {"drivers": [_driver("a_driver"), _driver("b_driver", indicators=[other])]}
    with pytest.raises(ValueError, match=r"'b_driver'.*'response_time'.*name differs.*'a_driver'"):
        parse(data)
    # a different `why` is fine: it explains the indicator for that driver
    why = _indicator(why={"en": "Another reason.", "zh": "另一个理由。"})
    assert len(parse({"drivers": [_driver("a_driver"), _driver("b_driver", indicators=[why])]})) == 2


@pytest.mark.req("S2.3")
@pytest.mark.parametrize(
    "data,message",
    [
        ({}, r"'drivers' must be a non-empty list"),
        ({"drivers": []}, r"'drivers' must be a non-empty list"),
        ({"drivers": [], "extra": 1}, r"unknown field\(s\) extra"),
        ({"drivers": [_driver("Bad Code")]}, r"'Bad Code'.*not a snake_case"),
        ({"drivers": [_driver(indicators=[])]}, r"'responsiveness'.*non-empty list of indicators"),
        ({"drivers": [_driver(colour="blue")]}, r"'responsiveness'.*unknown field\(s\) colour"),
        ({"drivers": [_driver(indicators=[_indicator(), _indicator()])]}, r"'response_time' is listed twice"),
        ({"drivers": [_driver(aliases="交期")]}, r"'responsiveness'.*aliases"),
        (
            {"drivers": [_driver("a_driver", aliases=["交期"]), _driver("b_driver", aliases=[" 交期 "])]},
            r"'b_driver'.*'交期' already belongs to driver 'a_driver'",
        ),
    ],
)
def test_parse_rejects_malformed_content(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(data)


@pytest.mark.req("S2.3")
def test_parse_rejects_a_missing_indicator_field() -> None:
    indicator = _indicator()
    del indicator["unit"]
    with pytest.raises(ValueError, match=r"'response_time': missing field\(s\) unit"):
        parse({"drivers": [_driver(indicators=[indicator])]})


@pytest.mark.req("S2.3")
def test_value_drivers_is_parse_of_the_shipped_file() -> None:
    # parse() is what value_drivers() uses, so a broken copy of the real content is rejected too
    data = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    assert parse(data) == value_drivers()
    broken = copy.deepcopy(data)
    broken["drivers"][1]["code"] = broken["drivers"][0]["code"]
    with pytest.raises(ValueError, match="duplicate driver code"):
        parse(broken)
