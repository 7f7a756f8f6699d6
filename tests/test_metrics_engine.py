"""The metrics engine's pure core: spec validation, compilation to Ibis, hand-computed results.

Data (UTC) — tickets.csv:
  id opened_at            dept owner customer status contacts hours
  1  2026-01-05 09:00     OPS  alice C1       closed 1        2
  2  2026-01-10 10:00     OPS  alice C2       closed 2        4
  3  2026-01-20 11:00     OPS  bob   C1       open   1        6
  4  2026-01-31 23:30     FIN  carol C3       closed 1        8   (February in Asia/Shanghai)
  5  2026-02-03 08:00     OPS  alice C1       closed 3        10
  6  2026-02-14 12:00     OPS  bob   C2       closed 1        1
  7  2026-03-02 09:00     FIN  carol C3       open   —        3
  8  2026-04-01 09:00     OPS  alice C1       closed 1        5
surveys.parquet (all 2026-01-15, tz-aware): scores 9,10,9,10,10 (promoters), 7,8 (passives),
0,5,6 (detractors) and one unanswered; csat 5,4,4,3,2,5,1,4,3,5 and one unanswered;
customers C1 for rows 1–5 and the unanswered one, C2 for rows 6–10.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from northstar.errors import ValidationFailed
from northstar.metrics.compiler import MetricRequest, compile_request, compute, periods
from northstar.metrics.engines import connect_duckdb
from northstar.metrics.lineage import row_filters, source_rows
from northstar.metrics.spec import MetricSpec, load_spec, spec_json_schema

TICKETS = """id,opened_at,dept,owner,customer,status,contacts,hours
1,2026-01-05 09:00:00,OPS,alice,C1,closed,1,2.0
2,2026-01-10 10:00:00,OPS,alice,C2,closed,2,4.0
3,2026-01-20 11:00:00,OPS,bob,C1,open,1,6.0
4,2026-01-31 23:30:00,FIN,carol,C3,closed,1,8.0
5,2026-02-03 08:00:00,OPS,alice,C1,closed,3,10.0
6,2026-02-14 12:00:00,OPS,bob,C2,closed,1,1.0
7,2026-03-02 09:00:00,FIN,carol,C3,open,,3.0
8,2026-04-01 09:00:00,OPS,alice,C1,closed,1,5.0
"""

SPEC = """
version: "1"
timezone: UTC
sources:
  tickets:
    file: tickets.csv
    time_column: opened_at
    key: [id]
    dimensions: {department: dept, owner: owner, customer: customer}
  surveys:
    file: surveys.parquet
    time_column: answered_at
    dimensions: {customer: customer_id, department: dept}
measures:
  tickets: {source: tickets, agg: count}
  closed: {source: tickets, agg: count, where: [{column: status, op: eq, value: closed}]}
  fcr: {source: tickets, agg: count, where: [{column: status, op: eq, value: closed},
                                             {column: contacts, op: eq, value: 1}]}
  customers: {source: tickets, agg: count_distinct, column: customer}
  hours_sum: {source: tickets, agg: sum, column: hours}
  hours_avg: {source: tickets, agg: avg, column: hours}
  hours_min: {source: tickets, agg: min, column: hours}
  hours_max: {source: tickets, agg: max, column: hours}
  hours_median: {source: tickets, agg: median, column: hours}
  hours_p75: {source: tickets, agg: percentile, column: hours, q: 0.75}
  responses: {source: surveys, agg: count}
metrics:
  tickets: {type: simple, measure: tickets, unit: count}
  closed: {type: simple, measure: closed}
  customers: {type: simple, measure: customers}
  hours_sum: {type: simple, measure: hours_sum}
  hours_avg: {type: simple, measure: hours_avg}
  hours_min: {type: simple, measure: hours_min}
  hours_max: {type: simple, measure: hours_max}
  hours_median: {type: simple, measure: hours_median}
  hours_p75: {type: simple, measure: hours_p75}
  fcr_rate: {type: ratio, numerator: fcr, denominator: closed, scale: 100, unit: percent}
  closed_per_response: {type: ratio, numerator: closed, denominator: responses}
  open_share: {type: derived, formula: "(tickets - closed) / tickets × 100%"}
  open_plus_fcr: {type: derived, formula: "open_share + fcr_rate"}
  nps: {type: nps, source: surveys, column: score}
  csat: {type: csat, source: surveys, column: csat}
