"""The mail outbox (migration 0013): mails queued in the transaction that causes them.

A mail is a row written with the change it reports (an issued credential, a sign-in
request), so it exists exactly when the change committed, and sending can never fail or
roll back the change. A sender (``api.mail``) drains the table afterwards:

1. :func:`claim_due` takes due rows with ``FOR UPDATE SKIP LOCKED`` (several server
   processes never claim the same row), marks them ``sending`` with a lease in
   ``next_attempt_at`` and counts the attempt; the claim commits before anything is sent,
   so no transaction stays open during SMTP;
2. the sender sends each, then :func:`mark_sent` or :func:`mark_attempt_failed`: back to
   ``queued`` with an exponential backoff, or ``failed`` after the last attempt (or at
   once on a permanent refusal). A row whose sender died mid-send is claimed again
   when its lease runs out, so a mail is sent at least once; the stable Message-ID lets
   a mail client fold a rare duplicate.

``sensitive`` mails (a sign-in link) lose their body once sent or failed, and are never
sent after ``expires_at``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "CHANNEL",
    "STATES",
    "Claimed",
    "Notification",
    "Outgoing",
    "claim_due",
    "list_notifications",
    "mark_attempt_failed",
    "mark_sent",
    "next_due",
    "queue_mail",
    "queue_mails",
]

CHANNEL = "academy_mail"
"""NOTIFY channel: a queued mail wakes the sender when its transaction commits."""
STATES = ("queued", "sending", "sent", "failed")
State = Literal["queued", "sending", "sent", "failed"]


class Outgoing(msgspec.Struct, frozen=True, kw_only=True):
    """One mail to queue."""

    to: str
    subject: str
    text: str | None
    """None: the sender renders the body from what ``kind`` names (``credentials.award_mail``)."""
    kind: str
    html: str | None = None
    institution_id: int | None = None
    credential_id: uuid.UUID | None = None
    language: str | None = None
    sensitive: bool = False
    expires_at: datetime | None = None


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    """A row of the outbox as its institution sees it (never the body)."""

    id: int
    kind: str
    recipient: str
    subject: str
    language: str | None
    credential_id: uuid.UUID | None
    state: State
    attempts: int
    last_error: str | None
    message_id: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    """When it is (re)tried, while ``queued`` or ``sending``; None once done."""
    sent_at: datetime | None


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    """A row a sender holds: what it needs to build and send the message."""

    id: int
    kind: str
    recipient: str
    subject: str
    body_text: str | None
    body_html: str | None
    language: str | None
    credential_id: uuid.UUID | None
    attempts: int
    created_at: datetime


# One statement per batch, whatever its size, and the NOTIFY rides along (delivered at
# commit, dropped on rollback): batch issuance pays one round trip for all its mails.
_QUEUE = f"""
WITH queued AS (
    INSERT INTO mail_outbox (institution_id, kind, credential_id, recipient, subject,
        body_text, body_html, language, sensitive, expires_at)
    SELECT * FROM unnest(CAST(:inst AS integer[]), CAST(:kind AS text[]),
        CAST(:cred AS uuid[]), CAST(:to AS text[]), CAST(:subject AS text[]),
        CAST(:text AS text[]), CAST(:html AS text[]), CAST(:lang AS text[]),
        CAST(:sensitive AS boolean[]), CAST(:expires AS timestamptz[]))
    RETURNING {{returning}}
), woken AS (SELECT pg_notify('{CHANNEL}', '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_)
SELECT {{select}} FROM queued LEFT JOIN woken ON true {{order}}
"""
_ROWS = text(_QUEUE.format(
    returning="id, kind, recipient, subject, language, credential_id, state, attempts, "
              "last_error, message_id, created_at, next_attempt_at, sent_at",
    select="queued.*", order="ORDER BY id"))
_COUNT = text(_QUEUE.format(returning="1", select="count(*)", order=""))


async def queue_mails(
    session: AsyncSession, mails: Sequence[Outgoing], *, rows: bool = True
) -> list[Notification]:
    """Queue ``mails`` in the session's transaction (one statement); their rows, in order
    (none with ``rows=False``: a batch need not read back what it wrote)."""
    if not mails:
        return []
    result = await session.execute(_ROWS if rows else _COUNT, {
        "inst": [m.institution_id for m in mails], "kind": [m.kind for m in mails],
        "cred": [m.credential_id for m in mails], "to": [m.to for m in mails],
        "subject": [m.subject for m in mails], "text": [m.text for m in mails],
        "html": [m.html for m in mails], "lang": [m.language for m in mails],
        "sensitive": [m.sensitive for m in mails], "expires": [m.expires_at for m in mails],
    })
    if not rows:
        return []
    return [msgspec.convert(row._asdict(), Notification) for row in result]


async def queue_mail(
    session: AsyncSession, *, institution_id: int | None, to: str, subject: str,
    text: str | None,
    html: str | None = None, kind: str, credential_id: uuid.UUID | None = None,
    language: str | None = None, sensitive: bool = False, expires_at: datetime | None = None,
) -> Notification:
    """Queue one mail in the caller's transaction (flushes nothing else, never commits)."""
    (row,) = await queue_mails(session, [Outgoing(
        to=to, subject=subject, text=text, html=html, kind=kind, institution_id=institution_id,
        credential_id=credential_id, language=language, sensitive=sensitive,
        expires_at=expires_at)])
    return row


async def list_notifications(
    session: AsyncSession, institution_id: int, *, state: str | None = None,
    after: int | None = None, limit: int = 50,
) -> tuple[list[Notification], int | None]:
    """The institution's mails, newest first, keyset on id; the next ``after`` or None."""
    result = await session.execute(text(
        "SELECT id, kind, recipient, subject, language, credential_id, state, attempts, "
        "last_error, message_id, created_at, sent_at, CASE WHEN state IN ('queued', 'sending') "
        "THEN next_attempt_at END AS next_attempt_at FROM mail_outbox "
        "WHERE institution_id = :inst AND (CAST(:state AS text) IS NULL OR state = :state) "
        "AND (CAST(:after AS bigint) IS NULL OR id < :after) ORDER BY id DESC LIMIT :n"),
        {"inst": institution_id, "state": state, "after": after, "n": limit + 1})
    rows = [msgspec.convert(row._asdict(), Notification) for row in result]
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None


_GIVE_UP = """
UPDATE mail_outbox SET state = 'failed', next_attempt_at = now(),
    last_error = CASE WHEN expires_at IS NOT NULL AND expires_at <= now()
        THEN 'expired before it could be sent' ELSE coalesce(last_error, '') ||
        ' (the sender stopped during the last attempt)' END,
    body_text = CASE WHEN sensitive THEN '' ELSE body_text END,
    body_html = CASE WHEN sensitive THEN NULL ELSE body_html END
WHERE state IN ('queued', 'sending') AND next_attempt_at <= now()
    AND ((expires_at IS NOT NULL AND expires_at <= now())
         OR (state = 'sending' AND attempts >= :max))
"""

_CLAIM = """
UPDATE mail_outbox m SET state = 'sending', attempts = m.attempts + 1,
    next_attempt_at = now() + make_interval(secs => :lease)
FROM (SELECT id FROM mail_outbox WHERE state IN ('queued', 'sending')
      AND next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT :n
      FOR UPDATE SKIP LOCKED) AS due
WHERE m.id = due.id
RETURNING m.id, m.kind, m.recipient, m.subject, m.body_text, m.body_html, m.language,
    m.credential_id, m.attempts, m.created_at
"""


async def claim_due(
    session: AsyncSession, *, limit: int, lease_seconds: float, max_attempts: int
) -> list[Claimed]:
    """Claim up to ``limit`` due mails for this sender (commit before sending them).

    A row left ``sending`` by a sender that died is due again once its lease ran out; it
    is given up when that was its last attempt. Expired rows are given up unsent.
    """
    await session.execute(text(_GIVE_UP), {"max": max_attempts})
    result = await session.execute(text(_CLAIM), {"n": limit, "lease": lease_seconds})
    return sorted((msgspec.convert(row._asdict(), Claimed) for row in result),
                  key=lambda c: c.id)


_DONE_BODY = ("body_text = CASE WHEN sensitive THEN '' ELSE body_text END, "
              "body_html = CASE WHEN sensitive THEN NULL ELSE body_html END")


async def mark_sent(session: AsyncSession, sent: Sequence[tuple[int, str]]) -> None:
    """Record ``(id, Message-ID)`` pairs as sent, in one statement."""
    if not sent:
        return
    await session.execute(text(
        f"UPDATE mail_outbox m SET state = 'sent', sent_at = now(), message_id = s.mid, "
        f"last_error = NULL, {_DONE_BODY} FROM unnest(CAST(:ids AS bigint[]), "
        f"CAST(:mids AS text[])) AS s(id, mid) WHERE m.id = s.id AND m.state = 'sending'"),
        {"ids": [i for i, _ in sent], "mids": [m for _, m in sent]})


async def mark_attempt_failed(
    session: AsyncSession, mail_id: int, error: str, *, message_id: str | None,
    retry_in: float | None,
) -> State:
    """Record a failed attempt: ``queued`` again in ``retry_in`` seconds, or ``failed``
    when ``retry_in`` is None (no attempt left, or a permanent refusal)."""
    if retry_in is None:
        await session.execute(text(
            f"UPDATE mail_outbox SET state = 'failed', last_error = :err, message_id = :mid, "
            f"next_attempt_at = now(), {_DONE_BODY} WHERE id = :id AND state = 'sending'"),
            {"id": mail_id, "err": error[:2000], "mid": message_id})
        return "failed"
    await session.execute(text(
        "UPDATE mail_outbox SET state = 'queued', last_error = :err, message_id = :mid, "
        "next_attempt_at = now() + make_interval(secs => :wait) "
        "WHERE id = :id AND state = 'sending'"),
        {"id": mail_id, "err": error[:2000], "mid": message_id, "wait": retry_in})
    return "queued"


async def next_due(session: AsyncSession) -> datetime | None:
    """When the earliest unfinished mail is due (None: nothing waits)."""
    return await session.scalar(text(
        "SELECT min(next_attempt_at) FROM mail_outbox WHERE state IN ('queued', 'sending')"))
