"""The scoring engine: every rule kind on worked examples computed by hand, the roll-up with its
missing-data policies, grades and adjustments, rule validation messages, and properties of
the arithmetic checked with hypothesis. Pure: no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from northstar.errors import Named, NorthstarError, ValidationFailed
from northstar.scoring import (
    Item,
    ScoringError,
    Step,
    combine,
    grade_for,
    parse_rule,
    render,
    renormalised,
    roll_up,
    rule_problems,
    score,
)
from northstar.scoring.engine import band_contains, band_span
from northstar.scoring.rules import (
    Band,
    BandsRule,
    BonusRule,
    DeductionRule,
    Grade,
    GradeTable,
    LinearRule,
    MissingPolicy,
    PenaltyRule,
    RangeRule,
    RubricLevel,
    RubricRule,
    VetoRule,
    YesNoRule,
)
from northstar.scoring.steps import number, score_number
from northstar.web.i18n import translations

D = Decimal
S63 = pytest.mark.req("S6.3")
S94 = pytest.mark.req("S9.4")

ON_TIME = LinearRule(threshold=D(90), target=D(98), stretch=D("99.5"))
RESPONSE_HOURS = LinearRule(threshold=D(48), target=D(24), stretch=D(12))
SATISFACTION = BandsRule(
    bands=[
        Band(upper=D(60), score=D(0), description="不满意", description_en="Dissatisfied"),
        Band(lower=D(60), upper=D(80), score=D(60)),
        Band(lower=D(80), upper=D(90), score=D(80), description="满意", description_en="Satisfied"),
        Band(lower=D(90), score=D(100), description="非常满意", description_en="Delighted"),
    ]
)
INVENTORY_DAYS = RangeRule(low=D(95), high=D(105), tolerance=D(10))
REVIEW = RubricRule(
    levels=[
        RubricLevel(code="A", score=D(100), description="超出期望", description_en="Beyond expectations"),
        RubricLevel(code="B", score=D(80)),
        RubricLevel(code="C", score=D(60)),
        RubricLevel(code="D", score=D(0)),
    ]
)
#: scores its actual unchanged from 0 to 100, so a roll-up can be fed any item score
IDENTITY = LinearRule(threshold=D(0), target=D(100), threshold_score=D(0), target_score=D(100))


def scored(rule, actual):
    result = score(rule, actual)
    assert result.status == "scored"
    return result.value, render(result.steps)


# --- one indicator -------------------------------------------------------------------------


@S63
def test_on_time_delivery_between_threshold_and_target_scores_along_the_line_and_prints_it():
    value, text = scored(ON_TIME, D("96.5"))
    assert value == D("92.5")
    assert text == (
        "96.5 lies between the threshold 90 (60) and the target 98 (100): "
        "60 + (96.5 − 90) ÷ (98 − 90) × (100 − 60) = 92.5."
    )


@S63
def test_beyond_the_target_the_score_climbs_towards_the_stretch_score_then_stays():
    assert scored(ON_TIME, 99)[0] == D("113.33")  # 100 + 1 ÷ 1.5 × 20 = 113.333…
    value, text = scored(ON_TIME, 100)
    assert value == D(120)
    assert text == "100 goes beyond the stretch 99.5: the score stays at the stretch score 120."


@S63
def test_without_a_stretch_the_score_stays_at_the_target_score_beyond_the_target():
    value, text = scored(LinearRule(threshold=D(90), target=D(98)), D("99.9"))
    assert value == D(100)
    assert "beyond the target 98" in text


@S63
def test_short_of_the_threshold_the_score_is_the_floor_score():
    value, text = scored(LinearRule(threshold=D(90), target=D(98), floor_score=D(20)), 85)
    assert value == D(20)
    assert text == "85 falls short of the threshold 90: the score is the floor score 20."


@S63
def test_lower_is_better_when_the_target_is_below_the_threshold():
    assert RESPONSE_HOURS.polarity == "lower_better"
    assert scored(RESPONSE_HOURS, 30)[0] == D(90)  # 60 + (30 − 48) ÷ (24 − 48) × 40
    assert scored(RESPONSE_HOURS, 18)[0] == D(110)  # 100 + (18 − 24) ÷ (12 − 24) × 20
    assert scored(RESPONSE_HOURS, 50)[0] == D(0)
    assert scored(RESPONSE_HOURS, 6)[0] == D(120)


@S63
def test_a_cap_limits_the_score_and_the_arithmetic_says_so():
    rule = LinearRule(threshold=D(48), target=D(24), stretch=D(12), cap=D(110))
    value, text = scored(rule, 6)
    assert value == D(110)
    assert text.splitlines()[-1] == "120 is above the cap 110: the score is 110."


@S63
def test_scores_round_to_two_decimals_half_up_not_half_even():
    rule = LinearRule(threshold=D(0), target=D(200), threshold_score=D(0), target_score=D(100))
    assert scored(rule, D("0.01"))[0] == D("0.01")  # exactly 0.005
    assert scored(rule, D("0.03"))[0] == D("0.02")  # exactly 0.015


@S63
def test_actuals_may_be_integers_decimals_or_number_text_and_floats_keep_their_decimal_form():
    for actual in (D("96.5"), "96.5", " 96.5 ", 96.5):
        assert scored(ON_TIME, actual)[0] == D("92.5")


@S63
def test_an_actual_that_is_not_a_number_is_refused_with_the_fix():
    for actual in ("ninety", True, "NaN", [96]):
        with pytest.raises(ScoringError) as caught:
            score(ON_TIME, actual)
        assert str(caught.value).endswith("is not a number: enter digits such as 96.5.")
    assert isinstance(caught.value, NorthstarError) and caught.value.status == 422


@S63
def test_bands_pick_the_band_containing_the_actual_and_show_its_description():
    value, text = scored(SATISFACTION, 85)
    assert value == D(80)
    assert text == "85 lies in band 3 [80, 90): score 80.\nBand 3: Satisfied"
    assert render(score(SATISFACTION, 85).steps, locale="zh_CN").endswith("Band 3: 满意")
    assert scored(SATISFACTION, 10)[1].startswith("10 lies in band 1 (−∞, 60): score 0.")


@S63
def test_a_band_includes_its_lower_bound_and_excludes_its_upper_bound():
    assert scored(SATISFACTION, 90)[0] == D(100)
    assert scored(SATISFACTION, D("89.99"))[0] == D(80)
    assert scored(SATISFACTION, 60)[0] == D(60)


@S63
def test_an_actual_past_the_closed_ends_of_the_bands_takes_the_nearest_band_and_says_so():
    rule = BandsRule(
        bands=[Band(lower=D(0), upper=D(95), score=D(60)), Band(lower=D(95), upper=D(100), score=D(100))]
    )
    value, text = scored(rule, 100)
    assert value == D(100)
    assert text == "100 lies at or above the end of the last band [95, 100): it takes that band's score 100."
    value, text = scored(rule, -1)
    assert value == D(60)
    assert text == "-1 lies below the first band [0, 95): it takes that band's score 60."


@S63
def test_range_is_best_inside_and_falls_linearly_to_the_outside_score_at_the_tolerance():
    assert scored(INVENTORY_DAYS, 100)[0] == D(100)
    assert scored(INVENTORY_DAYS, 95)[0] == D(100)
    value, text = scored(INVENTORY_DAYS, D("92.5"))
    assert value == D(75)
    assert text == "92.5 lies 2.5 outside the range [95, 105]: 100 − 2.5 ÷ 10 × (100 − 0) = 75."
    assert scored(INVENTORY_DAYS, 110)[0] == D(50)
    assert scored(INVENTORY_DAYS, 120)[0] == D(0)
    assert scored(INVENTORY_DAYS, 115) == (
        D(0),
        "115 lies 10 outside the range [95, 105], at least the tolerance 10: score 0.",
    )
    assert scored(RangeRule(low=D(95), high=D(105), tolerance=D(10), outside_score=D(40)), 90)[0] == D(70)


@S63
def test_yes_no_accepts_booleans_ones_and_zeros_and_words_in_both_languages():
    rule = YesNoRule(yes_score=D(100), no_score=D(20))
    for yes in (True, 1, "yes", "YES", "是", "1"):
        assert scored(rule, yes) == (D(100), "Answer yes: score 100.")
    for no in (False, 0, "no", "否", "0"):
        assert scored(rule, no) == (D(20), "Answer no: score 20.")
    with pytest.raises(ScoringError, match="is not a yes/no answer: enter yes or no"):
        score(rule, "maybe")


@S63
def test_a_rubric_level_gives_its_score_and_description():
    value, text = scored(REVIEW, "A")
    assert value == D(100)
    assert text == "Level A: score 100.\nLevel A: Beyond expectations"
    assert scored(REVIEW, " B ")[0] == D(80)


@S63
def test_a_rubric_level_that_does_not_exist_names_the_levels_to_pick_from():
    with pytest.raises(ScoringError) as caught:
        score(REVIEW, "E")
    assert str(caught.value) == 'Level "E" is not one of A, B, C, D: pick one of them.'


@S63
def test_deductions_take_points_off_per_event_down_to_the_floor():
    value, text = scored(DeductionRule(points=D(5)), 3)
    assert value == D(85)
    assert text == "Events: 3, 5 points off each: 100 − 3 × 5 = 85."
    assert scored(DeductionRule(points=D(30)), 4)[0] == D(0)
    value, text = scored(DeductionRule(points=D(30), floor=D(40)), "4")
    assert value == D(40)
    assert text.endswith("= -20, below the floor 40, so the score is 40.")


@S63
def test_an_event_count_must_be_a_whole_number_of_zero_or_more():
    with pytest.raises(ScoringError) as caught:
        score(DeductionRule(points=D(5)), -1)
    assert str(caught.value) == "The number of events cannot be negative (-1): enter 0 or more."
    for bad in (D("1.5"), "two", True):
        with pytest.raises(ScoringError, match="is not a number of events: enter a whole number"):
            score(PenaltyRule(points=D(1), max_points=D(5)), bad)


@S63
def test_bonus_and_penalty_points_are_counted_per_event_up_to_their_maximum():
    bonus = BonusRule(points=D(2), max_points=D(5))
    assert scored(bonus, 1) == (D(2), "Events: 1, 2 bonus points each: 1 × 2 = 2 points.")
    assert scored(bonus, 3)[0] == D(5)
    penalty = PenaltyRule(points=D(3), max_points=D(10))
    assert scored(penalty, 2)[0] == D(6)
    value, text = scored(penalty, 5)
    assert value == D(10)
    assert text == "Events: 5, 3 penalty points each: 5 × 3 = 15, more than the maximum 10, so 10 points."


@S63
def test_a_veto_is_triggered_by_one_event_and_not_by_none():
    rule = VetoRule(description="重大安全事故", description_en="Major safety incident")
    triggered = score(rule, 1)
    assert triggered.vetoed and triggered.value == D(0)
    assert render(triggered.steps, locale="zh").endswith("Veto: 重大安全事故")
    quiet = score(rule, 0)
    assert not quiet.vetoed and quiet.value is None and quiet.status == "scored"


@S63
@pytest.mark.parametrize(
    "rule",
    [ON_TIME, SATISFACTION, INVENTORY_DAYS, YesNoRule(), REVIEW, DeductionRule(points=D(5)), VetoRule()],
    ids=lambda r: r.kind,
)
def test_no_actual_or_a_blank_cell_is_missing_data_not_a_zero(rule):
    for blank in (None, "", "  "):
        result = score(rule, blank)
        assert (result.value, result.status) == (None, "missing")
        assert render(result.steps) == "No data for this period."


@S63
def test_numbers_print_plainly_without_exponent_or_trailing_zeros():
    assert number(D("1E+3")) == "1000"
    assert number(D("96.50")) == "96.5"
    assert number(D("1E-7")) == "0.0000001"
    assert number(D("-0.0")) == "0"
    assert score_number(D("113.3333")) == "113.33"


@S63
def test_steps_render_through_a_translation_and_fall_back_to_english_when_it_is_broken():
    steps = score(YesNoRule(), "yes").steps
    zh = {"Answer yes: score {score}.": "回答“是”：得分 {score}。"}
    assert render(steps, lambda t: zh.get(t, t)) == "回答“是”：得分 100。"
    assert render(steps, lambda t: "得分 {points}") == "Answer yes: score 100."
    assert render([Step("a {x}", {"x": "1"}), Step("b")]) == "a 1\nb"


# --- properties of single scores ------------------------------------------------------------


def dec(lo, hi, places=2):
    return st.decimals(
        min_value=D(str(lo)), max_value=D(str(hi)), places=places, allow_nan=False, allow_infinity=False
    )


@st.composite
def linear_rules(draw):
    up = draw(st.booleans())
    threshold = draw(dec(-1000, 1000))
    step = draw(dec("0.01", 500))
    target = threshold + step if up else threshold - step
    stretch = None
    if draw(st.booleans()):
        further = draw(dec("0.01", 500))
        stretch = target + further if up else target - further
    floor = draw(dec(-50, 50))
    threshold_score = floor + draw(dec(0, 100))
    target_score = threshold_score + draw(dec(0, 100))
    stretch_score = target_score + draw(dec(0, 100))
    cap = draw(st.none() | dec(floor, floor + 300))
    return LinearRule(
        threshold=threshold,
        target=target,
        stretch=stretch,
        floor_score=floor,
        threshold_score=threshold_score,
        target_score=target_score,
        stretch_score=stretch_score,
        cap=cap,
    )


@S63
@settings(deadline=None)
@given(rule=linear_rules(), x=dec(-2000, 2000), y=dec(-2000, 2000))
def test_linear_scores_never_get_worse_as_the_actual_improves_and_stay_between_floor_and_top(rule, x, y):
    worse, better = (min(x, y), max(x, y)) if rule.polarity == "higher_better" else (max(x, y), min(x, y))
    s_worse, s_better = score(rule, worse).value, score(rule, better).value
    assert s_worse <= s_better
    top = rule.target_score if rule.stretch is None else rule.stretch_score
    if rule.cap is not None:
        top = min(top, rule.cap)
    for value in (s_worse, s_better):
        assert rule.floor_score <= value <= top


@st.composite
def band_tables(draw):
    """Contiguous band bounds, each band at least 10 wide, with open or closed ends."""
    edges = [D(e * 10) for e in sorted(draw(st.sets(st.integers(-50, 50), min_size=1, max_size=6)))]
    lowest = None if draw(st.booleans()) else edges[0] - 10 * draw(st.integers(1, 5))
    highest = None if draw(st.booleans()) else edges[-1] + 10 * draw(st.integers(1, 5))
    bounds = [lowest, *edges, highest]
    scores = draw(st.lists(dec(0, 120), min_size=len(bounds) - 1, max_size=len(bounds) - 1))
    return [(bounds[i], bounds[i + 1], scores[i]) for i in range(len(bounds) - 1)]


def bands_rule(table):
    return BandsRule(bands=[Band(lower=lo, upper=hi, score=s) for lo, hi, s in table])


@S63
@settings(deadline=None)
@given(table=band_tables(), x=dec(-700, 700))
def test_contiguous_bands_accept_every_actual_and_place_it_in_exactly_one_band(table, x):
    rule = bands_rule(table)
    containing = [i for i, band in enumerate(rule.bands) if band_contains(band, x)]
    first, last = rule.bands[0], rule.bands[-1]
    value, text = scored(rule, x)
    if first.lower is not None and x < first.lower:
        assert containing == []
        assert value == first.score
        assert text.startswith(f"{number(x)} lies below the first band {band_span(first)}")
    elif last.upper is not None and x >= last.upper:
        assert containing == []
        assert value == last.score
        assert text.startswith(f"{number(x)} lies at or above the end of the last band {band_span(last)}")
    else:
        [i] = containing
        assert value == rule.bands[i].score
        assert text.startswith(f"{number(x)} lies in band {i + 1} {band_span(rule.bands[i])}: score")


@S63
@settings(deadline=None)
@given(table=band_tables(), data=st.data(), shift=st.integers(1, 9), gap=st.booleans())
def test_band_tables_with_a_gap_or_an_overlap_are_refused_naming_the_band_to_fix(table, data, shift, gap):
    i = data.draw(st.integers(1, len(table) - 1))
    lower, upper, points = table[i]
    moved = lower + shift if gap else lower - shift
    broken = [*table[:i], (moved, upper, points), *table[i + 1 :]]
    with pytest.raises(ValidationError):
        bands_rule(broken)
    data_json = {
        "kind": "bands",
        "bands": [{"lower": lo, "upper": hi, "score": s} for lo, hi, s in broken],
    }
    [problem] = rule_problems(data_json)
    assert problem.path == f"rule.bands[{i}].lower"
    words = "There is a gap between band" if gap else f"Band {i + 1} (from {moved}) overlaps band {i}"
    assert str(problem).startswith(f"rule.bands[{i}].lower: {words}")
    assert f"start band {i + 1} at {lower}." in str(problem)


@S63
@settings(deadline=None)
@given(low=dec(-100, 100), width=dec(0, 50), tolerance=dec("0.01", 30), d=dec(0, 60), inside=dec(50, 120))
def test_range_scores_are_symmetric_about_the_range_and_best_inside_it(low, width, tolerance, d, inside):
    rule = RangeRule(low=low, high=low + width, tolerance=tolerance, inside_score=inside, outside_score=D(0))
    below, above = score(rule, low - d).value, score(rule, low + width + d).value
    assert below == above
    assert rule.outside_score <= below <= rule.inside_score
    assert score(rule, low + width / 2).value == round(rule.inside_score, 2)
    if d > 0:
        assert below < rule.inside_score


NUMERIC_RULES = [
    ON_TIME,
    RESPONSE_HOURS,
    LinearRule(threshold=D(48), target=D(24), cap=D(90)),
    SATISFACTION,
    INVENTORY_DAYS,
]
COUNT_RULES = [
    DeductionRule(points=D("7.5")),
    BonusRule(points=D(2), max_points=D(9)),
    PenaltyRule(points=D("0.5"), max_points=D(4)),
]


@S63
@settings(deadline=None)
@given(rule=st.sampled_from(NUMERIC_RULES), actual=dec(-200, 200, places=3))
def test_the_printed_arithmetic_of_a_measured_score_shows_the_actual_and_the_score(rule, actual):
    result = score(rule, actual)
    text = render(result.steps)
    assert number(actual) in text
    assert score_number(result.value) in text


@S63
@settings(deadline=None)
@given(rule=st.sampled_from(COUNT_RULES), events=st.integers(0, 40))
def test_the_printed_arithmetic_of_a_counted_score_shows_the_count_and_the_score(rule, events):
    result = score(rule, events)
    text = render(result.steps)
    assert f"Events: {events}," in text
    assert text.endswith(f"{score_number(result.value)}.") or text.endswith(
        f"{score_number(result.value)} points."
    )


# --- rule validation ------------------------------------------------------------------------


@S63
def test_a_rule_with_a_gap_between_bands_is_reported_at_the_band_to_move():
    [problem] = rule_problems(
        {"kind": "bands", "bands": [{"upper": "60", "score": 0}, {"lower": "70", "score": 100}]}
    )
    assert problem.path == "rule.bands[1].lower"
    assert problem.template.format(**problem.params) == (
        "There is a gap between band 1 (up to 60) and band 2 (from 70): start band 2 at 60."
    )


@S63
def test_an_unknown_rule_kind_lists_the_kinds_there_are():
    [problem] = rule_problems({"kind": "formula", "threshold": 1})
    assert problem.path == "rule.kind"
    assert problem.template.format(**problem.params) == (
        'Unknown rule kind "formula": use one of linear, bands, range, yes_no, rubric, deduction, bonus, penalty, veto.'
    )


@S63
def test_missing_fields_numbers_that_are_not_numbers_and_unknown_settings_are_reported_by_field():
    problems = rule_problems({"kind": "linear", "target": "ninety-eight", "treshold": 90})
    found = {p.path: p.template.format(**p.params) for p in problems}
    assert found == {
        "rule.threshold": '"threshold" is missing: enter a value.',
        "rule.target": '"ninety-eight" is not a number: enter digits such as 96.5.',
        "rule.treshold": '"treshold" is not a setting of a linear rule: remove it.',
    }


@S63
def test_rule_checks_point_at_the_field_to_fix():
    def paths(data):
        return [p.path for p in rule_problems(data)]

    assert paths({"kind": "linear", "threshold": 90, "target": 98, "stretch": 95}) == ["rule.stretch"]
    assert paths({"kind": "linear", "threshold": 90, "target": 98, "floor_score": 10, "cap": 5}) == [
        "rule.cap"
    ]
    assert paths({"kind": "range", "low": 5, "high": 1, "tolerance": 1}) == ["rule.low"]
    assert paths({"kind": "range", "low": 1, "high": 5, "tolerance": 0}) == ["rule.tolerance"]
    assert paths({"kind": "bands", "bands": [{"score": 1}]}) == ["rule.bands"]
    levels = [{"code": "A", "score": 100}, {"code": "B", "score": 80}, {"code": "A", "score": 60}]
    assert paths({"kind": "rubric", "levels": levels}) == ["rule.levels[2].code"]
    assert paths({}) == ["rule.kind"]
    assert [p.path for p in rule_problems({"kind": "linear"}, prefix="cards[2].rule")] == [
        "cards[2].rule.threshold",
        "cards[2].rule.target",
    ]
    assert [
        str(p)
        for p in rule_problems(
            {"kind": "rubric", "levels": [{"code": "", "score": 1}, {"code": "B", "score": 0}]}
        )
    ] == ['rule.levels[0].code: "code" is empty: fill it in.']
    assert paths({"kind": "bands", "bands": [5, {"score": 1}]}) == ["rule.bands[0]"]


@S63
def test_generic_rule_problems_read_as_sentences_that_name_the_field_and_the_fix():
    cases = {
        None: 'rule: "rule" must be an object with named fields, such as {"kind": "linear"}.',
        7: 'rule.kind: Unknown rule kind "7": use one of linear, bands, range, yes_no, rubric, deduction, bonus, penalty, veto.',
        "veto-score": 'rule.score: "none" is not a number: enter digits such as 96.5.',
        "bonus-points": 'rule.points: "points" must be greater than 0: enter a larger number.',
        "long-code": 'rule.levels[1].code: "code" must have at most 20 characters: shorten it.',
        "bands-text": 'rule.bands: "bands" must be a list: put its entries in square brackets.',
        "one-band": 'rule.bands: "bands" needs at least 2 entries: add 1 more.',
    }
    data = {
        None: None,
        7: {"kind": 7},
        "veto-score": {"kind": "veto", "score": "none"},
        "bonus-points": {"kind": "bonus", "points": -1, "max_points": 5},
        "long-code": {
            "kind": "rubric",
            "levels": [{"code": "A", "score": 1}, {"code": "B" * 30, "score": 1}],
        },
        "bands-text": {"kind": "bands", "bands": "high"},
        "one-band": {"kind": "bands", "bands": [{"score": 1}]},
    }
    for key, expected in cases.items():
        assert [str(p) for p in rule_problems(data[key])] == [expected]


@S63
def test_parse_rule_returns_the_rule_or_refuses_it_with_every_problem_and_its_field():
    assert parse_rule({"kind": "linear", "threshold": "90", "target": "98"}) == LinearRule(
        threshold=D(90), target=D(98)
    )
    assert rule_problems({"kind": "yes_no"}) == []
    with pytest.raises(ValidationFailed) as caught:
        parse_rule({"kind": "range", "low": "x"})
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("rule.low", '"{value}" is not a number: enter digits such as 96.5.'),
        ("rule.high", '"{field}" is missing: enter a value.'),
        ("rule.tolerance", '"{field}" is missing: enter a value.'),
    ]


# --- roll-up --------------------------------------------------------------------------------


def card(audit="yes", audit_missing=MissingPolicy.renormalise, **extra):
    """On-time delivery 40% (96.5 → 92.5), response time 30% (30 h → 90), audit passed 30%
    (yes → 100), a patent bonus (1 × 2) and a complaint penalty (2 × 3)."""
    items = [
        Item(code="otd", label="On-time delivery", rule=ON_TIME, actual=D("96.5"), weight=D(40)),
        Item(code="resp", label="Response time", rule=RESPONSE_HOURS, actual=30, weight=D(30)),
        Item(
            code="audit",
            label="Audit passed",
            rule=YesNoRule(),
            actual=audit,
            weight=D(30),
            missing=audit_missing,
        ),
        Item(code="patent", label="Patent", rule=BonusRule(points=D(2), max_points=D(5)), actual=1),
        Item(code="complaint", label="Complaint", rule=PenaltyRule(points=D(3), max_points=D(10)), actual=2),
    ]
    return items + [Item(code=code, **fields) for code, fields in extra.items()]


@S94
def test_the_total_is_the_weighted_mean_plus_bonus_minus_penalty_with_its_grade():
    result = roll_up(card())
    assert (result.total, result.grade, result.status) == (D(90), "B", "scored")
    assert (result.mean, result.bonus, result.penalty) == (D(94), D(2), D(6))
    assert render(result.steps) == (
        "Weighted score: 40% × 92.5 + 30% × 90 + 30% × 100 = 94.\n"
        "94 + 2 bonus points − 6 penalty points = 90.\n"
        "Total 90 reaches 80: grade B (Good)."
    )
    assert [i.counted for i in result.items] == [D("92.5"), D(90), D(100), D(2), D(6)]


@S94
def test_a_triggered_veto_holds_the_total_at_the_veto_score():
    result = roll_up(card(safety={"label": "Safety", "rule": VetoRule(score=D(50)), "actual": 1}))
    assert (result.total, result.grade, result.vetoed) == (D(50), "D", True)
    assert "Veto triggered by Safety: the total 90 becomes 50." in render(result.steps)
    quiet = roll_up(card(safety={"label": "Safety", "rule": VetoRule(score=D(50)), "actual": 0}))
    assert (quiet.total, quiet.vetoed) == (D(90), False)


@S94
def test_with_several_vetoes_the_lowest_applies_and_a_veto_never_lifts_a_total():
    two = card(
        safety={"label": "Safety", "rule": VetoRule(score=D(50)), "actual": 1},
        fraud={"label": "Fraud", "rule": VetoRule(score=D(30)), "actual": 2},
    )
    assert roll_up(two).total == D(30)
    ceiling = roll_up(card(soft={"label": "Late report", "rule": VetoRule(score=D(95)), "actual": 1}))
    assert ceiling.total == D(90)
    assert "is already no higher than 95, so it stands" in render(ceiling.steps)


@S94
def test_missing_data_under_renormalise_shares_its_weight_out_and_shows_the_scaled_weights():
    result = roll_up(card(audit=None))
    # 57.14% × 92.5 + 42.86% × 90 = 91.4285 → 91.43; + 2 − 6
    assert (result.total, result.grade, result.mean) == (D("87.43"), "B", D("91.43"))
    text = render(result.steps)
    assert '"Audit passed" has no data, so its weight of 30% is shared out over the others.' in text
    assert "On-time delivery 40% → 57.14%; Response time 30% → 42.86%" in text
    assert [i.weight_used for i in result.items[:3]] == [D("57.14"), D("42.86"), None]


@S94
def test_the_scaled_weights_name_each_part_in_the_readers_language():
    # the enterprise dashboard's objectives have a Chinese and an English name: both the
    # "has no data" line and the line of scaled weights speak the reader's language
    mean = combine(
        [
            (Named("C1 Keep every delivery promise", "C1 兑现每一个交付承诺"), D(50), D(90)),
            (Named("F1 Grow the key segments", "F1 提升重点细分收入"), D(30), D(80)),
            (Named("L3 Everyone improves", "L3 人人参与持续改善"), D(20), None),
        ]
    )
    zh = render(mean.steps, translations("zh_CN").gettext, locale="zh-CN")
    assert "“L3 人人参与持续改善”无数据" in zh
    assert (
        "其余权重合计 80%，按比例换算为 100%：C1 兑现每一个交付承诺 50% → 62.5%；F1 提升重点细分收入 30% → 37.5%。"
        in zh
    )
    assert "Keep every delivery promise" not in zh
    en = render(mean.steps)
    assert (
        "The remaining weights add up to 80%, scaled to 100%: C1 Keep every delivery promise 50% → 62.5%; F1 Grow the key segments 30% → 37.5%."
        in en
    )
    vetoed = roll_up(
        card(
            safety={"label": Named("Safety", "安全"), "rule": VetoRule(score=D(50)), "actual": 1},
            fraud={"label": Named("Fraud", "舞弊"), "rule": VetoRule(score=D(30)), "actual": 1},
        )
    )
    zh_veto = render(vetoed.steps, translations("zh_CN").gettext, locale="zh-CN")
    assert "安全、舞弊 触发一票否决：总分由 90 变为 30。" in zh_veto
    assert "Veto triggered by Safety, Fraud: the total 90 becomes 30." in render(vetoed.steps)


@S94
def test_missing_data_under_zero_counts_as_zero_and_a_total_on_a_grade_boundary_takes_that_grade():
    result = roll_up(card(audit=None, audit_missing=MissingPolicy.zero))
    # 40% × 92.5 + 30% × 90 + 30% × 0 = 64; + 2 − 6 = 60, exactly where C starts
    assert (result.total, result.grade) == (D(60), "C")
    assert result.items[2].counted == D(0) and result.items[2].score.status == "missing"
    assert render(result.steps).endswith("Total 60 reaches 60: grade C (Needs improvement).")


@S94
def test_missing_data_under_incomplete_holds_the_total_but_still_shows_every_item_score():
    result = roll_up(card(audit=None, audit_missing=MissingPolicy.incomplete))
    assert (result.total, result.grade, result.status) == (None, None, "incomplete")
    assert [i.score.value for i in result.items] == [D("92.5"), D(90), None, D(2), D(6)]
    assert '"Audit passed" has no data yet, so the total waits until it arrives.' in render(result.steps)


@S94
def test_an_adjustment_without_data_follows_its_own_missing_policy():
    held = card(safety={"label": "Safety", "rule": VetoRule(), "missing": MissingPolicy.incomplete})
    assert roll_up(held).status == "incomplete"
    ignored = roll_up(card(safety={"label": "Safety", "rule": VetoRule()}))
    assert ignored.total == D(90)
    assert '"Safety" has no data, so it does not change the total.' in render(ignored.steps)


@S94
def test_a_scorecard_with_no_weighted_data_at_all_has_no_total_yet():
    result = roll_up([Item(code="a", label="A", rule=ON_TIME, weight=D(100))])
    assert (result.total, result.status) == (None, "incomplete")
    assert render(result.steps).endswith("No weighted item has data yet: there is no total to compute.")


@S94
def test_weights_that_do_not_add_up_to_100_are_refused_with_their_sum():
    items = card()
    items[2] = Item(code="audit", label="Audit passed", rule=YesNoRule(), actual="yes", weight=D(20))
    with pytest.raises(ScoringError) as caught:
        roll_up(items)
    assert str(caught.value) == (
        "The weights add up to 90%, not 100%: change them so that they add up to exactly 100%."
    )


@S94
def test_weights_are_required_on_weighted_items_and_refused_on_adjustments():
    with pytest.raises(ScoringError) as caught:
        roll_up(
            card(
                extra={"label": "Innovation", "rule": BonusRule(points=D(1), max_points=D(3)), "weight": D(5)}
            )
        )
    assert caught.value.item == "extra"
    assert "is a bonus item: it acts on the total and carries no weight, so clear its weight of 5%" in str(
        caught.value
    )
    with pytest.raises(ScoringError, match="needs a weight above 0%"):
        roll_up([Item(code="a", label="A", rule=ON_TIME, actual=95), *card()])
    with pytest.raises(ScoringError, match="appears twice"):
        roll_up([*card(), card()[0]])


@S94
def test_a_bad_actual_in_a_scorecard_names_the_item():
    items = card(audit="perhaps")
    with pytest.raises(ScoringError) as caught:
        roll_up(items)
    assert caught.value.item == "audit"
    assert str(caught.value).startswith('audit: "perhaps" is not a yes/no answer')


@S94
def test_grades_come_from_the_table_including_the_exact_boundary_and_below_every_minimum():
    assert grade_for(D(95)).code == "A"
    assert grade_for(D("94.99")).code == "B"
    assert grade_for(D(110)).code == "S"
    table = GradeTable(
        grades=[
            Grade(code="优", min_score=D(90)),
            Grade(code="良", min_score=D(75)),
            Grade(code="差", min_score=D(50)),
        ]
    )
    assert grade_for(D(40), table).code == "差"
    assert roll_up(card(), table).grade == "优"  # 90 is where 优 starts
    sunk = roll_up(
        [
            Item(code="a", label="A", rule=YesNoRule(), actual="no", weight=D(100)),
            Item(code="p", label="P", rule=PenaltyRule(points=D(3), max_points=D(10)), actual=2),
        ]
    )
    assert (sunk.total, sunk.grade) == (D(-6), "D")
    assert render(sunk.steps).endswith("Total -6 is below every grade's minimum: grade D, the lowest.")


@S94
def test_combine_averages_known_scores_by_weight_under_each_missing_policy():
    parts = [("Sales", D(50), D(90)), ("Service", D(25), None), ("HR", D(25), D(70))]
    renorm = combine(parts)
    assert (renorm.total, renorm.weights) == (D("83.33"), [D("66.67"), None, D("33.33")])
    assert combine(parts, MissingPolicy.zero).total == D("62.5")
    held = combine(parts, MissingPolicy.incomplete)
    assert (held.total, held.status) == (None, "incomplete")
    with pytest.raises(ScoringError, match="add up to 75%"):
        combine(parts[:2])


# --- properties of the roll-up --------------------------------------------------------------


@st.composite
def scorecards(draw):
    n = draw(st.integers(1, 8))
    cuts = sorted(draw(st.sets(st.integers(1, 9999), min_size=n - 1, max_size=n - 1)))
    hundredths = [b - a for a, b in zip([0, *cuts], [*cuts, 10000], strict=True)]
    actuals = draw(st.lists(st.none() | dec(0, 100), min_size=n, max_size=n).filter(lambda a: any(a)))
    return [
        Item(code=f"k{i}", label=f"KPI {i}", rule=IDENTITY, actual=actual, weight=D(h) / 100)
        for i, (h, actual) in enumerate(zip(hundredths, actuals, strict=True))
    ]


@S94
@settings(deadline=None)
@given(items=scorecards())
def test_without_adjustments_the_total_lies_between_the_lowest_and_highest_item_score(items):
    result = roll_up(items)
    present = [r.score.value for r in result.items if r.score.value is not None]
    assert min(present) <= result.total <= max(present)
    assert sum(r.weight_used for r in result.items if r.weight_used is not None) == 100


@S94
@given(weights=st.lists(dec("0.01", 100), min_size=1, max_size=12))
def test_renormalised_weights_add_up_to_exactly_100_and_each_is_within_a_hundredth_of_exact(weights):
    scaled = renormalised(weights)
    assert sum(scaled) == 100
    total = sum(weights)
    for w, s in zip(weights, scaled, strict=True):
        assert abs(s - w * 100 / total) < D("0.01")
