"""Metrics engine benchmark (S7.2): the engine against hand-written DuckDB SQL and against pandas.

``make bench`` runs it at the default size: a synthetic enterprise of 20,000 employees and 10
million events over the 12 months of 2026 in six Parquet sources (tickets, orders, surveys,
incidents, training records, production lots), generated with a seeded numpy generator into a
temporary directory. Forty metrics of every kind (count, count_distinct, sum, avg, min, max,
median, percentile, ratio, derived, NPS, CSAT; most with filters) are computed by owner × month
in the spec's time zone (Asia/Shanghai) in the same process by:

- the engine: ``compute(connect_duckdb(spec, base_dir=dir), spec, MetricRequest(...))``, Ibis over
  DuckDB, returning its long table (owner, period_start, metric, value, numerator, denominator):
  9.6 million rows at the default size;
- hand-written SQL: what an analyst writes for DuckDB, one ``GROUP BY owner, month`` per source
  with ``FILTER`` clauses, full-outer-joined, the metrics computed over the joined counts, and
  the wide result (one row per owner-month, one column per metric) fetched as Arrow;
- pandas: the straightforward way, for each measure the rows its filter keeps, grouped by owner
  and month (``read_parquet``, boolean indexing, ``groupby``), the parts concatenated.

Two more phases are timed for information, without targets: "engine, query only" is the
engine's own query (``compile_request(...).to_pyarrow()``, the wide table before ``compute``
makes it long), which tells the query from the reshaping; "pandas, tuned" is one
``groupby().agg`` per source over masked helper columns, which shows how much the pandas ratio
owes to the way the pandas code is written.

None of the SQL or pandas code is generated from the spec. The engine, the SQL and both pandas
versions must give the same rows and the same value for every (owner, month, metric) within
1e-9 relative (floating sums differ only in their order of addition), and every metric must
have values in at least a tenth of the rows, so that agreement cannot come from nulls alone.

Timing: generating the data and converting each result to a common form for the comparison are
not timed; everything else is: each run opens its own connection (pandas starts from nothing),
reads the same Parquet files and produces its whole result in memory. Every phase runs
``--repeat`` times (5 by default) in rounds of all the phases, alternately forwards and
backwards, so that drift and other load on the machine hit all alike and no phase always runs
after the same one (what it inherits, memory an allocator kept or gave back, matters at this
size); the best time counts. Every run's time is printed too, with the machine's load average
before and after, since other processes may share the two cores. Peak memory is the process's
peak resident set during a phase, read from the kernel's high-water mark (VmHWM, reset before
each run through /proc/self/clear_refs) or, where that reset is refused, sampled from VmRSS
every 5 ms; both the absolute peak and the rise above the phase's start are printed.

Targets, at the default size on the 2-core reference machine: engine ≤ 1.3 × hand-written SQL,
pandas ≥ 5 × engine, and the engine phase's peak resident memory under 4 GiB.

Exit status: 1 when the implementations disagree (always checked), 2 when a target is missed, 0
otherwise. ``--no-targets`` reports the targets without failing; so does ``--quick`` (300
employees, 60,000 events, one run), where start-up costs dominate; the test suite runs it to
keep the agreement check honest.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from northstar.metrics.compiler import MetricRequest, compile_request, compute
from northstar.metrics.engines import connect_duckdb
from northstar.metrics.spec import MetricSpec, load_spec

TIMEZONE = "Asia/Shanghai"
START, END = date(2026, 1, 1), date(2027, 1, 1)
#: the range's local midnights as naive UTC instants, the form the Parquet timestamps take
LO = datetime(2026, 1, 1, tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC).replace(tzinfo=None)
HI = datetime(2027, 1, 1, tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC).replace(tzinfo=None)
#: the hand-written SQL and pandas shift UTC by a fixed offset, right because Shanghai has no DST
OFFSET_HOURS = 8
#: events are spread a week beyond both ends of the range, so that the range filter has work
SPREAD = (datetime(2025, 12, 24), datetime(2027, 1, 8))

SHARES = {"tickets": 0.30, "orders": 0.25, "surveys": 0.12, "incidents": 0.08, "training": 0.10, "lots": 0.15}
TIME_COLUMNS = {
    "tickets": "opened_at",
    "orders": "ordered_at",
    "surveys": "answered_at",
    "incidents": "reported_at",
    "training": "completed_at",
    "lots": "produced_at",
}
KEYS = {
    "tickets": "ticket_id",
    "orders": "order_id",
    "surveys": "survey_id",
    "incidents": "incident_id",
    "training": "record_id",
    "lots": "lot_id",
}
DEPARTMENTS = 60
CUSTOMERS = 50_000
COURSES = 400

TARGET_VS_SQL = 1.3
TARGET_VS_PANDAS = 5.0
TARGET_MEMORY = 4 * 2**30
TOLERANCE = 1e-9

DEFAULT_EMPLOYEES, DEFAULT_EVENTS = 20_000, 10_000_000
QUICK_EMPLOYEES, QUICK_EVENTS = 300, 60_000


# -- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _People:
    weights: np.ndarray  # how busy each employee is (sums to 1)
    dept: np.ndarray  # each employee's department index
    customers: np.ndarray  # how often each customer comes back (sums to 1)


def generate(directory: Path, employees: int, events: int, seed: int) -> dict[str, int]:
    """Write the six sources as Parquet files into ``directory``; return their row counts."""
    rng = np.random.default_rng(seed)
    people = _People(
        weights=_normalised(rng.gamma(2.0, size=employees)),
        dept=rng.integers(0, DEPARTMENTS, size=employees),
        customers=_normalised(rng.gamma(0.7, size=CUSTOMERS)),
    )
    names = list(SHARES)
    counts = {name: int(events * SHARES[name]) for name in names}
    counts[names[0]] += events - sum(counts.values())
    builders: dict[str, Callable[[np.random.Generator, int], dict[str, pa.Array]]] = {
        "tickets": _tickets,
        "orders": _orders,
        "surveys": _surveys,
        "incidents": _incidents,
        "training": _training,
        "lots": _lots,
    }
    for name in names:
        n = counts[name]
        columns = _common(rng, n, people, name)
        columns.update(builders[name](rng, n))
        pq.write_table(pa.table(columns), directory / f"{name}.parquet")
    return counts


def _normalised(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _common(rng: np.random.Generator, n: int, people: _People, source: str) -> dict[str, pa.Array]:
    low, high = (int(np.datetime64(t, "us").astype(np.int64)) for t in SPREAD)
    # event logs are appended in time order
    stamps = np.sort(rng.integers(low, high, size=n)).astype("datetime64[us]")
    owner = rng.choice(len(people.weights), size=n, p=people.weights)
    columns = {
        KEYS[source]: pa.array(np.arange(1, n + 1, dtype=np.int64)),
        TIME_COLUMNS[source]: pa.array(stamps),
        "owner_id": pa.array(owner.astype(np.int64) + 100_001),
        "dept_code": _labels([f"D{i:02d}" for i in range(DEPARTMENTS)], people.dept[owner]),
    }
    if source not in {"training", "lots"}:
        customer = rng.choice(CUSTOMERS, size=n, p=people.customers)
        columns["customer_id"] = pa.array(customer.astype(np.int64) + 1_000_001)
    return columns


def _labels(labels: list[str], codes: np.ndarray, nulls: np.ndarray | None = None) -> pa.Array:
    """Plain string column (not dictionary-typed) of ``labels[codes]``, null where ``nulls``."""
    return pc.take(pa.array(labels), pa.array(codes, mask=nulls))


def _pick(
    rng: np.random.Generator, labels: list[str], p: list[float], n: int, null_share: float = 0
) -> pa.Array:
    codes = rng.choice(len(labels), size=n, p=p)
    return _labels(labels, codes, _nulls(rng, n, null_share))


def _nulls(rng: np.random.Generator, n: int, share: float) -> np.ndarray | None:
    return rng.random(n) < share if share else None


CHANNELS = ["phone", "email", "chat", "web"]


def _tickets(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    return {
        "status": _pick(rng, ["closed", "open", "pending", "escalated"], [0.70, 0.13, 0.10, 0.07], n),
        "channel": _pick(rng, CHANNELS, [0.35, 0.30, 0.20, 0.15], n, null_share=0.02),
        "priority": _pick(rng, ["P1", "P2", "P3", "P4"], [0.05, 0.15, 0.45, 0.35], n),
        "contacts": pa.array(np.minimum(rng.geometric(0.55, size=n), 9), mask=_nulls(rng, n, 0.05)),
        "handle_hours": pa.array(np.round(rng.lognormal(1.0, 0.8, size=n), 2), mask=_nulls(rng, n, 0.03)),
    }


def _orders(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    amount = np.round(rng.lognormal(6.0, 1.0, size=n), 2)
    missing = rng.random(n) < 0.01
    return {
        "status": _pick(rng, ["delivered", "pending", "returned", "cancelled"], [0.80, 0.08, 0.07, 0.05], n),
        "amount": pa.array(amount, mask=missing),
        "margin": pa.array(np.round(amount * rng.uniform(0.05, 0.40, size=n), 2), mask=missing),
        "on_time": pa.array(rng.random(n) < 0.9),
        "items": pa.array(1 + rng.poisson(3, size=n)),
    }


def _surveys(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    nps_p = [0.02, 0.01, 0.02, 0.03, 0.03, 0.05, 0.07, 0.12, 0.20, 0.22, 0.23]
    return {
        "channel": _pick(rng, CHANNELS, [0.25, 0.35, 0.25, 0.15], n),
        "nps_score": pa.array(rng.choice(11, size=n, p=nps_p), mask=_nulls(rng, n, 0.08)),
        "csat": pa.array(
            1 + rng.choice(5, size=n, p=[0.05, 0.08, 0.17, 0.35, 0.35]), mask=_nulls(rng, n, 0.05)
        ),
        "effort": pa.array(
            1 + rng.choice(7, size=n, p=[0.3, 0.25, 0.18, 0.12, 0.08, 0.05, 0.02]), mask=_nulls(rng, n, 0.10)
        ),
    }


def _incidents(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    status_code = rng.choice(3, size=n, p=[0.85, 0.10, 0.05])
    status_null = rng.random(n) < 0.02
    resolved = (status_code == 0) & ~status_null
    return {
        "severity": _pick(rng, ["S1", "S2", "S3", "S4"], [0.03, 0.12, 0.40, 0.45], n),
        "status": _labels(["resolved", "open", "cancelled"], status_code, status_null),
        "resolve_hours": pa.array(np.round(rng.lognormal(2.0, 1.0, size=n), 2), mask=~resolved),
        "sla_breached": pa.array(rng.random(n) < 0.08),
    }


def _training(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    score = np.round(np.clip(rng.normal(75, 15, size=n), 0, 100), 1)
    missing = rng.random(n) < 0.04
    return {
        "course_id": pa.array(rng.integers(1, COURSES + 1, size=n)),
        "hours": pa.array(rng.integers(2, 33, size=n) / 4),
        "score": pa.array(score, mask=missing),
        "passed": pa.array((score >= 60) & ~missing),
        "mandatory": pa.array(rng.random(n) < 0.4),
    }


def _lots(rng: np.random.Generator, n: int) -> dict[str, pa.Array]:
    # one lot in a hundred is a test lot without units
    units = np.where(rng.random(n) < 0.01, 0, rng.poisson(400, size=n))
    return {
        "line_code": _pick(rng, [f"L{i:02d}" for i in range(1, 31)], [1 / 30] * 30, n),
        "units": pa.array(units),
        "defects": pa.array(rng.binomial(units, 0.002)),
        "scrap_kg": pa.array(np.round(rng.gamma(2.0, 5.0, size=n), 1), mask=_nulls(rng, n, 0.02)),
        "status": _pick(rng, ["released", "held", "rework"], [0.85, 0.05, 0.10], n),
    }


# -- the spec --------------------------------------------------------------------------------------


def _source(name: str, time_column: str, key: str, customers: bool = True) -> str:
    dimensions = "owner: owner_id, department: dept_code" + (", customer: customer_id" if customers else "")
    return f"  {name}: {{file: {name}.parquet, time_column: {time_column}, key: [{key}], dimensions: {{{dimensions}}}}}"


SPEC = f"""
version: bench
timezone: {TIMEZONE}
grains: [month]
sources:
{_source("tickets", "opened_at", "ticket_id")}
{_source("orders", "ordered_at", "order_id")}
{_source("surveys", "answered_at", "survey_id")}
{_source("incidents", "reported_at", "incident_id")}
{_source("training", "completed_at", "record_id", customers=False)}
{_source("lots", "produced_at", "lot_id", customers=False)}
measures:
  tickets: {{source: tickets, agg: count}}
  tickets_closed: {{source: tickets, agg: count, where: [{{column: status, op: eq, value: closed}}]}}
  fcr: {{source: tickets, agg: count, where: [{{column: status, op: eq, value: closed}},
                                           {{column: contacts, op: eq, value: 1}}]}}
  escalated: {{source: tickets, agg: count, where: [{{column: status, op: eq, value: escalated}}]}}
  ticket_customers: {{source: tickets, agg: count_distinct, column: customer_id}}
  avg_handle_hours: {{source: tickets, agg: avg, column: handle_hours,
                     where: [{{column: status, op: eq, value: closed}}]}}
  median_handle_hours: {{source: tickets, agg: median, column: handle_hours}}
  p90_handle_hours: {{source: tickets, agg: percentile, column: handle_hours, q: 0.9}}
  digital_tickets: {{source: tickets, agg: count,
                    where: [{{column: channel, op: not_in, value: [phone, email]}}]}}
  max_urgent_contacts: {{source: tickets, agg: max, column: contacts,
                        where: [{{column: priority, op: in, value: [P1, P2]}}]}}

  orders: {{source: orders, agg: count, where: [{{column: status, op: ne, value: cancelled}}]}}
  revenue: {{source: orders, agg: sum, column: amount,
            where: [{{column: status, op: in, value: [delivered, pending]}}]}}
  avg_order_value: {{source: orders, agg: avg, column: amount,
                    where: [{{column: status, op: eq, value: delivered}}]}}
  largest_small_order: {{source: orders, agg: max, column: amount,
                        where: [{{column: items, op: between, value: [1, 3]}}]}}
  smallest_order: {{source: orders, agg: min, column: amount,
                   where: [{{column: status, op: eq, value: delivered}}, {{column: amount, op: gt, value: 0}}]}}
  returned: {{source: orders, agg: count, where: [{{column: status, op: eq, value: returned}}]}}
  shipped: {{source: orders, agg: count, where: [{{column: status, op: in, value: [delivered, returned]}}]}}
  delivered: {{source: orders, agg: count, where: [{{column: status, op: eq, value: delivered}}]}}
  on_time_delivered: {{source: orders, agg: count, where: [{{column: status, op: eq, value: delivered}},
                                                         {{column: on_time, op: eq, value: true}}]}}
  delivered_margin: {{source: orders, agg: sum, column: margin,
                     where: [{{column: status, op: eq, value: delivered}}]}}
  delivered_amount: {{source: orders, agg: sum, column: amount,
                     where: [{{column: status, op: eq, value: delivered}}]}}
  order_customers: {{source: orders, agg: count_distinct, column: customer_id,
                    where: [{{column: status, op: ne, value: cancelled}}]}}

  responses: {{source: surveys, agg: count}}
  avg_effort: {{source: surveys, agg: avg, column: effort}}
  p25_effort: {{source: surveys, agg: percentile, column: effort, q: 0.25}}

  incidents: {{source: incidents, agg: count}}
  major_incidents: {{source: incidents, agg: count, where: [{{column: severity, op: in, value: [S1, S2]}}]}}
  breached: {{source: incidents, agg: count, where: [{{column: sla_breached, op: eq, value: true}}]}}
  mttr_hours: {{source: incidents, agg: avg, column: resolve_hours,
               where: [{{column: status, op: eq, value: resolved}}]}}
  p95_resolve_hours: {{source: incidents, agg: percentile, column: resolve_hours, q: 0.95}}

  training_records: {{source: training, agg: count}}
  training_hours: {{source: training, agg: sum, column: hours}}
  passed: {{source: training, agg: count, where: [{{column: passed, op: eq, value: true}}]}}
  avg_mandatory_score: {{source: training, agg: avg, column: score,
                        where: [{{column: mandatory, op: eq, value: true}}, {{column: score, op: ge, value: 0}}]}}
  courses: {{source: training, agg: count_distinct, column: course_id}}

  units_released: {{source: lots, agg: sum, column: units, where: [{{column: status, op: eq, value: released}}]}}
  units: {{source: lots, agg: sum, column: units}}
  defects: {{source: lots, agg: sum, column: defects}}
  scrap_kg: {{source: lots, agg: sum, column: scrap_kg, where: [{{column: status, op: ne, value: held}}]}}
  median_lot_size: {{source: lots, agg: median, column: units, where: [{{column: units, op: gt, value: 0}}]}}