"""


def write_data(directory: Path) -> Path:
    """Write tickets.csv and surveys.parquet (the module docstring's data) into ``directory``."""
    (directory / "tickets.csv").write_text(TICKETS)
    answered = datetime(2026, 1, 15, 10, tzinfo=UTC)
    surveys = pa.table(
        {
            "answered_at": pa.array([answered] * 11, pa.timestamp("us", tz="UTC")),
            "customer_id": ["C1"] * 5 + ["C2"] * 5 + ["C1"],
            "dept": ["OPS"] * 11,
            "score": pa.array([9, 10, 9, 10, 10, 7, 8, 0, 5, 6, None], pa.int64()),
            "csat": pa.array([5, 4, 4, 3, 2, 5, 1, 4, 3, 5, None], pa.int64()),
        }
    )
    pq.write_table(surveys, directory / "surveys.parquet")
    return directory


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_data(tmp_path)


def run(data_dir: Path, spec: MetricSpec, metrics: list[str], **request: Any) -> list[dict[str, Any]]:
    con = connect_duckdb(spec, base_dir=data_dir)
    request.setdefault("start", date(2026, 1, 1))
    request.setdefault("end", date(2026, 4, 1))
    return compute(con, spec, MetricRequest(metrics=metrics, **request)).to_pylist()


def values(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], Any]:
    """(key values…, metric) → value, with floats rounded to 4 places."""
    return {
        (*(r[k] for k in keys), r["metric"]): None if r["value"] is None else round(r["value"], 4)
        for r in rows
    }


