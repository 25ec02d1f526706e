"""Badges and certificates: an institution's colour.

``institution.colour`` (``#rrggbb``) colours its badge images (``credentials.badge``);
the six partners get a dark tone close to their house colour, white text stays readable
on it. An institution without one gets a colour derived from its slug.

The share links made for the printed certificate and the LinkedIn profile are labelled
``certificate`` and ``linkedin`` with ``credential_share.label`` (revision 0014).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
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


def downgrade() -> None:
    op.drop_constraint("ck_institution_colour_hex", "institution", type_="check")
    op.drop_column("institution", "colour")