metrics:
""" + "\n".join(
    f"  {name}: {{type: simple, measure: {name}}}"
    for name in [
        "tickets", "tickets_closed", "ticket_customers", "avg_handle_hours", "median_handle_hours",
        "p90_handle_hours", "digital_tickets", "max_urgent_contacts",
        "orders", "revenue", "avg_order_value", "largest_small_order", "smallest_order", "order_customers",
        "responses", "avg_effort", "p25_effort",
        "incidents", "major_incidents", "mttr_hours", "p95_resolve_hours",
        "training_hours", "avg_mandatory_score", "courses",
        "units_released", "scrap_kg", "median_lot_size",
    ]
) + """
  fcr_rate: {type: ratio, numerator: fcr, denominator: tickets_closed, scale: 100}
  escalation_rate: {type: ratio, numerator: escalated, denominator: tickets, scale: 100}
  return_rate: {type: ratio, numerator: returned, denominator: shipped, scale: 100}
  on_time_rate: {type: ratio, numerator: on_time_delivered, denominator: delivered, scale: 100}
  margin_rate: {type: ratio, numerator: delivered_margin, denominator: delivered_amount, scale: 100}
  sla_breach_rate: {type: ratio, numerator: breached, denominator: incidents, scale: 100}
  pass_rate: {type: ratio, numerator: passed, denominator: training_records, scale: 100}
  defect_ppm: {type: ratio, numerator: defects, denominator: units, scale: 1000000}
  nps: {type: nps, source: surveys, column: nps_score}
  csat: {type: csat, source: surveys, column: csat}
  service_index: {type: derived, formula: "(nps + csat) / 2"}
  revenue_per_ticket: {type: derived, formula: "revenue / tickets"}
  net_fcr: {type: derived, formula: "max(fcr_rate - escalation_rate, 0)"}
