"""The mail outbox: mails written in the transaction that causes them, sent afterwards.

A row is ``queued`` until a sender claims it (``sending``, with a lease in
``next_attempt_at`` so a sender that dies mid-send does not keep it), then ``sent``, or
back to ``queued`` with a later ``next_attempt_at`` after a failed attempt, or ``failed``
after the last attempt (``last_error`` says why). ``institution_id`` is the institution the
mail is sent for (NULL for a learner's own sign-in mail); it scopes what a partner sees.
An award mail stores no body: the sender renders it from the credential, so that queueing
1,000 mails with a batch writes 1,000 short rows.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(always=False), nullable=False),
        sa.Column("institution_id", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("credential_id", pg.UUID, nullable=True),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        # NULL: rendered when sent, from what ``kind`` names (an award: its credential).
        sa.Column("body_text", sa.Text, nullable=True),
        sa.Column("body_html", sa.Text, nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("message_id", sa.Text, nullable=True),
        sa.Column("sensitive", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        _at("expires_at"),
        _at("sent_at"),
        sa.PrimaryKeyConstraint("id", name="pk_mail_outbox"),
        sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'failed')",
                           name="ck_mail_outbox_state"),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"], ondelete="CASCADE",
                                name="fk_mail_outbox_institution_id_institution"),
    )
    # What the sender looks for: due rows not yet done (a small partial index).
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["next_attempt_at"],
                    postgresql_where=sa.text("state IN ('queued', 'sending')"))
    op.create_index("ix_mail_outbox_institution_id", "mail_outbox", ["institution_id", "id"])
    # No foreign key to credential: checking one locks each new credential row again
    # (a measurable share of queueing 1,000 mails), and credentials are never deleted;
    # the sender treats a credential it cannot find as a mail it cannot send.
    op.create_index("ix_mail_outbox_credential_id", "mail_outbox", ["credential_id"])
    op.create_index("ix_mail_outbox_recipient", "mail_outbox", ["recipient"])


def downgrade() -> None:
    op.drop_table("mail_outbox")