def problems(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    """field → the rendered message of every problem."""
    return {p.field or "": p.message.format(**p.params) for p in exc.value.problems}


def spec_with(**changes: Any) -> dict[str, Any]:
    """The test spec as a mapping, with sections replaced or extended by ``changes``."""
    import yaml

    data = copy.deepcopy(yaml.safe_load(SPEC))
    for section, entries in changes.items():
        data[section].update(entries)
    return data


JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


# -- every metric kind, hand-computed ------------------------------------------------------------


@pytest.mark.req("S7.2")
def test_counts_sums_averages_extremes_medians_and_percentiles_match_hand_computed_values(
    data_dir: Path,
) -> None:
    spec = load_spec(SPEC)
    names = ["tickets", "customers", "hours_sum", "hours_avg", "hours_min", "hours_max"]
    names += ["hours_median", "hours_p75"]
    got = values(run(data_dir, spec, names), "period_start")
    # January: hours 2, 4, 6, 8; February: 10, 1; March: 3 (April is outside the range)
    expected = {
        JAN: [4, 3, 20.0, 5.0, 2.0, 8.0, 5.0, 6.5],
        FEB: [2, 2, 11.0, 5.5, 1.0, 10.0, 5.5, 7.75],
        MAR: [1, 1, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0],
    }
    assert got == {(p, n): v for p, vs in expected.items() for n, v in zip(names, vs, strict=True)}


@pytest.mark.req("S7.2")
def test_percentiles_of_one_column_share_one_aggregate_per_filter_with_each_value_its_own(
    data_dir: Path,
) -> None:
    data = spec_with(
        measures={
            "hours_p25": {"source": "tickets", "agg": "percentile", "column": "hours", "q": 0.25},
            "closed_median": {
                "source": "tickets", "agg": "median", "column": "hours",
                "where": [{"column": "status", "op": "eq", "value": "closed"}],
            },
            "closed_p75": {
                "source": "tickets", "agg": "percentile", "column": "hours", "q": 0.75,
                "where": [{"column": "status", "op": "eq", "value": "closed"}],
            },
        },
        metrics={
            name: {"type": "simple", "measure": name}
            for name in ["hours_p25", "closed_median", "closed_p75"]
        },
    )  # fmt: skip
    spec = MetricSpec.model_validate(data)
    names = ["hours_median", "hours_p75", "hours_p25", "closed_median", "closed_p75"]
    con = connect_duckdb(spec, base_dir=data_dir)
    request = MetricRequest(metrics=names, start=date(2026, 1, 1), end=date(2026, 4, 1))
    sql = str(con.compile(compile_request(con, spec, request))).upper()
    # three percentiles of every ticket's hours in one aggregate, two of closed tickets' in another
    assert sql.count("QUANTILE_CONT(") == 2
    got = values(compute(con, spec, request).to_pylist(), "period_start")
    # January: hours 2, 4, 6, 8 (closed: 2, 4, 8); February: 10, 1 (both closed); March: 3 (open)
    expected = {
        JAN: [5.0, 6.5, 3.5, 4.0, 6.0],
        FEB: [5.5, 7.75, 3.25, 5.5, 7.75],
        MAR: [3.0, 3.0, 3.0, None, None],
    }
    assert got == {(p, n): v for p, vs in expected.items() for n, v in zip(names, vs, strict=True)}


@pytest.mark.req("S7.2", "S7.3")
def test_a_ratio_is_sum_over_sum_with_its_parts_and_null_on_a_zero_denominator(data_dir: Path) -> None:
    rows = run(data_dir, load_spec(SPEC), ["fcr_rate"])
    got = {r["period_start"]: (r["value"], r["numerator"], r["denominator"]) for r in rows}
    assert got[JAN][1:] == (2, 3) and got[JAN][0] == pytest.approx(200 / 3)
    assert got[FEB] == (50.0, 1, 2)
    # March has one open ticket and nothing closed: no rate rather than a division by zero
    assert got[MAR] == (None, 0, 0)


@pytest.mark.req("S7.2", "S7.3")
def test_rolling_owner_ratios_up_from_numerators_and_denominators_gives_the_enterprise_ratio(
    data_dir: Path,
) -> None:
    spec = load_spec(SPEC)
    by_owner = [
        r for r in run(data_dir, spec, ["fcr_rate"], dimensions=["owner"]) if r["period_start"] == JAN
    ]
    assert {r["owner"]: r["value"] for r in by_owner} == {"alice": 50.0, "bob": None, "carol": 100.0}
    total = run(data_dir, spec, ["fcr_rate"])[0]
    rolled = 100 * sum(r["numerator"] for r in by_owner) / sum(r["denominator"] for r in by_owner)
    assert rolled == pytest.approx(total["value"]) == pytest.approx(200 / 3)
    # the average of the owners' rates (75) would be wrong
    assert rolled != pytest.approx(75)


@pytest.mark.req("S7.2")
def test_a_ratio_across_two_sources_is_joined_on_the_common_dimension_with_missing_sides_as_zero(
    data_dir: Path,
) -> None:
    rows = run(data_dir, load_spec(SPEC), ["closed_per_response"], dimensions=["customer"], end=FEB)
    got = {r["customer"]: (r["value"], r["numerator"], r["denominator"]) for r in rows}
    assert got["C1"][1:] == (1, 6) and got["C1"][0] == pytest.approx(1 / 6)
    assert got["C2"] == (pytest.approx(0.2), 1, 5)
    assert got["C3"] == (None, 1, 0)


@pytest.mark.req("S7.2")
def test_derived_formulas_compute_column_wise_over_other_metrics_including_derived_ones(
    data_dir: Path,
) -> None:
    got = values(run(data_dir, load_spec(SPEC), ["open_share", "open_plus_fcr"]), "period_start")
    assert got == {
        (JAN, "open_share"): 25.0,
        (FEB, "open_share"): 0.0,
        (MAR, "open_share"): 100.0,
        (JAN, "open_plus_fcr"): round(25 + 200 / 3, 4),
        (FEB, "open_plus_fcr"): 50.0,
        # the ratio has no value in March, so neither does a formula using it
        (MAR, "open_plus_fcr"): None,
    }


@pytest.mark.req("S7.2", "S7.3")
def test_nps_is_promoters_minus_detractors_over_answers_and_csat_the_share_of_fours_and_fives(
    data_dir: Path,
) -> None:
    rows = run(data_dir, load_spec(SPEC), ["nps", "csat"], end=FEB)
    got = {r["metric"]: (r["value"], r["numerator"], r["denominator"]) for r in rows}
    # 5 promoters, 2 passives, 3 detractors, one unanswered survey left out: (5 - 3) / 10 = 20
    assert got["nps"] == (pytest.approx(20.0), 2, 10)
    # 6 of 10 answers are 4 or 5
    assert got["csat"] == (pytest.approx(60.0), 6, 10)


# -- filters -------------------------------------------------------------------------------------


FILTERS: list[tuple[dict[str, Any], int]] = [
    ({"column": "status", "op": "eq", "value": "closed"}, 6),
    ({"column": "status", "op": "ne", "value": "closed"}, 2),
    ({"column": "hours", "op": "lt", "value": 4}, 3),
    ({"column": "hours", "op": "le", "value": 4}, 4),
    ({"column": "hours", "op": "gt", "value": 6}, 2),
    ({"column": "hours", "op": "ge", "value": 6}, 3),
    ({"column": "owner", "op": "in", "value": ["alice", "carol"]}, 6),
    ({"column": "owner", "op": "not_in", "value": ["alice"]}, 4),
    ({"column": "contacts", "op": "is_null"}, 1),
    ({"column": "contacts", "op": "not_null"}, 7),
    ({"column": "hours", "op": "between", "value": [2, 5]}, 4),
    ({"column": "opened_at", "op": "ge", "value": "2026-02-01T00:00:00"}, 4),
]


@pytest.mark.req("S7.2")
@pytest.mark.parametrize(
    ("condition", "expected"), FILTERS, ids=[f"{f['op']}-{f['column']}" for f, _ in FILTERS]
)
def test_every_filter_operator_counts_the_rows_it_names(
    data_dir: Path, condition: dict[str, Any], expected: int
) -> None:
    spec = load_spec(
        spec_with(
            measures={"picked": {"source": "tickets", "agg": "count", "where": [condition]}},
            metrics={"picked": {"type": "simple", "measure": "picked"}},
        )
    )
    rows = run(data_dir, spec, ["picked"], grain="year", end=date(2027, 1, 1))
    assert [(r["period_start"], r["value"]) for r in rows] == [(date(2026, 1, 1), expected)]


# -- grains, time zone, dimensions --------------------------------------------------------------


@pytest.mark.req("S7.2")
def test_an_event_late_on_january_31_utc_falls_in_february_in_shanghai(data_dir: Path) -> None:
    utc = values(run(data_dir, load_spec(SPEC), ["tickets"], end=MAR), "period_start")
    shanghai = values(
        run(data_dir, load_spec(spec_with() | {"timezone": "Asia/Shanghai"}), ["tickets"], end=MAR),
        "period_start",
    )
    assert utc == {(JAN, "tickets"): 4, (FEB, "tickets"): 2}
    assert shanghai == {(JAN, "tickets"): 3, (FEB, "tickets"): 3}


@pytest.mark.req("S7.2")
def test_quarters_and_mondays_start_weeks_and_a_range_covers_whole_periods(data_dir: Path) -> None:
    spec = load_spec(SPEC)
    quarters = run(data_dir, spec, ["tickets"], grain="quarter", end=date(2026, 7, 1))
    assert [(r["period_start"], r["value"]) for r in quarters] == [(JAN, 7), (date(2026, 4, 1), 1)]
    # 7 January is a Wednesday: the range starts with the week of Monday 5 January;
    # the empty week of 12 January has no row
    weeks = run(data_dir, spec, ["tickets"], grain="week", start=date(2026, 1, 7), end=date(2026, 1, 26))
    assert [(r["period_start"], r["value"]) for r in weeks] == [(date(2026, 1, 5), 2), (date(2026, 1, 19), 1)]


def test_period_bounds_are_the_local_midnights_converted_to_utc() -> None:
    (jan,) = periods("month", JAN, FEB, "Asia/Shanghai")
    assert (jan.start, jan.utc_from, jan.utc_to) == (
        JAN,
        datetime(2025, 12, 31, 16),
        datetime(2026, 1, 31, 16),
    )


@pytest.mark.req("S7.2")
def test_values_are_sliced_by_several_dimensions_at_once(data_dir: Path) -> None:
    rows = run(data_dir, load_spec(SPEC), ["tickets", "closed"], dimensions=["department", "owner"], end=FEB)
    assert values(rows, "department", "owner") == {
        ("FIN", "carol", "tickets"): 1,
        ("FIN", "carol", "closed"): 1,
        ("OPS", "alice", "tickets"): 2,
        ("OPS", "alice", "closed"): 2,
        ("OPS", "bob", "tickets"): 1,
        ("OPS", "bob", "closed"): 0,
    }
    assert list(rows[0]) == [
        "department",
        "owner",
        "period_start",
        "metric",
        "value",
        "numerator",
        "denominator",
    ]


# -- bad specs and requests ---------------------------------------------------------------------


@pytest.mark.req("S7.2")
def test_an_unknown_filter_column_is_refused_naming_the_measure_and_the_column(data_dir: Path) -> None:
    spec = load_spec(
        spec_with(
            measures={
                "closed": {
                    "source": "tickets",
                    "agg": "count",
                    "where": [{"column": "statuz", "op": "eq", "value": "closed"}],
                }
            }
        )
    )
    with pytest.raises(ValidationFailed) as exc:
        run(data_dir, spec, ["closed"])
    message = problems(exc)["measures.closed.where[0].column"]
    assert message.startswith('measures.closed.where[0].column: the source has no column "statuz"')
    assert "status" in message


@pytest.mark.req("S7.2")
def test_an_unknown_measure_column_is_refused_naming_the_measure(data_dir: Path) -> None:
    spec = load_spec(
        spec_with(measures={"hours_sum": {"source": "tickets", "agg": "sum", "column": "hourz"}})
    )
    with pytest.raises(ValidationFailed) as exc:
        run(data_dir, spec, ["hours_sum"])
    assert 'no column "hourz"' in problems(exc)["measures.hours_sum.column"]


@pytest.mark.req("S7.2")
def test_a_filter_value_of_the_wrong_type_is_refused_before_any_query(data_dir: Path) -> None:
    spec = load_spec(
        spec_with(
            measures={
                "closed": {
                    "source": "tickets",
                    "agg": "count",
                    "where": [{"column": "hours", "op": "gt", "value": "many"}],
                }
            }
        )
    )
    with pytest.raises(ValidationFailed) as exc:
        run(data_dir, spec, ["closed"])
    assert "does not fit the column hours" in problems(exc)["measures.closed.where[0].value"]


def test_a_metric_naming_an_unknown_measure_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValidationFailed) as exc:
        load_spec(spec_with(metrics={"closed": {"type": "simple", "measure": "closd"}}))
    message = problems(exc)["metrics.closed.measure"]
    assert 'unknown measure "closd"' in message and "closed" in message.split("use one of:")[1]


