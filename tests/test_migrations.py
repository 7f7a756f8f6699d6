"""The migrations build the schema on both databases and match the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from northstar import models
from northstar.db import Base, make_engine
from northstar.migrate import alembic_config

assert models.ALL  # every model module is loaded, so Base.metadata is the whole schema


def test_upgrade_downgrade_upgrade_leaves_a_schema_equal_to_the_models(db_url):
    cfg = alembic_config(db_url)
    command.downgrade(cfg, "base")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert {
            "department",
            "position",
            "employee",
            "user_account",
            "user_session",
            "api_token",
            "audit_log",
            "login_attempt",
        } <= tables
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == [], diff
