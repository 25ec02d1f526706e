"""Learner tokens: an id to revoke by, who minted them, when and by whom they were revoked.

Each token row is the audit record of its mint (tokens are never deleted, only revoked),
so the institution can read who minted which token for whom and when. Tokens minted
before this revision lived 30 days; they are cut to 24 hours from now, the new default.
Signing keys get ``revoked_since``: proofs created at or after it no longer verify.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("learner_token", sa.Column("id", pg.UUID, nullable=False,
                                             server_default=sa.text("gen_random_uuid()")))
    op.add_column("learner_token", sa.Column("api_key_id", pg.UUID, nullable=True))
    op.add_column("learner_token", sa.Column("revoked_at", sa.DateTime(timezone=True)))
    op.add_column("learner_token", sa.Column("revoked_by", sa.Text))
    op.create_unique_constraint("uq_learner_token_id", "learner_token", ["id"])
    op.create_foreign_key("fk_learner_token_api_key_id_api_key", "learner_token", "api_key",
                          ["api_key_id"], ["id"])
    op.create_index("ix_learner_token_institution_id", "learner_token",
                    ["institution_id", "created_at", "id"])
    op.execute("UPDATE learner_token SET expires_at = least(expires_at, now() + interval '24 hours')")
    op.add_column("issuer_key", sa.Column("revoked_since", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("issuer_key", "revoked_since")
    op.drop_index("ix_learner_token_institution_id", "learner_token")
    op.drop_constraint("fk_learner_token_api_key_id_api_key", "learner_token")
    op.drop_constraint("uq_learner_token_id", "learner_token")
    for column in ("revoked_by", "revoked_at", "api_key_id", "id"):
        op.drop_column("learner_token", column)
