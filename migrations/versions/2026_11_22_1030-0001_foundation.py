"""Foundation: extensions, the six partner institutions and API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 10:30
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PARTNERS = [
    ("kuleuven", "KU Leuven", "KU Leuven", "https://www.kuleuven.be"),
    ("luca", "LUCA School of Arts", "LUCA", "https://www.luca-arts.be"),
    ("odisee", "Odisee Hogeschool", "Odisee", "https://www.odisee.be"),
    ("thomasmore", "Thomas More Hogeschool", "Thomas More", "https://www.thomasmore.be"),
    ("ucll", "UC Leuven-Limburg", "UCLL", "https://www.ucll.be"),
    ("vives", "Hogeschool VIVES", "VIVES", "https://www.vives.be"),
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    institution = op.create_table(
        "institution",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(32), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("short_name", sa.Text, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("website", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_institution"),
        sa.UniqueConstraint("slug", name="uq_institution_slug"),
    )
    op.bulk_insert(institution, [
        {"id": i, "slug": slug, "name": name, "short_name": short, "country": "BE", "website": web}
        for i, (slug, name, short, web) in enumerate(PARTNERS, start=1)
    ])
    op.create_table(
        "api_key",
        sa.Column("id", pg.UUID, primary_key=True),
        sa.Column("public_id", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("institution_id", sa.Integer, nullable=False),
        sa.Column("scopes", pg.ARRAY(sa.String(16)), nullable=False),
        sa.Column("label", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_api_key"),
        sa.UniqueConstraint("public_id", name="uq_api_key_public_id"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"],
                                name="fk_api_key_institution_id_institution"),
    )


def downgrade() -> None:
    op.drop_table("api_key")
    op.drop_table("institution")
