"""Learners sign in by e-mail: one-time links, browser sessions, listable share links.

``sign_in_link`` holds a link's SHA-256 only (``sgn_`` + 256 random bits), the address it
was mailed to (NULL when the address holds no credential: the row is written all the same,
so a request for an unknown address does the same work, and such a row can never be
redeemed), and the SHA-256 of the browser nonce it is bound to (NULL when asked through
the API). ``learner_session`` holds a session cookie's SHA-256 only; sessions expire and
are revoked by signing out or erasing the account.

``credential_share`` gains an ``id`` (the token is derived from it with a server key, so the
learner can list their links while the table holds no usable token) and a ``label`` (the
purpose a link was made for, e.g. the printed certificate, so it is reused).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 14:20
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sign_in_link",
        sa.Column("id", pg.UUID, server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.Text, nullable=True),
        sa.Column("nonce_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_link"),
        sa.UniqueConstraint("token_hash", name="uq_sign_in_link_token_hash"),
    )
    op.create_index("ix_sign_in_link_email", "sign_in_link", ["email", "created_at"])
    op.create_index("ix_sign_in_link_expires_at", "sign_in_link", ["expires_at"])
    op.create_table(
        "learner_session",
        sa.Column("id", pg.UUID, server_default=sa.func.gen_random_uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("user_agent", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        _at("expires_at"),
        _at("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_learner_session"),
        sa.UniqueConstraint("token_hash", name="uq_learner_session_token_hash"),
    )
    op.create_index("ix_learner_session_email", "learner_session", ["email", "created_at"])
    op.add_column("credential_share", sa.Column(
        "id", pg.UUID, server_default=sa.func.gen_random_uuid(), nullable=False))
    op.add_column("credential_share", sa.Column("label", sa.String(64), nullable=True))
    op.create_unique_constraint("uq_credential_share_id", "credential_share", ["id"])
    op.create_index("ix_credential_share_email", "credential_share", ["email", "created_at"])
    # One live link per purpose (label) and credential of a learner; unlabelled ones are many.
    op.create_index("uq_credential_share_label", "credential_share",
                    ["credential_id", "email", "label"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_credential_share_label", "credential_share")
    op.drop_index("ix_credential_share_email", "credential_share")
    op.drop_constraint("uq_credential_share_id", "credential_share")
    op.drop_column("credential_share", "label")
    op.drop_column("credential_share", "id")
    op.drop_table("learner_session")
    op.drop_table("sign_in_link")