"""  # fmt: skip


def build_spec() -> MetricSpec:
    """Forty metrics over the six sources, of every kind the engine offers, most with filters."""
    return load_spec(SPEC)


# -- the implementations ---------------------------------------------------------------------------


def _request(spec: MetricSpec) -> MetricRequest:
    return MetricRequest(
        metrics=list(spec.metrics), dimensions=["owner"], grain="month", start=START, end=END
    )


def run_engine(directory: Path, spec: MetricSpec) -> pa.Table:
    """The engine's long result (owner, period_start, metric, value, numerator, denominator)."""
    con = connect_duckdb(spec, base_dir=directory)
    try:
        return compute(con, spec, _request(spec))
    finally:
        con.disconnect()


def run_engine_query(directory: Path, spec: MetricSpec) -> pa.Table:
    """The engine's query alone: its wide table, one row per owner-month, before it is made long."""
    con = connect_duckdb(spec, base_dir=directory)
    try:
        return compile_request(con, spec, _request(spec)).to_pyarrow()
    finally:
        con.disconnect()


HAND_SQL = """
WITH tickets AS (
    SELECT owner_id AS owner,
           CAST(date_trunc('month', opened_at + INTERVAL {offset} HOUR) AS DATE) AS month,
           count(*) AS tickets,
           count(*) FILTER (WHERE status = 'closed') AS tickets_closed,
           count(*) FILTER (WHERE status = 'closed' AND contacts = 1) AS fcr,
           count(*) FILTER (WHERE status = 'escalated') AS escalated,
           count(DISTINCT customer_id) AS ticket_customers,
           avg(handle_hours) FILTER (WHERE status = 'closed') AS avg_handle_hours,
           median(handle_hours) AS median_handle_hours,
           quantile_cont(handle_hours, 0.9) AS p90_handle_hours,
           count(*) FILTER (WHERE channel NOT IN ('phone', 'email')) AS digital_tickets,
           max(contacts) FILTER (WHERE priority IN ('P1', 'P2')) AS max_urgent_contacts
    FROM read_parquet('{dir}/tickets.parquet')
    WHERE opened_at >= TIMESTAMP '{lo}' AND opened_at < TIMESTAMP '{hi}'
    GROUP BY ALL
), orders AS (
    SELECT owner_id AS owner,
           CAST(date_trunc('month', ordered_at + INTERVAL {offset} HOUR) AS DATE) AS month,
           count(*) FILTER (WHERE status <> 'cancelled') AS orders,
           sum(amount) FILTER (WHERE status IN ('delivered', 'pending')) AS revenue,
           avg(amount) FILTER (WHERE status = 'delivered') AS avg_order_value,
           max(amount) FILTER (WHERE items BETWEEN 1 AND 3) AS largest_small_order,
           min(amount) FILTER (WHERE status = 'delivered' AND amount > 0) AS smallest_order,
           count(*) FILTER (WHERE status = 'returned') AS returned,
           count(*) FILTER (WHERE status IN ('delivered', 'returned')) AS shipped,
           count(*) FILTER (WHERE status = 'delivered') AS delivered,
           count(*) FILTER (WHERE status = 'delivered' AND on_time) AS on_time_delivered,
           sum(margin) FILTER (WHERE status = 'delivered') AS delivered_margin,
           sum(amount) FILTER (WHERE status = 'delivered') AS delivered_amount,
           count(DISTINCT customer_id) FILTER (WHERE status <> 'cancelled') AS order_customers
    FROM read_parquet('{dir}/orders.parquet')
    WHERE ordered_at >= TIMESTAMP '{lo}' AND ordered_at < TIMESTAMP '{hi}'
    GROUP BY ALL
), surveys AS (
    SELECT owner_id AS owner,
           CAST(date_trunc('month', answered_at + INTERVAL {offset} HOUR) AS DATE) AS month,
           count(*) AS responses,
           avg(effort) AS avg_effort,
           quantile_cont(effort, 0.25) AS p25_effort,
           count(*) FILTER (WHERE nps_score >= 9) AS promoters,
           count(*) FILTER (WHERE nps_score <= 6) AS detractors,
           count(nps_score) AS nps_answers,
           count(*) FILTER (WHERE csat >= 4) AS satisfied,
           count(csat) AS csat_answers
    FROM read_parquet('{dir}/surveys.parquet')
    WHERE answered_at >= TIMESTAMP '{lo}' AND answered_at < TIMESTAMP '{hi}'
    GROUP BY ALL
), incidents AS (
    SELECT owner_id AS owner,
           CAST(date_trunc('month', reported_at + INTERVAL {offset} HOUR) AS DATE) AS month,
           count(*) AS incidents,
           count(*) FILTER (WHERE severity IN ('S1', 'S2')) AS major_incidents,
           count(*) FILTER (WHERE sla_breached) AS breached,
           avg(resolve_hours) FILTER (WHERE status = 'resolved') AS mttr_hours,
           quantile_cont(resolve_hours, 0.95) AS p95_resolve_hours
    FROM read_parquet('{dir}/incidents.parquet')
    WHERE reported_at >= TIMESTAMP '{lo}' AND reported_at < TIMESTAMP '{hi}'
    GROUP BY ALL
), training AS (
    SELECT owner_id AS owner,
           CAST(date_trunc('month', completed_at + INTERVAL {offset} HOUR) AS DATE) AS month,
           count(*) AS training_records,
           sum(hours) AS training_hours,
           count(*) FILTER (WHERE passed) AS passed,
           avg(score) FILTER (WHERE mandatory AND score >= 0) AS avg_mandatory_score,
           count(DISTINCT course_id) AS courses
    FROM read_parquet('{dir}/training.parquet')
    WHERE completed_at >= TIMESTAMP '{lo}' AND completed_at < TIMESTAMP '{hi}'
    GROUP BY ALL
), lots AS (
    SELECT owner_id AS owner,
           CAST(date_trunc('month', produced_at + INTERVAL {offset} HOUR) AS DATE) AS month,
           sum(units) FILTER (WHERE status = 'released') AS units_released,
           sum(units) AS units,
           sum(defects) AS defects,
           sum(scrap_kg) FILTER (WHERE status <> 'held') AS scrap_kg,
           median(units) FILTER (WHERE units > 0) AS median_lot_size
    FROM read_parquet('{dir}/lots.parquet')
    WHERE produced_at >= TIMESTAMP '{lo}' AND produced_at < TIMESTAMP '{hi}'
    GROUP BY ALL
), joined AS (
    -- an owner-month missing from a source has counts of zero there, and no sums or averages
    SELECT owner, month,
           coalesce(tickets, 0) AS tickets,
           coalesce(tickets_closed, 0) AS tickets_closed,
           coalesce(fcr, 0) AS fcr,
           coalesce(escalated, 0) AS escalated,
           coalesce(ticket_customers, 0) AS ticket_customers,
           avg_handle_hours, median_handle_hours, p90_handle_hours,
           coalesce(digital_tickets, 0) AS digital_tickets,
           max_urgent_contacts,
           coalesce(orders, 0) AS orders,
           revenue, avg_order_value, largest_small_order, smallest_order,
           coalesce(returned, 0) AS returned,
           coalesce(shipped, 0) AS shipped,
           coalesce(delivered, 0) AS delivered,
           coalesce(on_time_delivered, 0) AS on_time_delivered,
           delivered_margin, delivered_amount,
           coalesce(order_customers, 0) AS order_customers,
           coalesce(responses, 0) AS responses,
           avg_effort, p25_effort,
           coalesce(promoters, 0) AS promoters,
           coalesce(detractors, 0) AS detractors,
           coalesce(nps_answers, 0) AS nps_answers,
           coalesce(satisfied, 0) AS satisfied,
           coalesce(csat_answers, 0) AS csat_answers,
           coalesce(incidents, 0) AS incidents,
           coalesce(major_incidents, 0) AS major_incidents,
           coalesce(breached, 0) AS breached,
           mttr_hours, p95_resolve_hours,
           coalesce(training_records, 0) AS training_records,
           training_hours,
           coalesce(passed, 0) AS passed,
           avg_mandatory_score,
           coalesce(courses, 0) AS courses,
           units_released, units, defects, scrap_kg, median_lot_size
    FROM tickets
    FULL JOIN orders USING (owner, month)
    FULL JOIN surveys USING (owner, month)
    FULL JOIN incidents USING (owner, month)
    FULL JOIN training USING (owner, month)
    FULL JOIN lots USING (owner, month)
), rates AS (
    SELECT *,
           100.0 * fcr / nullif(tickets_closed, 0) AS fcr_rate,
           100.0 * escalated / nullif(tickets, 0) AS escalation_rate,
           100.0 * returned / nullif(shipped, 0) AS return_rate,
           100.0 * on_time_delivered / nullif(delivered, 0) AS on_time_rate,
           100.0 * delivered_margin / nullif(delivered_amount, 0) AS margin_rate,
           100.0 * breached / nullif(incidents, 0) AS sla_breach_rate,
           100.0 * passed / nullif(training_records, 0) AS pass_rate,
           1e6 * defects / nullif(units, 0) AS defect_ppm,
           100.0 * (promoters - detractors) / nullif(nps_answers, 0) AS nps,
           100.0 * satisfied / nullif(csat_answers, 0) AS csat
    FROM joined
)
SELECT owner, month,
       tickets, tickets_closed, ticket_customers, avg_handle_hours, median_handle_hours,
       p90_handle_hours, digital_tickets, max_urgent_contacts,
       orders, revenue, avg_order_value, largest_small_order, smallest_order, order_customers,
       responses, avg_effort, p25_effort,
       incidents, major_incidents, mttr_hours, p95_resolve_hours,
       training_hours, avg_mandatory_score, courses,
       units_released, scrap_kg, median_lot_size,
       fcr_rate, escalation_rate, return_rate, on_time_rate, margin_rate, sla_breach_rate,
       pass_rate, defect_ppm, nps, csat,
       (nps + csat) / 2 AS service_index,
       revenue / nullif(tickets, 0) AS revenue_per_ticket,
       -- greatest() skips nulls; the metric has no value when either rate has none
       CASE WHEN fcr_rate IS NULL OR escalation_rate IS NULL THEN NULL
            ELSE greatest(fcr_rate - escalation_rate, 0) END AS net_fcr
FROM rates
ORDER BY owner, month
"""


