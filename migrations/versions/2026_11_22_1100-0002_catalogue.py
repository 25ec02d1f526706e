"""Catalogue: courses (the published document plus filter columns), offerings, harvesting.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 11:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course",
        sa.Column("id", pg.UUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("institution_id", sa.Integer, sa.ForeignKey("institution.id", name="fk_course_institution_id_institution"), nullable=False),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("document", pg.JSONB, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("withdrawn", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("source", sa.Text, nullable=False, server_default="push"),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_changed", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("microcredential", sa.Boolean, nullable=False),
        sa.Column("ects", sa.Numeric(6, 2)),
        sa.Column("eqf_level", sa.SmallInteger),
        sa.Column("languages", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("mode", sa.String(32)),
        sa.Column("isced_codes", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("id", name="pk_course"),
        sa.UniqueConstraint("institution_id", "code", name="uq_course_institution_id"),
    )
    op.create_table(
        "offering",
        sa.Column("course_id", pg.UUID, sa.ForeignKey("course.id", ondelete="CASCADE", name="fk_offering_course_id_course"), nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("code", sa.String(128)),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        sa.Column("city", sa.Text),
        sa.Column("campus", sa.Text),
        sa.Column("price_eur", sa.Numeric(10, 2)),
        sa.Column("language", sa.String(8)),
        sa.Column("mode", sa.String(32)),
        sa.Column("status", sa.String(16)),
        sa.PrimaryKeyConstraint("course_id", "position", name="pk_offering"),
    )
    op.create_index("ix_offering_start_date", "offering", ["start_date"])
    op.create_table(
        "harvest_source",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("institution_id", sa.Integer, sa.ForeignKey("institution.id", name="fk_harvest_source_institution_id_institution"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("interval_minutes", sa.Integer, nullable=False, server_default="1440"),
        sa.Column("mapping", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("overwrite_push", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("next_run_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_harvest_source"),
        sa.UniqueConstraint("institution_id", "name", name="uq_harvest_source_institution_id"),
    )
    op.create_table(
        "harvest_run",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("source_id", sa.BigInteger, sa.ForeignKey("harvest_source.id", ondelete="CASCADE", name="fk_harvest_run_source_id_harvest_source"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("counts", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("errors", pg.JSONB, nullable=False, server_default="[]"),
        sa.PrimaryKeyConstraint("id", name="pk_harvest_run"),
    )
    op.create_index("ix_harvest_run_source_id", "harvest_run", ["source_id", "started_at"])


def downgrade() -> None:
    for table in ("harvest_run", "harvest_source", "offering", "course"):
        op.drop_table(table)
