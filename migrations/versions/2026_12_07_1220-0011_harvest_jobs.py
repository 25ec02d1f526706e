"""Harvest runs are jobs: queued by the API or the schedule, run by a harvest worker.

``queued_at`` is when it was asked for, ``started_at`` (now nullable) when a worker took
it, ``deadline_at`` when the worker must have finished (afterwards another worker marks
it failed), ``progress`` what it has done so far. At most one queued or running run per
source (a partial unique index); the worker claims the oldest queued run with
``FOR UPDATE SKIP LOCKED`` through a partial index over the queue.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("harvest_run", sa.Column("queued_at", sa.DateTime(timezone=True),
                                           server_default=sa.func.now(), nullable=False))
    op.add_column("harvest_run", sa.Column("deadline_at", sa.DateTime(timezone=True)))
    op.add_column("harvest_run", sa.Column("progress", JSONB))
    op.execute("UPDATE harvest_run SET queued_at = started_at")
    op.alter_column("harvest_run", "started_at", nullable=True, server_default=None)
    op.alter_column("harvest_run", "status", server_default="queued")
    op.create_index("uq_harvest_run_active", "harvest_run", ["source_id"], unique=True,
                    postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.create_index("ix_harvest_run_queue", "harvest_run", ["id"],
                    postgresql_where=sa.text("status = 'queued'"))


def downgrade() -> None:
    op.drop_index("ix_harvest_run_queue", "harvest_run")
    op.drop_index("uq_harvest_run_active", "harvest_run")
    op.execute("UPDATE harvest_run SET status = 'failed', started_at = queued_at "
               "WHERE started_at IS NULL")
    op.alter_column("harvest_run", "status", server_default=None)
    op.alter_column("harvest_run", "started_at", nullable=False, server_default=sa.func.now())
    op.drop_column("harvest_run", "progress")
    op.drop_column("harvest_run", "deadline_at")
    op.drop_column("harvest_run", "queued_at")
