"""Credentials: issuer keys, issued credentials, Bitstring status lists, learner tokens, shares.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 14:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _now() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "issuer_key",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("institution_id", sa.Integer, nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("public_multibase", sa.Text, nullable=False),
        sa.Column("private_encrypted", sa.LargeBinary, nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("id", name="pk_issuer_key"),
        sa.UniqueConstraint("institution_id", "key_id", name="uq_issuer_key_institution_id"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_issuer_key_institution_id_institution"),
    )
    op.create_table(
        "status_list",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("institution_id", sa.Integer, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),  # entries
        sa.Column("status_size", sa.SmallInteger, nullable=False, server_default="2"),
        sa.Column("bits", sa.LargeBinary, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("signed", sa.LargeBinary),
        sa.Column("signed_version", sa.BigInteger),
        sa.PrimaryKeyConstraint("id", name="pk_status_list"),
        sa.UniqueConstraint("institution_id", "purpose", "seq",
                            name="uq_status_list_institution_id"),
        # One purpose: 2-bit entries (first bit revoked, second suspended), statusSize 2.
        sa.CheckConstraint("purpose IN ('message')", name="ck_status_list_purpose"),
        sa.CheckConstraint("status_size = 2", name="ck_status_list_status_size"),
        sa.CheckConstraint("octet_length(bits) * 8 = size * status_size",
                           name="ck_status_list_bits_size"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_status_list_institution_id_institution"),
    )
    # Bits change in place, one row per list: keep the 32 KiB value out of line uncompressed.
    op.execute("ALTER TABLE status_list ALTER COLUMN bits SET STORAGE EXTERNAL")
    op.create_table(
        "status_allocation",
        sa.Column("list_id", sa.Integer, nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("list_id", "idx", name="pk_status_allocation"),
        sa.ForeignKeyConstraint(["list_id"], ["status_list.id"], ondelete="CASCADE",
                                name="fk_status_allocation_list_id_status_list"),
    )
    op.create_table(
        "credential",
        sa.Column("id", pg.UUID, primary_key=True),
        sa.Column("institution_id", sa.Integer, nullable=False),
        sa.Column("course_institution_id", sa.Integer, nullable=False),
        sa.Column("course_code", sa.String(128), nullable=False),
        sa.Column("learner_email", sa.Text, nullable=False),
        sa.Column("document", sa.LargeBinary, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("ects", sa.Numeric(6, 2), nullable=False),
        sa.Column("grade", sa.Float),
        sa.Column("status", sa.String(16), nullable=False, server_default="valid"),
        sa.Column("status_reason", sa.Text),
        sa.Column("status_changed_at", sa.DateTime(timezone=True)),
        # The credential's one BitstringStatusListEntry: its list and entry index.
        sa.Column("status_list_id", sa.Integer, nullable=False),
        sa.Column("status_index", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(300)),
        sa.Column("request_hash", sa.String(64)),
        _now(),
        sa.PrimaryKeyConstraint("id", name="pk_credential"),
        sa.UniqueConstraint("institution_id", "idempotency_key",
                            name="uq_credential_institution_id"),
        sa.UniqueConstraint("status_list_id", "status_index",
                            name="uq_credential_status_list_id"),
        sa.CheckConstraint("status IN ('valid', 'revoked', 'suspended')",
                           name="ck_credential_status"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_credential_institution_id_institution"),
        sa.ForeignKeyConstraint(["course_institution_id"], ["institution.id"],
                                name="fk_credential_course_institution_id_institution"),
        sa.ForeignKeyConstraint(["status_list_id"], ["status_list.id"],
                                name="fk_credential_status_list_id_status_list"),
    )
    op.create_index("ix_credential_learner_email", "credential", ["learner_email", "created_at"])
    op.create_table(
        "learner_token",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("institution_id", sa.Integer, nullable=False),
        _now(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_learner_token"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_learner_token_institution_id_institution"),
    )
    op.create_table(
        "credential_share",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("credential_id", pg.UUID, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("token_hash", name="pk_credential_share"),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"], ondelete="CASCADE",
                                name="fk_credential_share_credential_id_credential"),
    )
    op.create_index("ix_credential_share_credential_id", "credential_share", ["credential_id"])


def downgrade() -> None:
    op.drop_table("credential_share")
    op.drop_table("learner_token")
    op.drop_table("credential")
    op.drop_table("status_allocation")
    op.drop_table("status_list")
    op.drop_table("issuer_key")