def test_a_ratio_across_sources_without_a_common_dimension_is_refused() -> None:
    data = spec_with(
        metrics={"closed_per_response": {"type": "ratio", "numerator": "closed", "denominator": "responses"}}
    )
    data["sources"]["surveys"]["dimensions"] = {"region": "dept"}
    with pytest.raises(ValidationFailed) as exc:
        load_spec(data)
    assert "share no dimension" in problems(exc)["metrics.closed_per_response"]


def test_a_ratio_of_averages_is_refused_because_it_cannot_roll_up() -> None:
    with pytest.raises(ValidationFailed) as exc:
        load_spec(
            spec_with(metrics={"odd": {"type": "ratio", "numerator": "hours_avg", "denominator": "closed"}})
        )
    assert "must be count or sum measures (not avg)" in problems(exc)["metrics.odd.numerator"]


def test_derived_metrics_that_depend_on_each_other_are_refused_as_a_cycle() -> None:
    with pytest.raises(ValidationFailed) as exc:
        load_spec(
            spec_with(
                metrics={
                    "a": {"type": "derived", "formula": "b + 1"},
                    "b": {"type": "derived", "formula": "a * 2"},
                }
            )
        )
    (message,) = problems(exc).values()
    assert "cycle (a → b → a)" in message


def test_a_formula_naming_an_unknown_metric_is_refused_at_its_path() -> None:
    with pytest.raises(ValidationFailed) as exc:
        load_spec(spec_with(metrics={"x": {"type": "derived", "formula": "tickets / tickts"}}))
    assert 'names "tickts"' in problems(exc)["metrics.x.formula"]


