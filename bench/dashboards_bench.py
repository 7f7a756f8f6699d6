"""Dashboard benchmark (issue 7): the server time of every dashboard on the demo company, SQLite.

``make bench-dashboards`` loads the demo company into a temporary data directory (or reads the
one given with ``--data-dir``, e.g. after ``make run``), then asks the app in process, through
Starlette's test client, for each dashboard as its viewer would: the enterprise dashboard and the
Customer Service Center's as an executive, the journey heatmap, one indicator sliced by customer,
and an employee's own dashboard. Every page is asked ``--repeat`` times (7 by default) after one
warm-up request; the median counts. The home page, asked the same way in the same process, is
the baseline each time is divided by, so that a slower machine moves both alike.

Target: every dashboard under 300 ms. Exit status 2 when one is over (``--no-targets`` reports
without failing), 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

TARGET_MS = 300.0
VIEWERS = {
    "executive": "Northstar-exec-2026",
    "employee": "Northstar-employee-2026",
}
#: (name, viewer, path)
PAGES = [
    ("enterprise", "executive", "/dashboards/enterprise?period=2026-Q3"),
    ("department CSC", "executive", "/dashboards/departments/CSC?period=2026-Q3"),
    ("journey", "executive", "/dashboards/journey?period=2026-Q3"),
    ("indicator csat by customer", "executive", "/dashboards/indicators/csat?by=customer&period=2026-Q3"),
    ("personal (employee)", "employee", "/dashboards/me?period=2026-Q3"),
]
BASELINE = ("home page (baseline)", "executive", "/")


def _load_demo(data_dir: Path, out: TextIO) -> None:
    from northstar.config import Settings
    from northstar.db import make_engine, make_session_factory, unit_of_work
    from northstar.demo import company
    from northstar.migrate import upgrade

    settings = Settings(data_dir=data_dir)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    started = time.perf_counter()
    with unit_of_work(make_session_factory(engine)) as db:
        company.load(db, settings)
    print(f"demo company loaded in {time.perf_counter() - started:.1f} s into {data_dir}", file=out)


def _client(viewer: str) -> Any:
    from fastapi.testclient import TestClient

    from northstar.web.app import create_app

    client = TestClient(create_app())
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]*)"', page.text)
    assert token is not None
    signed = client.post(
        "/login",
        data={"username": viewer, "password": VIEWERS[viewer], "csrf_token": token.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert signed.status_code == 303, f"cannot sign in as {viewer}"
    return client


def _time(get: Callable[[], Any], repeat: int) -> list[float]:
    response = get()  # warm-up: templates compiled, caches filled
    assert response.status_code == 200, response.text[:500]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = get()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a data directory with the demo company loaded")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-targets", action="store_true", help="report the target without failing")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="northstar-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        os.environ["NORTHSTAR_DATA_DIR"] = str(data_dir)
        os.environ.pop("NORTHSTAR_DATABASE_URL", None)
        from northstar.config import get_settings

        get_settings.cache_clear()
        if args.data_dir is None:
            _load_demo(data_dir, out)
        clients = {viewer: _client(viewer) for viewer in VIEWERS}
        rows = []
        for name, viewer, path in [BASELINE, *PAGES]:
            times = _time(lambda c=clients[viewer], p=path: c.get(p), args.repeat)
            rows.append((name, path, statistics.median(times), min(times), max(times)))
        base = rows[0][2]
        print(f"server time per page on SQLite, median of {args.repeat} after a warm-up:", file=out)
        print(f"{'page':34} {'median ms':>10} {'min':>8} {'max':>8} {'÷ home':>8}  target", file=out)
        missed = []
        for i, (name, _path, median, low, high) in enumerate(rows):
            verdict = "" if i == 0 else ("ok" if median < TARGET_MS else f"MISSED (< {TARGET_MS:.0f} ms)")
            if i and median >= TARGET_MS:
                missed.append(name)
            print(
                f"{name:34} {median:10.1f} {low:8.1f} {high:8.1f} {median / base:8.2f}  {verdict}", file=out
            )
        if missed:
            print(f"over {TARGET_MS:.0f} ms: {', '.join(missed)}", file=out)
            return 0 if args.no_targets else 2
        print(f"every dashboard under {TARGET_MS:.0f} ms", file=out)
        return 0


if __name__ == "__main__":
    sys.exit(main())
