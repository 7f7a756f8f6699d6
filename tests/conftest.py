"""Test set-up shared by the whole suite.

Databases: every test that asks for ``db_url`` (directly or through ``db``, ``client``, …) runs
on SQLite, and also on PostgreSQL when ``NORTHSTAR_TEST_POSTGRES_URL`` is set (``.ci/run`` sets
it). The schema is always built by running the Alembic migrations, never ``create_all``:
- SQLite: one migrated template file per session, copied for each test;
- PostgreSQL: the schema is dropped and migrated once per session, and each test starts from
  empty tables (TRUNCATE).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, Table, create_engine, insert, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from northstar import (
    migrate,
    models,  # noqa: F401 - every table on the metadata, for the demo snapshot
)
from northstar.config import Settings
from northstar.db import Base, make_engine, make_session_factory, unit_of_work

# Read lazily by get_settings(), which no import above calls: cheap argon2id hashes keep the suite
# fast (test_security checks the production profile separately).
os.environ.setdefault("NORTHSTAR_PASSWORD_PROFILE", "fast")

#: with pytest-xdist each worker gets its own PostgreSQL database (``test_gw0``, …), created here
#: on first use, so that two workers never truncate each other's tables
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_database(url: str, worker: str) -> str:
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _worker_database(os.environ.get("NORTHSTAR_TEST_POSTGRES_URL", "").strip(), _WORKER)
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
_ran_on: set[str] = set()


def pytest_report_header(config: pytest.Config) -> str:
    return (
        "databases: "
        + ", ".join(BACKENDS)
        + ("" if PG_URL else " (set NORTHSTAR_TEST_POSTGRES_URL to add PostgreSQL)")
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``one_database`` check what a user sees, not how a database behaves: they run
    once, on PostgreSQL when it is there (as in CI), else on SQLite, to keep the suite short."""
    if not PG_URL:
        return
    keep, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("db_url") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("one_database") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


_PARAM = re.compile(r"\[(?:[^\]]*-)?(sqlite|postgresql)(?:-[^\]]*)?\]")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # under pytest-xdist the tests run in workers; the summary is printed by the controller, which
    # learns the databases from the reports it receives
    if report.when == "call":
        m = _PARAM.search(report.nodeid)
        if m:
            _ran_on.add(m.group(1))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    ran = ", ".join(sorted(_ran_on)) or "none"
    terminalreporter.write_line(f"database tests ran against: {ran}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine | None]:
    if not PG_URL:
        yield None
        return
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(PG_URL)
    yield engine
    engine.dispose()


def _truncate_all(engine: Engine) -> None:
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database for this test, on each backend in turn."""
    _ran_on.add(request.param)
    if request.param == "sqlite":
        path = tmp_path / "northstar.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    engine = request.getfixturevalue("pg_engine")
    _truncate_all(engine)
    return PG_URL


@pytest.fixture
def session_factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking data; the test commits what it arranges."""
    session = session_factory()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        env="test", data_dir=tmp_path / "data", database_url=db_url, default_locale="en", login_max_failures=5
    )


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> Any:
    from northstar.web.app import create_app

    return create_app(settings, session_factory)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def anon_client(app: Any) -> Iterator[TestClient]:
    """A second browser, with its own cookies."""
    with TestClient(app) as c:
        yield c


#: the demo's logins and every row it stored, taken after its one load of the session
_demo_snapshot: tuple[list[Any], list[tuple[Table, list[dict[str, Any]]]]] | None = None


def _snapshot(engine: Engine) -> list[tuple[Table, list[dict[str, Any]]]]:
    with engine.connect() as conn:
        return [
            (t, [dict(r) for r in conn.execute(select(t)).mappings()]) for t in Base.metadata.sorted_tables
        ]


def _insert_rows(engine: Engine, snapshot: list[tuple[Table, list[dict[str, Any]]]]) -> None:
    """Put the snapshot's rows into an empty PostgreSQL database, foreign keys unchecked while
    they go in (the department head ↔ employee cycle cannot be ordered)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table, rows in snapshot:
            if rows:
                conn.execute(insert(table), rows)
        _set_sequences(conn, snapshot)


def _set_sequences(conn: Connection, snapshot: list[tuple[Table, list[dict[str, Any]]]]) -> None:
    """Restored ids are taken: the sequences go on after the largest."""
    for table, rows in snapshot:
        if rows and "id" in table.c and table.c.id.primary_key:
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), :n)"),
                {"n": max(r["id"] for r in rows)},
            )


#: PostgreSQL keeps a copy of the demo's tables in this schema of the worker's database, made after
#: the first restore of the session; later restores copy from it inside the server
_PG_DEMO_SCHEMA = "demo_snapshot"
_pg_demo_copied = False


def _restore_demo(engine: Engine, snapshot: list[tuple[Table, list[dict[str, Any]]]], loaded: Path) -> None:
    """The demo into this test's empty database. Both ways give the rows of the one load: SQLite
    takes the loaded file whole through SQLite's backup API (the test's engine may already hold a
    connection, so the file is not overwritten under it); PostgreSQL has the rows inserted once,
    then copied server-side from a schema beside ``public`` (a row-by-row restore took 4–6 s a test)."""
    global _pg_demo_copied
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(loaded)
        try:
            with engine.connect() as conn:
                target = conn.connection.driver_connection
                assert isinstance(target, sqlite3.Connection)
                source.backup(target)
        finally:
            source.close()
        return
    if not _pg_demo_copied:
        _insert_rows(engine, snapshot)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {_PG_DEMO_SCHEMA} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {_PG_DEMO_SCHEMA}")
            for table, rows in snapshot:
                if rows:
                    conn.exec_driver_sql(
                        f'CREATE TABLE {_PG_DEMO_SCHEMA}."{table.name}" AS TABLE public."{table.name}"'
                    )
        _pg_demo_copied = True
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for table, rows in snapshot:
            if rows:
                columns = ", ".join(f'"{c.name}"' for c in table.c)
                conn.exec_driver_sql(
                    f'INSERT INTO public."{table.name}" ({columns}) '
                    f'SELECT {columns} FROM {_PG_DEMO_SCHEMA}."{table.name}"'
                )
        _set_sequences(conn, snapshot)


def _shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of this test session that every pytest-xdist worker sees (the workers' own
    temporary directories are siblings in it); without xdist, the session's own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if _WORKER else base


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_file`` across processes (the other workers wait)."""
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the demo's business data is generated once per test session, for all workers."""
    directory = _shared_tmp(tmp_path_factory) / "demo-data"
    directory.mkdir(exist_ok=True)
    return directory


