"""Spark parity (S7.6): the same specs and requests give the same numbers on DuckDB and on PySpark.

One local Spark session (``connect_pyspark``: local[2], UTC, no UI) serves the whole module; the
data and specs are those of tests/test_metrics_engine.py, whose hand-computed values pin DuckDB.
Rows must match exactly in their keys (dimensions, period, metric) and within 1e-9 in their
values, numerators and denominators.

Median and percentiles: Ibis compiles them to an exact percentile on both engines here, so they
are held to the same 1e-9 (see the last test).
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import ibis
import pytest

from northstar.errors import ValidationFailed
from northstar.metrics.compiler import MetricRequest, compute
from northstar.metrics.engines import connect, connect_duckdb, connect_pyspark
from northstar.metrics.lineage import row_filters, source_rows
from northstar.metrics.spec import load_spec
from tests.test_metrics_engine import FILTERS, SPEC, spec_with, write_data

pytestmark = [
    pytest.mark.req("S7.6"),
    # pandas 3 deprecations raised inside PySpark's and Ibis's own pandas conversions
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ibis"),
]

TOLERANCE = 1e-9
JAN, FEB, APR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 4, 1)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_data(tmp_path_factory.mktemp("parity"))


@pytest.fixture(scope="session")
def spark() -> Iterator[ibis.BaseBackend]:
    """One local Spark session for every parity test, stopped at the end."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.fail(
            "Spark parity (S7.6) needs a Java runtime and none was found (java on PATH or JAVA_HOME); "
            "install one, e.g. apt-get install openjdk-17-jre-headless (.ci/run does)"
        )
    con = connect_pyspark()
    yield con
    con._session.stop()


@pytest.fixture(scope="module")
def engines(spark: ibis.BaseBackend, data: Path) -> dict[str, ibis.BaseBackend]:
    """Both engines with the test files loaded under the sources' names."""
    spec = load_spec(SPEC)
    return {"duckdb": connect_duckdb(spec, base_dir=data), "pyspark": connect_pyspark(spec, base_dir=data)}


def both(
    engines: dict[str, ibis.BaseBackend], spec_data: Any, metrics: list[str], **request: Any
) -> list[dict[str, Any]]:
    """Run the request on both engines, assert that they agree, and return DuckDB's rows."""
    spec = load_spec(spec_data)
    request.setdefault("start", JAN)
    request.setdefault("end", APR)
    req = MetricRequest(metrics=metrics, **request)
    duck = _sorted(compute(engines["duckdb"], spec, req).to_pylist())
    spark = _sorted(compute(engines["pyspark"], spec, req).to_pylist())
    assert [_key(r) for r in spark] == [_key(r) for r in duck]
    for d, s in zip(duck, spark, strict=True):
        for column in ("value", "numerator", "denominator"):
            assert _close(d[column], s[column]), (_key(d), column, d[column], s[column])
    assert duck, "a parity case must compare some rows"
    return duck


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((k, v) for k, v in row.items() if k not in {"value", "numerator", "denominator"})


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: [str(v) for v in _key(r)])


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def test_counts_sums_averages_and_extremes_agree(engines: dict[str, ibis.BaseBackend]) -> None:
    rows = both(
        engines,
        SPEC,
        ["tickets", "closed", "customers", "hours_sum", "hours_avg", "hours_min", "hours_max"],
    )
    assert {(r["period_start"], r["metric"]): r["value"] for r in rows}[(FEB, "hours_avg")] == 5.5


def test_ratios_agree_including_a_zero_denominator_and_a_ratio_across_two_sources(
    engines: dict[str, ibis.BaseBackend],
) -> None:
    rows = both(engines, SPEC, ["fcr_rate"])
    assert [(r["value"], r["numerator"], r["denominator"]) for r in rows][-1] == (None, 0, 0)
    rows = both(engines, SPEC, ["closed_per_response"], dimensions=["customer"], end=FEB)
    assert {r["customer"]: r["value"] for r in rows}["C3"] is None


def test_derived_formulas_agree(engines: dict[str, ibis.BaseBackend]) -> None:
    spec = spec_with(
        metrics={
            "clipped": {"type": "derived", "formula": "max(open_share, 10) + abs(0 - tickets)"},
            "floored": {"type": "derived", "formula": "min(closed, 1)"},
            "broken": {"type": "derived", "formula": "tickets ÷ (closed − closed)"},
        }
    )
    rows = both(engines, spec, ["open_share", "open_plus_fcr", "clipped", "floored", "broken"])
    assert len(rows) == 15


