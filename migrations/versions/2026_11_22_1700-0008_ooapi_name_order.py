"""OOAPI name order: a stored sort name and a partial index over the live catalogue.

``/ooapi/v5/courses`` pages through the live catalogue sorted by name. Computing the name
from each JSON document meant reading every document of the table for every page (about
a second at 100,000 courses); the stored column and its index let a page read its rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 17:00
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TITLE_SORT = "lower(coalesce(document->'title'->>'nl', document->'title'->>'en'))"


def upgrade() -> None:
    op.execute(f"ALTER TABLE course ADD COLUMN title_sort text GENERATED ALWAYS AS ({TITLE_SORT}) STORED")
    op.execute("CREATE INDEX ix_course_title_sort ON course (title_sort, id) WHERE NOT withdrawn")


def downgrade() -> None:
    op.execute("DROP INDEX ix_course_title_sort")
    op.execute("ALTER TABLE course DROP COLUMN title_sort")
