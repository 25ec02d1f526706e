"""Revocation lists: 1-bit ``revocation`` status lists beside the 2-bit ``message`` ones.

Every credential issued from now on has a 1-bit ``statusPurpose: "revocation"`` entry, the
only status verifiers in the field read (``credentials.status``). Credentials issued before
keep their 2-bit ``message`` entry, still served and updated. A learner may get such a
credential again in the new form (``POST /api/v1/me/credentials/{id}/reissue``): the row
then points at its new revocation entry and keeps the old one in ``legacy_list_id`` /
``legacy_index``, so that a revocation or suspension reaches both copies.

Stacking counts a credential's ``ects`` column; issuance now keeps it at most the course's
declared ECTS, and credentials issued before with more are capped here (their signed
documents keep what they say; only what stacking counts changes).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CAP_ECTS = ("UPDATE credential c SET ects = co.ects FROM course co "
            "WHERE co.institution_id = c.course_institution_id AND co.code = c.course_code "
            "AND co.ects IS NOT NULL AND c.ects > co.ects")


def upgrade() -> None:
    op.drop_constraint("ck_status_list_purpose", "status_list", type_="check")
    op.drop_constraint("ck_status_list_status_size", "status_list", type_="check")
    op.create_check_constraint(
        "ck_status_list_purpose_size", "status_list",
        "(purpose = 'message' AND status_size = 2) OR (purpose = 'revocation' AND status_size = 1)",
    )
    op.add_column("credential", sa.Column("legacy_list_id", sa.Integer))
    op.add_column("credential", sa.Column("legacy_index", sa.Integer))
    op.create_foreign_key("fk_credential_legacy_list_id_status_list", "credential",
                          "status_list", ["legacy_list_id"], ["id"])
    op.create_unique_constraint("uq_credential_legacy_list_id", "credential",
                                ["legacy_list_id", "legacy_index"])
    op.create_check_constraint(
        "ck_credential_legacy_entry", "credential",
        "(legacy_list_id IS NULL) = (legacy_index IS NULL)",
    )
    op.execute(CAP_ECTS)


def downgrade() -> None:
    op.drop_constraint("ck_credential_legacy_entry", "credential", type_="check")
    op.drop_constraint("uq_credential_legacy_list_id", "credential", type_="unique")
    op.drop_constraint("fk_credential_legacy_list_id_status_list", "credential",
                       type_="foreignkey")
    op.drop_column("credential", "legacy_index")
    op.drop_column("credential", "legacy_list_id")
    op.drop_constraint("ck_status_list_purpose_size", "status_list", type_="check")
    op.create_check_constraint("ck_status_list_purpose", "status_list", "purpose IN ('message')")
    op.create_check_constraint("ck_status_list_status_size", "status_list", "status_size = 2")