def run_sql(directory: Path) -> pa.Table:
    """The hand-written query's wide result: owner, month and one column per metric."""
    sql = HAND_SQL.format(dir=directory, offset=OFFSET_HOURS, lo=LO.isoformat(" "), hi=HI.isoformat(" "))
    con = duckdb.connect()
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def _read(directory: Path, source: str, columns: list[str]) -> pd.DataFrame:
    """One source's rows in the range, with the local month of each."""
    time_column = TIME_COLUMNS[source]
    frame = pd.read_parquet(directory / f"{source}.parquet", columns=[time_column, "owner_id", *columns])
    stamp = frame[time_column]
    frame = frame[(stamp >= LO) & (stamp < HI)]
    frame["month"] = (frame[time_column] + pd.Timedelta(hours=OFFSET_HOURS)).dt.to_period("M")
    return frame


def _is(series: pd.Series, *values: Any) -> pd.Series:
    return series.isin(values)


def _is_not(series: pd.Series, *values: Any) -> pd.Series:
    # SQL semantics: a missing value is neither equal nor unequal to anything
    return series.notna() & ~series.isin(values)


COUNTS = [
    "tickets", "tickets_closed", "fcr", "escalated", "ticket_customers", "digital_tickets",
    "orders", "returned", "shipped", "delivered", "on_time_delivered", "order_customers",
    "responses", "promoters", "detractors", "nps_answers", "satisfied", "csat_answers",
    "incidents", "major_incidents", "breached", "training_records", "passed", "courses",
]  # fmt: skip