def test_filter_operators_are_refused_without_the_value_they_need_or_with_one_they_do_not() -> None:
    where = [
        {"column": "status", "op": "eq"},
        {"column": "owner", "op": "in", "value": "alice"},
        {"column": "hours", "op": "between", "value": [1]},
        {"column": "contacts", "op": "is_null", "value": 1},
    ]
    with pytest.raises(ValidationFailed) as exc:
        load_spec(spec_with(measures={"m": {"source": "tickets", "agg": "count", "where": where}}))
    assert problems(exc) == {
        "measures.m.where[0].value": "measures.m.where[0].value: the operator eq needs a value; add value.",
        "measures.m.where[1].value": "measures.m.where[1].value: the operator in needs a non-empty list as value.",
        "measures.m.where[2].value": "measures.m.where[2].value: between needs a list of two values [low, high].",
        "measures.m.where[3].value": "measures.m.where[3].value: the operator is_null takes no value; remove value.",
    }


def test_unknown_sources_operators_time_zones_and_percentiles_without_q_are_refused() -> None:
    data = spec_with(measures={"m": {"source": "crm", "agg": "percentile", "column": "hours"}})
    data["timezone"] = "Mars/Olympus"
    with pytest.raises(ValidationFailed) as exc:
        load_spec(data)
    got = problems(exc)
    assert set(got) == {"timezone", "measures.m.source", "measures.m.q"}
    assert 'unknown source "crm"' in got["measures.m.source"]
    with pytest.raises(ValidationFailed) as exc:
        load_spec(
            spec_with(
                measures={
                    "m": {
                        "source": "tickets",
                        "agg": "count",
                        "where": [{"column": "x", "op": "like", "value": "a"}],
                    }
                }
            )
        )
    assert "measures.m.where[0].op" in problems(exc)


