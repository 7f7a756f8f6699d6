"""The metrics benchmark (bench/metrics_bench.py) at its quick size: the implementations agree.

``make bench`` runs the full size and prints the speed ratios; here only the agreement of the
engine, the hand-written SQL and both pandas versions is held, and the report's shape. Speed is
never asserted in tests (house rule): the ratios are printed, not checked.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from bench import metrics_bench as bench

pytestmark = pytest.mark.req("S7.2")


def run_quick(*extra: str) -> tuple[int, str]:
    out = io.StringIO()
    code = bench.main(["--quick", *extra], out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def quick() -> tuple[int, str]:
    return run_quick()


def test_the_engine_hand_written_sql_and_pandas_agree_on_every_metric_of_every_owner_month(
    quick: tuple[int, str],
) -> None:
    code, text = quick
    assert code == 0, text
    assert "DISAGREEMENT" not in text
    match = re.search(
        r"agreement: the engine, the hand-written SQL and both pandas versions give the same "
        r"([\d,]+) owner-months × 40 metrics",
        text,
    )
    assert match, text
    # 300 employees over 12 months: nearly every owner-month has events
    assert 3_000 < int(match[1].replace(",", "")) <= 3_600


def test_the_report_names_each_time_and_the_ratios_with_their_targets(quick: tuple[int, str]) -> None:
    _, text = quick
    for label in [
        "engine (Ibis→DuckDB)",
        "engine, query only",
        "hand-written SQL",
        "pandas",
        "pandas, tuned",
    ]:
        assert re.search(rf"^{re.escape(label)} +\d+\.\d\d s   peak RSS \d+\.\d\d GiB", text, re.M), label
    assert re.search(r"^engine ÷ hand-written SQL = \d+\.\d\d  \(target ≤ 1\.30\)", text, re.M)
    assert re.search(r"^pandas ÷ engine = \d+\.\d  \(target ≥ 5\)", text, re.M)
    assert re.search(r"^peak memory \d+\.\d\d GiB \(target < 4\.00 GiB\)", text, re.M)
    # at the quick size start-up costs dominate, so targets are reported but never fail the run
    assert "MISSED" not in text


def test_a_hand_written_query_or_pandas_code_with_other_null_semantics_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # greatest() skips nulls, so a net FCR appears where a rate has none; a pandas "not in"
    # that counts missing channels inflates the digital tickets
    careful = "CASE WHEN fcr_rate IS NULL OR escalation_rate IS NULL THEN NULL\n            ELSE greatest(fcr_rate - escalation_rate, 0) END"
    assert careful in bench.HAND_SQL
    monkeypatch.setattr(
        bench, "HAND_SQL", bench.HAND_SQL.replace(careful, "greatest(fcr_rate - escalation_rate, 0)")
    )
    monkeypatch.setattr(bench, "_is_not", lambda series, *values: ~series.isin(values))
    code, text = run_quick()
    assert code == 1
    assert re.search(
        r"^  net_fcr: \d+ of [\d]+ values differ, .*: engine null, hand-written SQL 0", text, re.M
    )
    assert re.search(r"^  digital_tickets: \d+ of \d+ values differ, .*, pandas \d", text, re.M)
    assert re.search(r"^  digital_tickets: \d+ of \d+ values differ, .*, pandas, tuned \d", text, re.M)


def test_a_missed_target_fails_the_run_unless_targets_are_only_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a target no run can meet, so that the outcome does not depend on the machine's speed
    monkeypatch.setattr(bench, "TARGET_MEMORY", 0)
    out = io.StringIO()
    code = bench.main(["--employees", "50", "--events", "3000", "--repeat", "1"], out=out)
    assert code == 2
    assert re.search(r"^peak memory .* \(target < 0\.00 GiB\)  MISSED$", out.getvalue(), re.M)
    code = bench.main(["--employees", "50", "--events", "3000", "--repeat", "1", "--no-targets"], out=out)
    assert code == 0


def result(values: list[float], owners: list[int] | None = None) -> bench.Result:
    owner = np.array(owners or list(range(1, len(values) + 1)), dtype=np.int64)
    month = np.array(["2026-01-01"] * len(owner), dtype="datetime64[D]")
    return bench.Result(owner, month, {"m": np.array(values, dtype=np.float64)})


def test_the_comparison_tolerates_summation_order_but_not_a_different_value_or_row() -> None:
    base = result([100.0, float("nan"), 0.0])
    assert bench.compare(base, result([100.0 * (1 + 1e-12), float("nan"), 1e-12]), ["m"], ("a", "b")) == []
    [off] = bench.compare(base, result([100.0001, float("nan"), 0.0]), ["m"], ("a", "b"))
    assert off.startswith("m: 1 of 3 values differ, e.g. owner 1 month 2026-01-01: a 100, b 100.0001")
    [null] = bench.compare(base, result([100.0, 0.0, 0.0]), ["m"], ("a", "b"))
    assert "owner 2" in null and "a null, b 0" in null
    [rows] = bench.compare(base, result([100.0, float("nan"), 0.0], owners=[1, 2, 4]), ["m"], ("a", "b"))
    assert rows.startswith("rows differ: a has 3, b has 3; 1 only in a")


def test_a_metric_without_values_cannot_pass_for_agreement() -> None:
    assert bench.coverage(result([1.0, 2.0, float("nan")]), ["m"]) == []
    [empty] = bench.coverage(result([float("nan")] * 3), ["m"])
    assert empty.startswith("m: only 0 of 3 rows have a value")
    assert bench.coverage(result([5.0, 5.0, 5.0]), ["m"])


def test_the_same_seed_generates_the_same_data(tmp_path: Path) -> None:
    first, second, other = (tmp_path / name for name in ("a", "b", "c"))
    for directory, seed in ((first, 1), (second, 1), (other, 2)):
        directory.mkdir()
        counts = bench.generate(directory, employees=20, events=2_000, seed=seed)
    assert sum(counts.values()) == 2_000 and set(counts) == set(bench.TIME_COLUMNS)
    for source in bench.TIME_COLUMNS:
        assert pq.read_table(first / f"{source}.parquet").equals(pq.read_table(second / f"{source}.parquet"))
    assert not pq.read_table(first / "orders.parquet").equals(pq.read_table(other / "orders.parquet"))