def _pandas_metrics(w: pd.DataFrame) -> pd.DataFrame:
    """The metrics from the measures of every (owner, month) that any source has rows for."""
    # an owner-month missing from a source has counts of zero there, and no sums or averages
    w[COUNTS] = w[COUNTS].fillna(0)

    def rate(num: str, den: str, scale: float) -> pd.Series:
        return scale * w[num] / w[den].where(w[den] != 0)

    w["fcr_rate"] = rate("fcr", "tickets_closed", 100)
    w["escalation_rate"] = rate("escalated", "tickets", 100)
    w["return_rate"] = rate("returned", "shipped", 100)
    w["on_time_rate"] = rate("on_time_delivered", "delivered", 100)
    w["margin_rate"] = rate("delivered_margin", "delivered_amount", 100)
    w["sla_breach_rate"] = rate("breached", "incidents", 100)
    w["pass_rate"] = rate("passed", "training_records", 100)
    w["defect_ppm"] = rate("defects", "units", 1e6)
    w["nps"] = 100 * (w["promoters"] - w["detractors"]) / w["nps_answers"].where(w["nps_answers"] != 0)
    w["csat"] = rate("satisfied", "csat_answers", 100)
    w["service_index"] = (w["nps"] + w["csat"]) / 2
    w["revenue_per_ticket"] = w["revenue"] / w["tickets"].where(w["tickets"] != 0)
    w["net_fcr"] = np.maximum(w["fcr_rate"] - w["escalation_rate"], 0)  # NaN stays NaN
    return w.sort_index()