def _load_demo_once(directory: Path, template: Path) -> Path:
    """The demo loaded into ``directory`` unless it is there already: ``demo.db`` (a copy of the
    migrated ``template`` with the company in it), ``files`` (its business data) and
    ``snapshot.pickle`` (its logins and every row). Whoever holds the lock loads; the others wait."""
    from northstar.demo import company

    stored = directory / "snapshot.pickle"
    with _exclusive(directory / "snapshot.lock"):
        if not stored.exists():
            scratch = directory / "demo.db"
            shutil.copyfile(template, scratch)
            engine = make_engine(f"sqlite:///{scratch}")
            settings = Settings(env="test", data_dir=directory / "files", database_url=f"sqlite:///{scratch}")
            try:
                with unit_of_work(make_session_factory(engine)) as s:
                    logins = company.load(s, settings)
                rows = _snapshot(engine)
            finally:
                engine.dispose()
            # tables by name: a Table would pickle its column defaults, functions of the app
            stored.write_bytes(pickle.dumps((logins, [(t.name, r) for t, r in rows])))
    return stored


def _load_demo_in_background(directory: Path) -> None:
    """What the background process runs: a migrated template of its own, then the load."""
    template = directory / "template.db"
    migrate.upgrade(f"sqlite:///{template}")
    _load_demo_once(directory, template)


@pytest.fixture(scope="session", autouse=True)
def _demo_in_background(request: pytest.FixtureRequest, demo_data_dir: Path) -> Iterator[None]:
    """Load the demo in a process of its own as soon as the session's first test starts, when a
    test that needs it was collected, while the workers run the tests that do not (a load takes
    most of a minute, and a worker waiting for it would idle). Started once per test session, by
    whichever worker gets there first; stopped if the session ends before it is done (-x,
    Ctrl-C). Should it fail, the first ``demo`` fixture finds no snapshot and loads the demo
    itself, failing there with the reason."""
    wanted = any("demo" in getattr(item, "fixturenames", ()) for item in request.session.items)
    try:
        if wanted:
            os.close(os.open(demo_data_dir / "started", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        wanted = False
    if not wanted:
        yield
        return
    code = "import sys, pathlib, tests.conftest as c; c._load_demo_in_background(pathlib.Path(sys.argv[1]))"
    with (demo_data_dir / "load.log").open("wb") as log:
        loader = subprocess.Popen(
            [sys.executable, "-c", code, str(demo_data_dir)],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    yield
    if loader.poll() is None:
        loader.terminate()
        loader.wait()


@pytest.fixture
def demo(
    session_factory: sessionmaker[Session],
    settings: Settings,
    demo_data_dir: Path,
    sqlite_template: Path,
) -> list[Any]:
    """The demo company, loaded the way ``northstar demo load`` does it — for real once per test
    session, on SQLite (``_load_demo_once``, started in the background by ``_demo_in_background``;
    a full load takes most of a minute) — then put into each test's database: on SQLite the loaded
    file itself, on PostgreSQL that load's rows (timestamps are stored as UTC instants and every
    value passes through its column's type, so the rows mean the same on both; see
    ``_restore_demo``). ``test_demo_and_cli`` loads it for real on PostgreSQL through the command
    line. Its business data (files and the managed store) is copied into the test's data
    directory."""
    global _demo_snapshot
    if _demo_snapshot is None:
        stored = _load_demo_once(demo_data_dir, sqlite_template)
        logins, by_name = pickle.loads(stored.read_bytes())
        _demo_snapshot = (logins, [(Base.metadata.tables[name], r) for name, r in by_name])
    logins, snapshot = _demo_snapshot
    _restore_demo(session_factory.kw["bind"], snapshot, demo_data_dir / "demo.db")
    shutil.copytree(demo_data_dir / "files", settings.data_dir, dirs_exist_ok=True)
    return logins


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def csrf_of(html: str) -> str:
    match = CSRF_META.search(html)
    assert match, "page has no CSRF meta tag"
    return match.group(1)


def login(client: TestClient, username: str, password: str) -> str:
    """Sign in through the login form like a browser; returns the session's CSRF token."""
    page = client.get("/login")
    token = csrf_of(page.text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    home = client.get("/")
    assert home.status_code == 200
    return csrf_of(home.text)


# --- a real browser against a live server (the browser tests) --------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Without these flags Chromium keeps trying to reach Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(app: Any, demo: Any) -> Iterator[str]:
    """The app with the demo company, served by Uvicorn on a free loopback port."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (``playwright install`` cannot download here)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `apt-get install -y chromium` (.ci/run does this)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
