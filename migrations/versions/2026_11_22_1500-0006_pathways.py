"""Pathways: versioned stacking rules, partner approvals, the course index, stacked awards.

``pathway`` is the stable identity (its UUID is the public id); every change of the body
is a new ``pathway_version`` row, immutable apart from its ``state``. ``pathway_unit`` is
the index from a referenced course (``slug/CODE``) to the versions that name it, so an
issuance finds the pathways it can affect with one indexed look-up.
``stacked_credential`` records each award; its unique key on (version, learner) is what
keeps two concurrent issuances from awarding twice. Its foreign key to ``credential`` is
deferred, so the award can be claimed before the credential row is written.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 15:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _now(name: str = "created_at") -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "pathway",
        sa.Column("id", pg.UUID, nullable=False),
        sa.Column("institution_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
        _now(),
        sa.PrimaryKeyConstraint("id", name="pk_pathway"),
        sa.UniqueConstraint("institution_id", "code", name="uq_pathway_institution_id"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_pathway_institution_id_institution"),
    )
    op.create_table(
        "pathway_version",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("pathway_id", pg.UUID, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", pg.JSONB, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("partners", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("ects", sa.Numeric(6, 2), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True)),
        _now(),
        sa.PrimaryKeyConstraint("id", name="pk_pathway_version"),
        sa.UniqueConstraint("pathway_id", "version", name="uq_pathway_version_pathway_id"),
        sa.CheckConstraint("state IN ('pending', 'active', 'superseded', 'retired')",
                           name="ck_pathway_version_state"),
        sa.ForeignKeyConstraint(["pathway_id"], ["pathway.id"], ondelete="CASCADE",
                                name="fk_pathway_version_pathway_id_pathway"),
    )
    # At most one active version per pathway, whatever the interleaving of approvals.
    op.create_index("ix_pathway_version_one_active", "pathway_version", ["pathway_id"],
                    unique=True, postgresql_where=sa.text("state = 'active'"))
    op.create_table(
        "pathway_approval",
        sa.Column("version_id", sa.BigInteger, nullable=False),
        sa.Column("institution_id", sa.Integer, nullable=False),
        _now("approved_at"),
        sa.PrimaryKeyConstraint("version_id", "institution_id", name="pk_pathway_approval"),
        sa.ForeignKeyConstraint(["version_id"], ["pathway_version.id"], ondelete="CASCADE",
                                name="fk_pathway_approval_version_id_pathway_version"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_pathway_approval_institution_id_institution"),
    )
    # ``active`` mirrors the version's state (kept in step by credentials.pathways), so the
    # hot look-up "active versions naming this course" is one index-only scan.
    op.create_table(
        "pathway_unit",
        sa.Column("course", sa.Text, nullable=False),
        sa.Column("version_id", sa.BigInteger, nullable=False),
        sa.Column("pathway_id", pg.UUID, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("course", "version_id", name="pk_pathway_unit"),
        sa.ForeignKeyConstraint(["version_id"], ["pathway_version.id"], ondelete="CASCADE",
                                name="fk_pathway_unit_version_id_pathway_version"),
    )
    op.create_index("ix_pathway_unit_active", "pathway_unit", ["course"],
                    postgresql_include=["version_id", "pathway_id"],
                    postgresql_where=sa.text("active"))
    op.create_index("ix_pathway_unit_pathway_id", "pathway_unit", ["pathway_id"])
    op.create_table(
        "stacked_credential",
        sa.Column("version_id", sa.BigInteger, nullable=False),
        sa.Column("learner_email", sa.Text, nullable=False),
        sa.Column("pathway_id", pg.UUID, nullable=False),
        sa.Column("credential_id", pg.UUID, nullable=False),
        sa.Column("parts", pg.ARRAY(pg.UUID), nullable=False),
        sa.Column("total_ects", sa.Numeric(7, 2), nullable=False),
        sa.Column("suspended_by_stacking", sa.Boolean, nullable=False,
                  server_default=sa.false()),
        _now(),
        sa.PrimaryKeyConstraint("version_id", "learner_email", name="pk_stacked_credential"),
        sa.UniqueConstraint("credential_id", name="uq_stacked_credential_credential_id"),
        sa.ForeignKeyConstraint(["version_id"], ["pathway_version.id"],
                                name="fk_stacked_credential_version_id_pathway_version"),
        sa.ForeignKeyConstraint(["pathway_id"], ["pathway.id"],
                                name="fk_stacked_credential_pathway_id_pathway"),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"], deferrable=True,
                                initially="DEFERRED",
                                name="fk_stacked_credential_credential_id_credential"),
    )
    op.create_index("ix_stacked_credential_learner_email", "stacked_credential",
                    ["learner_email", "pathway_id"])
    op.execute(STACKING_STATE)


# What a credential change needs for re-evaluation, in one round trip (credentials.awarding):
# NULL when no pathway can be affected; else, after taking the learner's advisory lock,
# the versions to evaluate and the learner's credentials. PL/pgSQL takes a new snapshot
# for each statement (READ COMMITTED), so what follows the lock sees every transaction
# that held the lock before.
STACKING_STATE = """
CREATE FUNCTION stacking_state(p_course text, p_email text, p_lock_class integer) RETURNS json
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    active json;
    awarded boolean;
    result json;
BEGIN
    SELECT (SELECT json_agg(json_build_array(u.version_id, u.pathway_id)) FROM pathway_unit u
            WHERE u.course = p_course AND u.active),
           EXISTS (SELECT 1 FROM stacked_credential s JOIN pathway_unit u
                   ON u.version_id = s.version_id AND u.course = p_course
                   WHERE s.learner_email = p_email)
    INTO active, awarded;
    IF active IS NULL AND NOT awarded THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(p_lock_class, hashtext(p_email));
    SELECT json_build_array(
        coalesce(active, '[]'),
        (SELECT coalesce(json_agg(json_build_array(s.version_id, s.pathway_id, s.credential_id,
                c.status, s.suspended_by_stacking)), '[]')
         FROM stacked_credential s JOIN credential c ON c.id = s.credential_id
         WHERE s.learner_email = p_email),
        (SELECT coalesce(json_agg(json_build_array(i.slug, c.id, o.slug || '/' || c.course_code,
                c.ects, c.grade, c.issued_on, c.status, c.valid_until)), '[]')
         FROM credential c JOIN institution o ON o.id = c.course_institution_id
         JOIN institution i ON i.id = c.institution_id
         WHERE c.learner_email = p_email AND c.course_code NOT LIKE 'pathway:%'))
    INTO result;
    RETURN result;
END
$$
"""