def test_nps_and_csat_agree_overall_and_by_customer(engines: dict[str, ibis.BaseBackend]) -> None:
    rows = both(engines, SPEC, ["nps", "csat"], end=FEB)
    assert {r["metric"]: r["value"] for r in rows} == {"nps": 20.0, "csat": 60.0}
    both(engines, SPEC, ["nps", "csat"], dimensions=["customer"], end=FEB)


def test_every_filter_operator_agrees(engines: dict[str, ibis.BaseBackend]) -> None:
    measures = {
        f"picked_{i}": {"source": "tickets", "agg": "count", "where": [f]} for i, (f, _) in enumerate(FILTERS)
    }
    metrics = {name: {"type": "simple", "measure": name} for name in measures}
    rows = both(
        engines,
        spec_with(measures=measures, metrics=metrics),
        list(metrics),
        grain="year",
        end=date(2027, 1, 1),
    )
    assert [r["value"] for r in sorted(rows, key=lambda r: int(r["metric"].split("_")[1]))] == [
        n for _, n in FILTERS
    ]


@pytest.mark.parametrize("grain", ["week", "month", "quarter"])
def test_grains_in_the_shanghai_time_zone_agree(engines: dict[str, ibis.BaseBackend], grain: str) -> None:
    spec = spec_with() | {"timezone": "Asia/Shanghai"}
    rows = both(
        engines,
        spec,
        ["tickets", "fcr_rate", "hours_sum", "nps"],
        grain=grain,
        start=date(2026, 1, 7),
        end=date(2026, 4, 2),
    )
    if grain == "month":
        # ticket 4 (31 January 23:30 UTC) counts in February in Shanghai
        got = {r["period_start"]: r["value"] for r in rows if r["metric"] == "tickets"}
        assert (got[JAN], got[FEB]) == (3, 3)


def test_two_dimensions_at_once_agree(engines: dict[str, ibis.BaseBackend]) -> None:
    rows = both(
        engines, SPEC, ["tickets", "closed", "fcr_rate", "hours_avg"], dimensions=["department", "owner"]
    )
    assert {(r["department"], r["owner"]) for r in rows} == {
        ("FIN", "carol"),
        ("OPS", "alice"),
        ("OPS", "bob"),
    }


def test_medians_and_percentiles_agree(engines: dict[str, ibis.BaseBackend]) -> None:
    rows = both(engines, SPEC, ["hours_median", "hours_p75"])
    assert {(r["period_start"], r["metric"]): r["value"] for r in rows}[(FEB, "hours_p75")] == 7.75


def test_drill_down_rows_agree(engines: dict[str, ibis.BaseBackend]) -> None:
    spec = load_spec(spec_with() | {"timezone": "Asia/Shanghai"})
    filters = row_filters(spec, "fcr_rate", grain="month", period_start=FEB, dimensions={"department": "FIN"})
    for f in filters:
        ids = {
            name: sorted(source_rows(con, spec, f).select("id").to_pyarrow()["id"].to_pylist())
            for name, con in engines.items()
        }
        assert ids == {"duckdb": [4], "pyspark": [4]}


def test_the_engine_setting_chooses_the_engine_and_refuses_an_unknown_one(
    spark: ibis.BaseBackend, data: Path
) -> None:
    spec = load_spec(SPEC)
    assert connect("duckdb", spec, data).name == "duckdb"
    assert connect("pyspark", spec, data).name == "pyspark"
    with pytest.raises(ValidationFailed) as exc:
        connect("trino", spec, data)
    message = exc.value.message.format(**exc.value.params)
    assert (
        message
        == 'NORTHSTAR_METRICS_ENGINE: unknown metrics engine "trino"; set it to one of: duckdb, pyspark.'
    )


def test_groups_of_overlapping_members_agree(engines: dict[str, ibis.BaseBackend]) -> None:
    groups = {"department": {"ALL": ["OPS", "FIN"], "OPS-ONLY": ["OPS"]}}
    rows = both(engines, SPEC, ["tickets", "fcr_rate", "hours_avg"], dimensions=["department"], groups=groups)
    assert {r["department"] for r in rows} == {"ALL", "OPS-ONLY"}
