"""How many people a figure rests on (metrics/people.py): the counts the spec gains and the tally
of owners per slice and period, hand-checked; the scope rule "at least three people" rests on it."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from northstar.metrics import people
from northstar.metrics.spec import load_spec
from tests.test_metrics_engine import SPEC


@pytest.mark.req("S7.2", "S9.4")
def test_metrics_reading_the_same_rows_share_one_count_and_sources_without_an_owner_give_none():
    spec = load_spec(SPEC)
    widened, counts = people.with_people(
        spec, ["tickets", "closed", "hours_avg", "fcr_rate", "csat", "open_share"]
    )
    # tickets and hours_avg read every ticket: one count; fcr_rate reads the closed and the fcr rows
    assert counts["tickets"] == counts["hours_avg"] and len(counts["tickets"] or []) == 1
    assert len(counts["fcr_rate"] or []) == 2 and set(counts["fcr_rate"] or []).isdisjoint(
        counts["tickets"] or []
    )
    # a derived metric rests on the rows of the metrics it uses: every ticket and the closed ones
    assert set(counts["open_share"] or []) == set(counts["tickets"] or []) | set(counts["closed"] or [])
    assert set(counts["closed"] or []) < set(counts["fcr_rate"] or [])
    assert counts["csat"] is None  # surveys name no owner: nobody can be counted
    for name in counts["fcr_rate"] or []:
        assert name.startswith(people.PREFIX) and widened.metrics[name].type == "simple"
        assert widened.measures[name].agg == "count"
    assert set(spec.metrics) < set(widened.metrics)


@pytest.mark.req("S9.4")
def test_tally_counts_owners_with_rows_per_slice_period_and_count():
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    long = pa.table(
        {
            "customer": ["C1", "C1", "C1", "C1", "C2", "C2", "C1"],
            "owner": ["E1", "E2", "E3", None, "E1", "E1", "E2"],
            "period_start": [jan, jan, jan, jan, jan, feb, feb],
            "metric": ["n"] * 7,
            "value": [2.0, 1.0, 0.0, 5.0, 1.0, 3.0, 1.0],
        }
    )
    tallied = people.tally(long, ["customer"])
    # E3 has no row there (a count of 0), a row without an owner names nobody
    assert tallied == {("C1", jan, "n"): 2, ("C2", jan, "n"): 1, ("C2", feb, "n"): 1, ("C1", feb, "n"): 1}
    assert people.people([2, None, 3]) == 3
    assert people.people([]) == 0
    assert people.people(None) is None
