"""Search: a change stamp for the in-process index and the typo vocabulary for pg_trgm.

``search_state`` is one row whose ``seq`` is the last change stamp; every publishing
transaction takes its lock before drawing from ``search_seq``, so stamps are handed out in
commit order and a reader can load "everything after my stamp" without missing a late
commit. ``course.search_seq`` is the stamp of the course's last change. ``search_term``
holds the folded words of titles and keywords; its trigram index answers "did you mean".

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 13:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE search_seq")
    op.create_table(
        "search_state",
        sa.Column("id", sa.SmallInteger, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_search_state"),
        sa.CheckConstraint("id = 1", name="ck_search_state_single_row"),
    )
    op.execute("INSERT INTO search_state (id, seq) VALUES (1, nextval('search_seq'))")
    op.add_column("course", sa.Column("search_seq", sa.BigInteger, nullable=False,
                                      server_default="0"))
    op.create_index("ix_course_search_seq", "course", ["search_seq"])
    op.create_table(
        "search_term",
        sa.Column("term", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("term", name="pk_search_term"),
    )
    op.execute("CREATE INDEX ix_search_term_trgm ON search_term USING gin (term gin_trgm_ops)")
    op.execute(
        "UPDATE course SET search_seq = (SELECT seq FROM search_state WHERE id = 1)"
    )


def downgrade() -> None:
    op.drop_table("search_term")
    op.drop_index("ix_course_search_seq", table_name="course")
    op.drop_column("course", "search_seq")
    op.drop_table("search_state")
    op.execute("DROP SEQUENCE search_seq")
