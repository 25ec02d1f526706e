"""A learner's data: everything we hold about them (export), and erasing what is theirs.

What a learner sees depends on how they came in: signed in by e-mail, everything held
under their address; with an institution's token, what concerns that institution.

Erasing (:func:`erase_account`) deletes what exists for the learner alone: their share
links (the credentials become unreachable to the public at once), their sessions and
sign-in links and the sign-in mails in the outbox; it ends the institutions' learner
tokens. Issued credentials are the institutions' records and stay, and with them the
address they were issued to and the award mails sent about them; a token row stays in
its institution's audit log, its address replaced by ``erased`` where that institution
issued the learner nothing (no credential needs the address there).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credentials.learners import Learner

__all__ = ["Erasure", "MailRecord", "SignInRecord", "TokenRecord", "erase_account",
           "learner_mails", "learner_sign_ins", "learner_tokens"]

ERASED = "erased"
# A scoped learner sees the rows of one institution only (NULL: signed in, sees all).
_SCOPE = "(CAST(:scope AS integer) IS NULL OR {col} = :scope)"


class MailRecord(msgspec.Struct, frozen=True):
    kind: str
    subject: str
    language: str | None
    credential_id: uuid.UUID | None
    state: str
    created_at: datetime
    sent_at: datetime | None


class SignInRecord(msgspec.Struct, frozen=True):
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


class TokenRecord(msgspec.Struct, frozen=True):
    institution: str
    minted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class Erasure(msgspec.Struct, frozen=True):
    share_links: int
    sessions: int
    sign_in_links: int
    sign_in_mails: int
    tokens_ended: int
    token_addresses_erased: int
    credentials_kept: int
    award_mails_kept: int


def _params(learner: Learner) -> dict[str, object]:
    return {"e": learner.email, "scope": learner.institution_id}


async def learner_mails(session: AsyncSession, learner: Learner) -> list[MailRecord]:
    """The mails we queued to the learner, newest first (never their bodies)."""
    rows = await session.execute(text(
        "SELECT kind, subject, language, credential_id, state, created_at, sent_at "
        "FROM mail_outbox WHERE lower(recipient) = :e AND "
        + _SCOPE.format(col="institution_id") + " ORDER BY created_at DESC, id DESC"),
        _params(learner))
    return [MailRecord(*r) for r in rows]


async def learner_sign_ins(session: AsyncSession, learner: Learner) -> list[SignInRecord]:
    if learner.institution_id is not None:
        return []  # an institution's token does not see the address's sign-ins
    rows = await session.execute(text(
        "SELECT created_at, expires_at, used_at FROM sign_in_link WHERE email = :e "
        "ORDER BY created_at DESC"), {"e": learner.email})
    return [SignInRecord(*r) for r in rows]


async def learner_tokens(session: AsyncSession, learner: Learner) -> list[TokenRecord]:
    rows = await session.execute(text(
        "SELECT i.slug, t.created_at, t.expires_at, t.revoked_at FROM learner_token t "
        "JOIN institution i ON i.id = t.institution_id WHERE t.email = :e AND "
        + _SCOPE.format(col="t.institution_id") + " ORDER BY t.created_at DESC"),
        _params(learner))
    return [TokenRecord(*r) for r in rows]


async def _count(session: AsyncSession, sql: str, params: dict[str, object]) -> int:
    return int((await session.execute(text(sql), params)).rowcount)  # type: ignore[attr-defined]


async def erase_account(session: AsyncSession, learner: Learner) -> Erasure:
    """Erase what is the learner's (see the module docstring); what was erased and kept."""
    p = _params(learner)
    shares = await _count(session, "DELETE FROM credential_share s USING credential c "
                          "WHERE c.id = s.credential_id AND s.email = :e AND "
                          + _SCOPE.format(col="c.institution_id"), p)
    sessions = links = sign_in_mails = 0
    if learner.institution_id is None:  # sessions and sign-ins belong to the address
        links = await _count(session, "DELETE FROM sign_in_link WHERE email = :e", p)
        sessions = await _count(session, "DELETE FROM learner_session WHERE email = :e", p)
        sign_in_mails = await _count(session, "DELETE FROM mail_outbox WHERE kind = 'sign_in' "
                                     "AND lower(recipient) = :e", p)
    ended = await _count(session, "UPDATE learner_token t SET revoked_at = now(), "
                         "revoked_by = 'learner: account erased' WHERE t.email = :e "
                         "AND t.revoked_at IS NULL AND " + _SCOPE.format(col="t.institution_id"),
                         p)
    erased = await _count(session, "UPDATE learner_token t SET email = :erased WHERE t.email = :e "
                          "AND " + _SCOPE.format(col="t.institution_id") + " AND NOT EXISTS ("
                          "SELECT 1 FROM credential c WHERE c.learner_email = :e "
                          "AND c.institution_id = t.institution_id)", p | {"erased": ERASED})
    kept, mails = (await session.execute(text(
        "SELECT (SELECT count(*) FROM credential c WHERE c.learner_email = :e AND "
        + _SCOPE.format(col="c.institution_id") + "), (SELECT count(*) FROM mail_outbox "
        "WHERE lower(recipient) = :e AND " + _SCOPE.format(col="institution_id") + ")"),
        p)).one()
    return Erasure(shares, sessions, links, sign_in_mails, ended, erased, int(kept), int(mails))
