"""Badges and certificates: an institution's colour, a share link's purpose.

``institution.colour`` (``#rrggbb``) colours its badge images (``credentials.badge``);
the six partners get a dark tone close to their house colour, white text stays readable
on it. An institution without one gets a colour derived from its slug.

``credential_share.label`` names what a link was made for: ``certificate`` (the printed
PDF's QR code) and ``linkedin`` (the profile's certification URL) are links the
registry made and reuses while they live; a learner's own links have none.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLOURS = {
    "kuleuven": "#00407a",
    "luca": "#2b2b2b",
    "odisee": "#a6192e",
    "thomasmore": "#b0003a",
    "ucll": "#00586f",
    "vives": "#5b2a86",
}


def upgrade() -> None:
    op.add_column("institution", sa.Column("colour", sa.String(7), nullable=True))
    op.create_check_constraint("ck_institution_colour_hex", "institution", "colour ~ '^#[0-9a-f]{6}$'")
    for slug, colour in COLOURS.items():
        op.execute(sa.text("UPDATE institution SET colour = :c WHERE slug = :s")
                   .bindparams(c=colour, s=slug))
    op.add_column("credential_share", sa.Column("label", sa.String(32), nullable=True))
    op.create_index("ix_credential_share_label", "credential_share",
                    ["credential_id", "label"], postgresql_where=sa.text("label IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_credential_share_label", table_name="credential_share")
    op.drop_column("credential_share", "label")
    op.drop_constraint("ck_institution_colour_hex", "institution", type_="check")
    op.drop_column("institution", "colour")