def run_pandas(directory: Path) -> pd.DataFrame:
    """Straightforward pandas: for each measure, the rows its filter keeps, grouped by owner and month."""
    keys = ["owner_id", "month"]
    parts: dict[str, pd.Series] = {}

    t = _read(
        directory, "tickets", ["customer_id", "status", "channel", "priority", "contacts", "handle_hours"]
    )
    closed = t[t["status"] == "closed"]
    parts["tickets"] = t.groupby(keys).size()
    parts["tickets_closed"] = closed.groupby(keys).size()
    parts["fcr"] = closed[closed["contacts"] == 1].groupby(keys).size()
    parts["escalated"] = t[t["status"] == "escalated"].groupby(keys).size()
    parts["ticket_customers"] = t.groupby(keys)["customer_id"].nunique()
    parts["avg_handle_hours"] = closed.groupby(keys)["handle_hours"].mean()
    parts["median_handle_hours"] = t.groupby(keys)["handle_hours"].median()
    parts["p90_handle_hours"] = t.groupby(keys)["handle_hours"].quantile(0.9)
    parts["digital_tickets"] = t[_is_not(t["channel"], "phone", "email")].groupby(keys).size()
    parts["max_urgent_contacts"] = t[_is(t["priority"], "P1", "P2")].groupby(keys)["contacts"].max()
    del t, closed

    o = _read(directory, "orders", ["customer_id", "status", "amount", "margin", "on_time", "items"])
    delivered = o[o["status"] == "delivered"]
    kept = o[_is_not(o["status"], "cancelled")]
    # every measure of orders has a filter: the owner-months with orders need their own count
    parts["order_rows"] = o.groupby(keys).size()
    parts["orders"] = kept.groupby(keys).size()
    # a sum over no values is unknown, as in SQL, not zero
    parts["revenue"] = o[_is(o["status"], "delivered", "pending")].groupby(keys)["amount"].sum(min_count=1)
    parts["avg_order_value"] = delivered.groupby(keys)["amount"].mean()
    parts["largest_small_order"] = o[o["items"].between(1, 3)].groupby(keys)["amount"].max()
    parts["smallest_order"] = delivered[delivered["amount"] > 0].groupby(keys)["amount"].min()
    parts["returned"] = o[o["status"] == "returned"].groupby(keys).size()
    parts["shipped"] = o[_is(o["status"], "delivered", "returned")].groupby(keys).size()
    parts["delivered"] = delivered.groupby(keys).size()
    parts["on_time_delivered"] = delivered[delivered["on_time"]].groupby(keys).size()
    parts["delivered_margin"] = delivered.groupby(keys)["margin"].sum(min_count=1)
    parts["delivered_amount"] = delivered.groupby(keys)["amount"].sum(min_count=1)
    parts["order_customers"] = kept.groupby(keys)["customer_id"].nunique()
    del o, delivered, kept

    s = _read(directory, "surveys", ["nps_score", "csat", "effort"])
    parts["responses"] = s.groupby(keys).size()
    parts["avg_effort"] = s.groupby(keys)["effort"].mean()
    parts["p25_effort"] = s.groupby(keys)["effort"].quantile(0.25)
    parts["promoters"] = s[s["nps_score"] >= 9].groupby(keys).size()
    parts["detractors"] = s[s["nps_score"] <= 6].groupby(keys).size()
    parts["nps_answers"] = s.groupby(keys)["nps_score"].count()
    parts["satisfied"] = s[s["csat"] >= 4].groupby(keys).size()
    parts["csat_answers"] = s.groupby(keys)["csat"].count()
    del s

    i = _read(directory, "incidents", ["severity", "status", "resolve_hours", "sla_breached"])
    parts["incidents"] = i.groupby(keys).size()
    parts["major_incidents"] = i[_is(i["severity"], "S1", "S2")].groupby(keys).size()
    parts["breached"] = i[i["sla_breached"]].groupby(keys).size()
    parts["mttr_hours"] = i[i["status"] == "resolved"].groupby(keys)["resolve_hours"].mean()
    parts["p95_resolve_hours"] = i.groupby(keys)["resolve_hours"].quantile(0.95)
    del i

    r = _read(directory, "training", ["course_id", "hours", "score", "passed", "mandatory"])
    parts["training_records"] = r.groupby(keys).size()
    parts["training_hours"] = r.groupby(keys)["hours"].sum(min_count=1)
    parts["passed"] = r[r["passed"]].groupby(keys).size()
    mandatory = r[r["mandatory"] & (r["score"] >= 0)]
    parts["avg_mandatory_score"] = mandatory.groupby(keys)["score"].mean()
    parts["courses"] = r.groupby(keys)["course_id"].nunique()
    del r, mandatory

    p = _read(directory, "lots", ["units", "defects", "scrap_kg", "status"])
    parts["units_released"] = p[p["status"] == "released"].groupby(keys)["units"].sum(min_count=1)
    parts["units"] = p.groupby(keys)["units"].sum(min_count=1)
    parts["defects"] = p.groupby(keys)["defects"].sum(min_count=1)
    parts["scrap_kg"] = p[_is_not(p["status"], "held")].groupby(keys)["scrap_kg"].sum(min_count=1)
    parts["median_lot_size"] = p[p["units"] > 0].groupby(keys)["units"].median()
    del p

    return _pandas_metrics(pd.concat(parts, axis=1))


def run_pandas_tuned(directory: Path) -> pd.DataFrame:
    """pandas as one would tune it: one ``groupby().agg`` per source over masked helper columns."""
    keys = ["owner_id", "month"]

    t = _read(
        directory, "tickets", ["customer_id", "status", "channel", "priority", "contacts", "handle_hours"]
    )
    closed = t["status"] == "closed"
    t = t.assign(
        closed=closed,
        fcr=closed & (t["contacts"] == 1),
        escalated=t["status"] == "escalated",
        closed_hours=t["handle_hours"].where(closed),
        digital=_is_not(t["channel"], "phone", "email"),
        urgent_contacts=t["contacts"].where(_is(t["priority"], "P1", "P2")),
    )
    g = t.groupby(keys)
    tickets = g.agg(
        tickets=("closed", "size"),
        tickets_closed=("closed", "sum"),
        fcr=("fcr", "sum"),
        escalated=("escalated", "sum"),
        ticket_customers=("customer_id", "nunique"),
        avg_handle_hours=("closed_hours", "mean"),
        median_handle_hours=("handle_hours", "median"),
        digital_tickets=("digital", "sum"),
        max_urgent_contacts=("urgent_contacts", "max"),
    )
    tickets["p90_handle_hours"] = g["handle_hours"].quantile(0.9)
    del t, g

    o = _read(directory, "orders", ["customer_id", "status", "amount", "margin", "on_time", "items"])
    delivered = o["status"] == "delivered"
    not_cancelled = _is_not(o["status"], "cancelled")
    o = o.assign(
        counted=not_cancelled,
        revenue=o["amount"].where(_is(o["status"], "delivered", "pending")),
        delivered_amount=o["amount"].where(delivered),
        small_amount=o["amount"].where(o["items"].between(1, 3)),
        positive_delivered=o["amount"].where(delivered & (o["amount"] > 0)),
        returned=o["status"] == "returned",
        shipped=_is(o["status"], "delivered", "returned"),
        delivered=delivered,
        on_time_delivered=delivered & o["on_time"],
        delivered_margin=o["margin"].where(delivered),
        counted_customer=o["customer_id"].where(not_cancelled),
    )
    g = o.groupby(keys)
    orders = g.agg(
        orders=("counted", "sum"),
        avg_order_value=("delivered_amount", "mean"),
        largest_small_order=("small_amount", "max"),
        smallest_order=("positive_delivered", "min"),
        returned=("returned", "sum"),
        shipped=("shipped", "sum"),
        delivered=("delivered", "sum"),
        on_time_delivered=("on_time_delivered", "sum"),
        order_customers=("counted_customer", "nunique"),
    )
    # a sum over no values is unknown, as in SQL, not zero
    for column in ["revenue", "delivered_margin", "delivered_amount"]:
        orders[column] = g[column].sum(min_count=1)
    del o, g

    s = _read(directory, "surveys", ["nps_score", "csat", "effort"])
    s = s.assign(
        promoters=s["nps_score"] >= 9,
        detractors=s["nps_score"] <= 6,
        satisfied=s["csat"] >= 4,
    )
    g = s.groupby(keys)
    surveys = g.agg(
        responses=("promoters", "size"),
        avg_effort=("effort", "mean"),
        promoters=("promoters", "sum"),
        detractors=("detractors", "sum"),
        nps_answers=("nps_score", "count"),
        satisfied=("satisfied", "sum"),
        csat_answers=("csat", "count"),
    )
    surveys["p25_effort"] = g["effort"].quantile(0.25)
    del s, g

    i = _read(directory, "incidents", ["severity", "status", "resolve_hours", "sla_breached"])
    i = i.assign(
        major=_is(i["severity"], "S1", "S2"),
        resolved_hours=i["resolve_hours"].where(i["status"] == "resolved"),
    )
    g = i.groupby(keys)
    incidents = g.agg(
        incidents=("major", "size"),
        major_incidents=("major", "sum"),
        breached=("sla_breached", "sum"),
        mttr_hours=("resolved_hours", "mean"),
    )
    incidents["p95_resolve_hours"] = g["resolve_hours"].quantile(0.95)
    del i, g

    r = _read(directory, "training", ["course_id", "hours", "score", "passed", "mandatory"])
    r = r.assign(mandatory_score=r["score"].where(r["mandatory"] & (r["score"] >= 0)))
    g = r.groupby(keys)
    training = g.agg(
        training_records=("passed", "size"),
        passed=("passed", "sum"),
        avg_mandatory_score=("mandatory_score", "mean"),
        courses=("course_id", "nunique"),
    )
    training["training_hours"] = g["hours"].sum(min_count=1)
    del r, g

    p = _read(directory, "lots", ["units", "defects", "scrap_kg", "status"])
    p = p.assign(
        units_released=p["units"].where(p["status"] == "released"),
        scrap_kg=p["scrap_kg"].where(_is_not(p["status"], "held")),
        positive_units=p["units"].where(p["units"] > 0),
    )
    g = p.groupby(keys)
    lots = g[["units_released", "units", "defects", "scrap_kg"]].sum(min_count=1)
    lots["median_lot_size"] = g["positive_units"].median()
    del p, g

    return _pandas_metrics(pd.concat([tickets, orders, surveys, incidents, training, lots], axis=1))


