"""OpenID4VCI: credential offers (pre-authorised codes), access tokens and c_nonces.

Every secret is stored as SHA-256 only: the offer's URL token, its pre-authorised code,
the access token and the nonce (each 256 random bits). The 6-digit ``tx_code`` is hashed
together with the code (``sha256(code ":" tx_code)``), so a copy of the table alone does
not give it away by trying the million codes. ``attempts`` counts wrong tx_codes: the
fifth kills the code.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 13:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "credential_offer",
        sa.Column("id", pg.UUID, nullable=False),
        sa.Column("offer_hash", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("tx_code_hash", sa.String(64), nullable=False),
        sa.Column("credential_id", pg.UUID, nullable=False),
        sa.Column("institution_id", sa.Integer, nullable=False),
        sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        _at("expires_at"),
        _at("redeemed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_credential_offer"),
        sa.UniqueConstraint("offer_hash", name="uq_credential_offer_offer_hash"),
        sa.UniqueConstraint("code_hash", name="uq_credential_offer_code_hash"),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"], ondelete="CASCADE",
                                name="fk_credential_offer_credential_id_credential"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_credential_offer_institution_id_institution"),
    )
    op.create_index("ix_credential_offer_credential_id", "credential_offer", ["credential_id"])
    op.create_table(
        "oid4vci_token",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("offer_id", pg.UUID, nullable=False),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_oid4vci_token"),
        sa.ForeignKeyConstraint(["offer_id"], ["credential_offer.id"], ondelete="CASCADE",
                                name="fk_oid4vci_token_offer_id_credential_offer"),
    )
    op.create_index("ix_oid4vci_token_offer_id", "oid4vci_token", ["offer_id"])
    op.create_table(
        "oid4vci_nonce",
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("institution_id", sa.Integer, nullable=False),
        _at("expires_at"),
        sa.PrimaryKeyConstraint("nonce_hash", name="pk_oid4vci_nonce"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"], ondelete="CASCADE",
                                name="fk_oid4vci_nonce_institution_id_institution"),
    )
    op.create_index("ix_oid4vci_nonce_expires_at", "oid4vci_nonce", ["expires_at"])


def downgrade() -> None:
    op.drop_table("oid4vci_nonce")
    op.drop_table("oid4vci_token")
    op.drop_table("credential_offer")
