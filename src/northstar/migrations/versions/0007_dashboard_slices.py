"""Dashboard slices of computed actuals and the people each value rests on (issue 7)

``metric_actual.scope_kind`` grows from 12 to 20 characters for ``dept_customer`` (a department
subtree's figure among the rows of one customer: how its customers, internal ones included,
see it) beside the new ``segment`` kind; the unique slice key is unchanged.
``metric_actual.people`` holds how many distinct owners a value's rows come from, so that scope
rules never show someone an aggregate of one colleague.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("metric_actual") as batch:
        batch.alter_column(
            "scope_kind",
            existing_type=sa.String(length=12),
            type_=sa.String(length=20),
            existing_nullable=False,
        )
        batch.add_column(sa.Column("people", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM metric_actual WHERE scope_kind IN ('dept_customer', 'segment')")
    with op.batch_alter_table("metric_actual") as batch:
        batch.drop_column("people")
        batch.alter_column(
            "scope_kind",
            existing_type=sa.String(length=20),
            type_=sa.String(length=12),
            existing_nullable=False,
        )