# -- a common form and the agreement check -------------------------------------------------------


@dataclass
class Result:
    """One implementation's numbers: rows sorted by (owner, month), float64 with NaN for null."""

    owner: np.ndarray
    month: np.ndarray  # datetime64[D], the first day of the local month
    values: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.owner)


def _sorted(owner: np.ndarray, month: np.ndarray, values: dict[str, np.ndarray]) -> Result:
    order = np.lexsort((month, owner))
    return Result(owner[order], month[order], {k: v[order] for k, v in values.items()})


def _floats(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(array.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def engine_result(table: pa.Table, metrics: list[str]) -> Result:
    """The engine's long table in the common form; every metric must cover the same rows."""
    out: Result | None = None
    for name in metrics:
        part = table.filter(pc.equal(table["metric"], name))
        one = _sorted(
            part["owner"].to_numpy(),
            part["period_start"].to_numpy().astype("datetime64[D]"),
            {name: _floats(part["value"])},
        )
        if out is None:
            out = one
        elif np.array_equal(one.owner, out.owner) and np.array_equal(one.month, out.month):
            out.values[name] = one.values[name]
        else:
            raise AssertionError(f"the engine's rows for {name} are not those of the other metrics")
    assert out is not None
    return out


def sql_result(table: pa.Table, metrics: list[str]) -> Result:
    """The hand-written query's wide table in the common form."""
    owner = table["owner"].to_numpy()
    month = table["month"].to_numpy().astype("datetime64[D]")
    return _sorted(owner, month, {name: _floats(table[name]) for name in metrics})


def pandas_result(frame: pd.DataFrame, metrics: list[str]) -> Result:
    """The pandas frame in the common form."""
    owner = frame.index.get_level_values("owner_id").to_numpy(dtype=np.int64)
    month = frame.index.get_level_values("month").to_timestamp().to_numpy().astype("datetime64[D]")
    return _sorted(owner, month, {name: frame[name].to_numpy(dtype=np.float64) for name in metrics})


def compare(left: Result, right: Result, metrics: list[str], names: tuple[str, str]) -> list[str]:
    """What differs between two results (empty when they agree within TOLERANCE), in words."""
    a, b = names
    if left.rows != right.rows or not (
        np.array_equal(left.owner, right.owner) and np.array_equal(left.month, right.month)
    ):
        keys_a = set(zip(left.owner.tolist(), left.month.tolist(), strict=True))
        keys_b = set(zip(right.owner.tolist(), right.month.tolist(), strict=True))
        only_a, only_b = sorted(keys_a - keys_b), sorted(keys_b - keys_a)

        def example(keys: list[tuple[int, date]]) -> str:
            return f" (e.g. owner {keys[0][0]} month {keys[0][1]})" if keys else ""

        return [
            f"rows differ: {a} has {left.rows}, {b} has {right.rows}; "
            f"{len(only_a)} only in {a}{example(only_a)}, {len(only_b)} only in {b}{example(only_b)}"
        ]
    out = []
    for name in metrics:
        x, y = left.values[name], right.values[name]
        nx, ny = np.isnan(x), np.isnan(y)
        both = ~nx & ~ny
        with np.errstate(invalid="ignore"):
            far = np.abs(x - y) > TOLERANCE * np.maximum(np.abs(x), np.abs(y)) + TOLERANCE
        bad = (nx != ny) | (both & far)
        if bad.any():
            i = int(np.argmax(bad))
            out.append(
                f"{name}: {int(bad.sum())} of {left.rows} values differ, e.g. owner {left.owner[i]} "
                f"month {left.month[i]}: {a} {_show(x[i])}, {b} {_show(y[i])}"
            )
    return out


def _show(value: float) -> str:
    return "null" if np.isnan(value) else f"{value:.10g}"


def coverage(result: Result, metrics: list[str]) -> list[str]:
    """Metrics without enough values to make agreement mean something (every metric needs some)."""
    out = []
    for name in metrics:
        values = result.values[name]
        known = ~np.isnan(values)
        if known.sum() < result.rows / 10 or np.unique(values[known]).size < 2:
            out.append(f"{name}: only {int(known.sum())} of {result.rows} rows have a value, or all the same")
    return out


# -- measuring -------------------------------------------------------------------------------------


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {key}")


def _reset_high_water_mark() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


@dataclass
class Memory:
    """Peak resident set of the process during a measured block, in bytes."""

    start: int = 0
    peak: int = 0

    @property
    def rise(self) -> int:
        return max(self.peak - self.start, 0)


@contextmanager
def peak_memory() -> Iterator[Memory]:
    """Measure the peak resident set while the block runs (kernel high-water mark, or sampling)."""
    gc.collect()
    memory = Memory(start=_status_kib("VmRSS") * 1024)
    memory.peak = memory.start
    exact = _reset_high_water_mark()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            memory.peak = max(memory.peak, _status_kib("VmRSS") * 1024)

    sampler = None if exact else threading.Thread(target=sample, daemon=True)
    if sampler:
        sampler.start()
    try:
        yield memory
    finally:
        done.set()
        if sampler:
            sampler.join()
        if exact:
            memory.peak = max(memory.peak, _status_kib("VmHWM") * 1024)
        memory.peak = max(memory.peak, _status_kib("VmRSS") * 1024)


@dataclass
class Phase:
    """One implementation under measurement: its runs' times and its peak memory."""

    label: str
    runner: Callable[[], Any]
    seconds: list[float] = field(default_factory=list)
    peak: int = 0
    rise: int = 0

    def measure(self) -> Any:
        """Run once, timed and watched; return what the run produced."""
        with peak_memory() as memory:
            began = time.perf_counter()
            produced = self.runner()
            self.seconds.append(time.perf_counter() - began)
        self.peak, self.rise = max(self.peak, memory.peak), max(self.rise, memory.rise)
        return produced

    @property
    def best(self) -> float:
        return min(self.seconds)


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a run found: the phases, the disagreements, and the targets missed."""

    phases: dict[str, Phase]
    rows: int
    disagreements: list[str]
    missed: list[str]


def run(
    employees: int, events: int, seed: int, repeat: int, *, enforce: bool, out: TextIO = sys.stdout
) -> Outcome:
    """Generate the data, time the three implementations, check that they agree, print the report."""

    def say(text: str) -> None:
        print(text, file=out, flush=True)

    spec = build_spec()
    metrics = list(spec.metrics)
    with tempfile.TemporaryDirectory(prefix="northstar-bench-") as tmp:
        directory = Path(tmp)
        load_before = os.getloadavg()[0]
        began = time.perf_counter()
        counts = generate(directory, employees, events, seed)
        size = sum(p.stat().st_size for p in directory.iterdir())
        say(
            f"Northstar metrics benchmark: {employees:,} employees, {events:,} events "
            f"({', '.join(f'{k} {v:,}' for k, v in counts.items())}), seed {seed}"
        )
        say(
            f"{len(metrics)} metrics by owner × month over {START:%Y-%m-%d}..{END - timedelta(days=1):%Y-%m-%d} "
            f"in {TIMEZONE}; {size / 2**20:,.0f} MiB of Parquet generated in "
            f"{time.perf_counter() - began:.1f} s (not timed)"
        )
        phases = {
            "engine": Phase("engine (Ibis→DuckDB)", lambda: run_engine(directory, spec)),
            "wide": Phase("engine, query only", lambda: run_engine_query(directory, spec)),
            "sql": Phase("hand-written SQL", lambda: run_sql(directory)),
            "pandas": Phase("pandas", lambda: run_pandas(directory)),
            "tuned": Phase("pandas, tuned", lambda: run_pandas_tuned(directory)),
        }
        converters: dict[str, Callable[[Any], Result]] = {
            "engine": lambda t: engine_result(t, metrics),
            "sql": lambda t: sql_result(t, metrics),
            "pandas": lambda f: pandas_result(f, metrics),
            "tuned": lambda f: pandas_result(f, metrics),
        }
        results: dict[str, Result] = {}
        for round_ in range(repeat):
            # rounds alternate forwards and backwards, so that what a phase inherits from the one
            # before it (memory an allocator kept or gave back, caches) is not always the same
            for key in list(phases) if round_ % 2 == 0 else list(reversed(phases)):
                raw = phases[key].measure()
                if key in converters and key not in results:
                    results[key] = converters[key](raw)
                del raw

    engine = results["engine"]
    disagreements = coverage(engine, metrics)
    for key in ["sql", "pandas", "tuned"]:
        disagreements += compare(engine, results[key], metrics, ("engine", phases[key].label))
    if disagreements:
        say(f"DISAGREEMENT among the implementations ({len(disagreements)} problem(s)):")
        for line in disagreements:
            say(f"  {line}")
    else:
        say(
            f"agreement: the engine, the hand-written SQL and both pandas versions give the same "
            f"{engine.rows:,} owner-months × {len(metrics)} metrics (within {TOLERANCE:g} relative)"
        )
    say(
        f"times: best of {repeat} run(s) each, Parquet reading included; peak RSS absolute (rise during the phase)"
    )
    for phase in phases.values():
        say(f"{phase.label:<22} {phase.best:7.2f} s   peak RSS {_gib(phase.peak)} (+{_gib(phase.rise)})")
    for phase in phases.values():
        say(f"  runs of {phase.label}: {', '.join(f'{s:.2f}' for s in phase.seconds)} s")
    say(
        f"  load average (1 min) before the data was generated {load_before:.2f}, at the end {os.getloadavg()[0]:.2f}"
    )

    best = {key: phase.best for key, phase in phases.items()}
    vs_sql = best["engine"] / best["sql"]
    vs_pandas = best["pandas"] / best["engine"]
    memory = phases["engine"].peak
    checks = [
        (
            f"engine ÷ hand-written SQL = {vs_sql:.2f}  (target ≤ {TARGET_VS_SQL:.2f})",
            vs_sql <= TARGET_VS_SQL,
        ),
        (
            f"pandas ÷ engine = {vs_pandas:.1f}  (target ≥ {TARGET_VS_PANDAS:g})",
            vs_pandas >= TARGET_VS_PANDAS,
        ),
        (f"peak memory {_gib(memory)} (target < {_gib(TARGET_MEMORY)})", memory < TARGET_MEMORY),
    ]
    missed = []
    for text, ok in checks:
        verdict = "OK" if ok else ("MISSED" if enforce else "missed (not enforced)")
        say(f"{text}  {verdict}")
        if not ok:
            missed.append(text)
    say(
        f"for information: engine, query only ÷ hand-written SQL = {best['wide'] / best['sql']:.2f}; "
        f"pandas, tuned ÷ engine = {best['tuned'] / best['engine']:.1f}; "
        f"pandas ÷ hand-written SQL = {best['pandas'] / best['sql']:.1f}"
    )
    return Outcome(phases, engine.rows, disagreements, missed)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Command line: run the benchmark; exit 1 on disagreement, 2 on a missed target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--employees", type=int, default=None, help=f"default {DEFAULT_EMPLOYEES:,}")
    parser.add_argument("--events", type=int, default=None, help=f"default {DEFAULT_EVENTS:,}")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=None, help="runs per phase, best counts (default 5)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_EMPLOYEES} employees, {QUICK_EVENTS:,} events, one run, targets only reported",
    )
    parser.add_argument("--no-targets", action="store_true", help="report the targets without failing")
    args = parser.parse_args(argv)
    employees = args.employees or (QUICK_EMPLOYEES if args.quick else DEFAULT_EMPLOYEES)
    events = args.events or (QUICK_EVENTS if args.quick else DEFAULT_EVENTS)
    repeat = args.repeat or (1 if args.quick else 5)
    if min(employees, events, repeat) < 1:
        parser.error("--employees, --events and --repeat must be at least 1")
    outcome = run(employees, events, args.seed, repeat, enforce=not (args.quick or args.no_targets), out=out)
    if outcome.disagreements:
        return 1
    if outcome.missed and not (args.quick or args.no_targets):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