@pytest.mark.req("S7.2")
def test_a_dimension_a_source_does_not_declare_is_refused_for_the_metrics_that_read_it(
    data_dir: Path,
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        run(data_dir, load_spec(SPEC), ["nps", "tickets"], dimensions=["owner"])
    message = problems(exc)["dimensions"]
    assert 'nps reads source surveys, which does not declare the dimension "owner"' in message


def test_the_spec_has_a_published_json_schema_and_a_version_hash_that_follows_its_content() -> None:
    schema = spec_json_schema()
    assert schema["title"] == "Northstar metric spec"
    assert {"sources", "measures", "metrics", "grains", "timezone"} <= set(schema["properties"])
    assert "percentile" in str(schema) and "nps" in str(schema)
    spec = load_spec(SPEC)
    assert spec.version_hash() == load_spec(SPEC).version_hash()
    assert spec.version_hash() != load_spec(spec_with() | {"timezone": "Asia/Shanghai"}).version_hash()


# -- lineage: the rows behind a value -----------------------------------------------------------


@pytest.mark.req("S7.3")
def test_the_row_filter_of_a_ratio_returns_exactly_the_rows_its_numerator_and_denominator_count(
    data_dir: Path,
) -> None:
    spec = load_spec(spec_with() | {"timezone": "Asia/Shanghai"})
    con = connect_duckdb(spec, base_dir=data_dir)
    filters = row_filters(spec, "fcr_rate", grain="month", period_start=FEB, dimensions={"department": "FIN"})
    assert [f["part"] for f in filters] == ["numerator", "denominator"]
    numerator = filters[0]
    assert numerator["measure"] == "measures.fcr" and numerator["equals"] == {"dept": "FIN"}
    # February in Shanghai starts at 16:00 UTC on 31 January
    assert (numerator["utc_from"], numerator["utc_to"]) == ("2026-01-31T16:00:00", "2026-02-28T16:00:00")
    # ticket 4 (31 January 23:30 UTC) is carol's FIN ticket of February in Shanghai
    for f in filters:
        assert source_rows(con, spec, f).select("id").to_pyarrow()["id"].to_pylist() == [4]
    (row,) = [
        r
        for r in compute(
            con, spec, MetricRequest(metrics=["fcr_rate"], dimensions=["department"], start=FEB, end=MAR)
        ).to_pylist()
        if r["department"] == "FIN"
    ]
    assert (row["value"], row["numerator"], row["denominator"]) == (100.0, 1, 1)


@pytest.mark.req("S7.3")
def test_a_derived_metric_traces_to_the_parts_of_every_metric_it_uses(data_dir: Path) -> None:
    spec = load_spec(SPEC)
    con = connect_duckdb(spec, base_dir=data_dir)
    filters = row_filters(spec, "open_plus_fcr", grain="month", period_start=JAN, dimensions={})
    parts = [f["part"] for f in filters]
    assert parts == [
        "tickets.measure",
        "closed.measure",
        "fcr_rate.numerator",
        "fcr_rate.denominator",
    ]
    counts = [source_rows(con, spec, f).count().to_pyarrow().as_py() for f in filters]
    assert counts == [4, 3, 2, 3]


@pytest.mark.req("S7.3")
def test_nps_traces_to_its_answered_surveys(data_dir: Path) -> None:
    spec = load_spec(SPEC)
    con = connect_duckdb(spec, base_dir=data_dir)
    (answers,) = row_filters(spec, "nps", grain="month", period_start=JAN, dimensions={"customer": "C1"})
    assert answers["part"] == "answers" and answers["where"] == [
        {"column": "score", "op": "not_null", "value": None}
    ]
    assert source_rows(con, spec, answers).count().to_pyarrow().as_py() == 5


@pytest.mark.req("S7.2")
def test_formulas_use_min_max_abs_and_give_no_value_when_dividing_by_zero(data_dir: Path) -> None:
    spec = load_spec(
        spec_with(
            metrics={
                "clipped": {"type": "derived", "formula": "max(open_share, 10) + abs(0 - tickets)"},
                "floored": {"type": "derived", "formula": "min(closed, 1)"},
                "broken": {"type": "derived", "formula": "tickets ÷ (closed − closed)"},
            }
        )
    )
    got = values(run(data_dir, spec, ["clipped", "floored", "broken"]), "period_start")
    assert got == {
        (JAN, "clipped"): 29.0,
        (FEB, "clipped"): 12.0,
        (MAR, "clipped"): 101.0,
        (JAN, "floored"): 1.0,
        (FEB, "floored"): 1.0,
        (MAR, "floored"): 0.0,
        (JAN, "broken"): None,
        (FEB, "broken"): None,
        (MAR, "broken"): None,
    }


def test_a_request_for_an_unknown_metric_a_grain_not_offered_or_a_repeated_dimension_is_refused(
    data_dir: Path,
) -> None:
    spec = load_spec(spec_with() | {"grains": ["month"]})
    with pytest.raises(ValidationFailed) as exc:
        run(data_dir, spec, ["tickets", "tickts"], grain="week", dimensions=["owner", "owner"])
    got = problems(exc)
    assert 'unknown metric "tickts"' in got["metrics"]
    assert "does not offer the grain week" in got["grain"]
    assert "name each dimension once" in got["dimensions"]


@pytest.mark.req("S7.2", "S7.3")
def test_groups_count_every_member_towards_overlapping_groups_in_one_query(data_dir: Path) -> None:
    """A department subtree: ALL holds OPS and FIN, OPS-ONLY holds OPS; both from the same rows."""
    spec = load_spec(SPEC)
    groups = {"department": {"ALL": ["OPS", "FIN"], "OPS-ONLY": ["OPS"], "NONE": ["HR"]}}
    rows = run(
        data_dir,
        spec,
        ["tickets", "fcr_rate", "hours_median"],
        dimensions=["department"],
        groups=groups,
        end=FEB,
    )
    got = values(rows, "department")
    # January: OPS tickets 1, 2, 3 (hours 2, 4, 6; fcr 1 of 2 closed), FIN ticket 4 (8 h, fcr)
    assert got == {
        ("ALL", "tickets"): 4,
        ("ALL", "fcr_rate"): round(200 / 3, 4),
        ("ALL", "hours_median"): 5.0,
        ("OPS-ONLY", "tickets"): 3,
        ("OPS-ONLY", "fcr_rate"): 50.0,
        ("OPS-ONLY", "hours_median"): 4.0,
    }
    # the lineage of a group lists its members' rows
    (part,) = row_filters(
        spec, "tickets", grain="month", period_start=JAN, dimensions={"department": ["OPS", "FIN"]}
    )
    con = connect_duckdb(spec, base_dir=data_dir)
    ids = source_rows(con, spec, part).order_by("id").select("id").to_pyarrow()["id"].to_pylist()
    assert ids == [1, 2, 3, 4]


def test_groups_for_a_dimension_not_requested_are_refused(data_dir: Path) -> None:
    with pytest.raises(ValidationFailed) as exc:
        run(data_dir, load_spec(SPEC), ["tickets"], groups={"department": {"ALL": ["OPS"]}})
    assert "groups.department" in problems(exc)
