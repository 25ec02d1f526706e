"""Learners sign in by e-mail: one-time links, then a browser session.

1. :func:`request_link` answers every address alike. It looks the address up, writes a
   link row either way and returns a token only when the address holds a credential and
   has not had ``HOURLY_LINKS`` links this hour; the caller mails it. The row of an unknown
   address has no e-mail, so it can never be redeemed, and nothing says the address was
   unknown.
2. :func:`check_link` tells whether a link would sign in, without using it: the page
   that a link opens shows a button, because mail scanners fetch links and must not use
   them up.
3. :func:`redeem_link` uses the link once (the row is locked, so two clicks racing start
   one session) and starts a session of ``hours``.

A link asked for from a browser is bound to that browser: the caller passes the browser's
nonce (a random cookie) when asking and when redeeming, and only its SHA-256 is stored. A
link asked for through the API carries no nonce and opens in any browser.

Tokens (``sgn_`` and ``ses_`` + 256 random bits) are stored as SHA-256 only; a slow hash
adds nothing at that entropy.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import Forbidden, Gone, Invalid, NotFound
from credentials.builder import normalise_email
from credentials.learners import Learner

__all__ = [
    "HOURLY_LINKS",
    "LINK_MINUTES",
    "LINK_PREFIX",
    "SESSION_PREFIX",
    "LinkExpired",
    "LinkOtherBrowser",
    "LinkRequest",
    "LinkUnknown",
    "LinkUsed",
    "SessionInfo",
    "StartedSession",
    "check_link",
    "end_session",
    "end_sessions",
    "list_sessions",
    "redeem_link",
    "request_link",
    "session_learner",
    "valid_email",
]

LINK_MINUTES = 15
HOURLY_LINKS = 10  # links mailed to one address in an hour: nobody's mailbox gets flooded
LINK_PREFIX = "sgn_"
SESSION_PREFIX = "ses_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LinkUnknown(NotFound):
    title = "Sign-in link not found"


class LinkUsed(Gone):
    title = "Sign-in link already used"


class LinkExpired(Gone):
    title = "Sign-in link expired"


class LinkOtherBrowser(Forbidden):
    title = "Sign-in link of another browser"


class LinkRequest(msgspec.Struct, frozen=True):
    email: str
    token: str | None  # None: nothing to mail (unknown address, or too many links this hour)
    expires_at: datetime


class StartedSession(msgspec.Struct, frozen=True):
    id: uuid.UUID
    token: str
    email: str
    expires_at: datetime


class SessionInfo(msgspec.Struct, frozen=True):
    id: uuid.UUID
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    user_agent: str | None
    state: str  # active, expired or ended


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_email(email: object) -> str:
    """``email`` normalised, or :class:`Invalid` naming the field."""
    if not isinstance(email, str) or len(email) > 320 or not _EMAIL.match(email):
        raise Invalid([("/email", "is not an e-mail address (name@example.org)")])
    return normalise_email(email)


async def request_link(session: AsyncSession, email: str, *, nonce: str | None,
                       minutes: int = LINK_MINUTES) -> LinkRequest:
    """A link for ``email`` (already normalised); see the module docstring."""
    known, recent = (await session.execute(
        text("SELECT EXISTS (SELECT 1 FROM credential WHERE learner_email = :e), "
             "(SELECT count(*) FROM sign_in_link WHERE email = :e "
             "AND created_at > now() - interval '1 hour')"),
        {"e": email},
    )).one()
    deliver = bool(known) and recent < HOURLY_LINKS
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    await session.execute(
        text("INSERT INTO sign_in_link (token_hash, email, nonce_hash, expires_at) "
             "VALUES (:h, :e, :n, :x)"),
        {"h": _hash(token), "e": email if deliver else None,
         "n": _hash(nonce) if nonce else None, "x": expires},
    )
    # Links are useless a day after they expire; the table keeps only what may be asked about.
    await session.execute(text("DELETE FROM sign_in_link WHERE expires_at < now() - interval "
                               "'1 day'"))
    return LinkRequest(email, token if deliver else None, expires)


async def _usable(session: AsyncSession, token: str, nonce: str | None,
                  lock: bool) -> tuple[uuid.UUID, str]:
    """(link id, email) of a link that would sign in now, or the error that says why not."""
    row = None
    if token.startswith(LINK_PREFIX):
        row = (await session.execute(
            text("SELECT id, email, nonce_hash, expires_at <= now(), used_at IS NOT NULL "
                 "FROM sign_in_link WHERE token_hash = :h" + (" FOR UPDATE" if lock else "")),
            {"h": _hash(token)},
        )).first()
    if row is None or row[1] is None:
        raise LinkUnknown("This is not a sign-in link we sent: open the whole link from the "
                          "mail, or ask for a new one.")
    link_id, email, nonce_hash, expired, used = row
    if used:
        raise LinkUsed("This sign-in link was already used: each link signs in once. Ask for "
                       "a new one.")
    if expired:
        raise LinkExpired(f"This sign-in link has expired (links work for {LINK_MINUTES} "
                          "minutes). Ask for a new one.")
    if nonce_hash is not None and (nonce is None or not secrets.compare_digest(
            _hash(nonce), nonce_hash)):
        raise LinkOtherBrowser("This link was asked for in another browser. Open it in that "
                               "browser, or ask for a new link here.")
    return link_id, email


async def check_link(session: AsyncSession, token: str, nonce: str | None) -> str:
    """The address a link would sign in, without using it; raises like :func:`redeem_link`."""
    return (await _usable(session, token, nonce, lock=False))[1]


async def redeem_link(session: AsyncSession, token: str, nonce: str | None, *, hours: int,
                      user_agent: str | None = None) -> StartedSession:
    """Use the link (once) and start a session of ``hours``."""
    link_id, email = await _usable(session, token, nonce, lock=True)
    await session.execute(text("UPDATE sign_in_link SET used_at = now() WHERE id = :i"),
                          {"i": link_id})
    secret = SESSION_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=hours)
    session_id = await session.scalar(
        text("INSERT INTO learner_session (token_hash, email, user_agent, expires_at) "
             "VALUES (:h, :e, :a, :x) RETURNING id"),
        {"h": _hash(secret), "e": email, "a": (user_agent or "")[:200] or None, "x": expires},
    )
    return StartedSession(session_id, secret, email, expires)


async def session_learner(session: AsyncSession, token: str) -> Learner | None:
    """The learner of a live session cookie; they see every institution's credentials."""
    if not token.startswith(SESSION_PREFIX):
        return None
    row = (await session.execute(
        text("SELECT id, email FROM learner_session WHERE token_hash = :h "
             "AND expires_at > now() AND revoked_at IS NULL"),
        {"h": _hash(token)},
    )).first()
    return Learner(row[1], session_id=row[0]) if row is not None else None


async def end_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(
        text("UPDATE learner_session SET revoked_at = now() WHERE id = :i AND revoked_at IS NULL"),
        {"i": session_id})


async def end_sessions(session: AsyncSession, email: str) -> int:
    """Erase every session and sign-in link of ``email``; the number of sessions erased."""
    await session.execute(text("DELETE FROM sign_in_link WHERE email = :e"), {"e": email})
    result = await session.execute(text("DELETE FROM learner_session WHERE email = :e"),
                                   {"e": email})
    return int(result.rowcount)  # type: ignore[attr-defined]


async def list_sessions(session: AsyncSession, email: str) -> list[SessionInfo]:
    rows = await session.execute(
        text("SELECT id, created_at, expires_at, revoked_at, user_agent, "
             "CASE WHEN revoked_at IS NOT NULL THEN 'ended' WHEN expires_at <= now() "
             "THEN 'expired' ELSE 'active' END FROM learner_session WHERE email = :e "
             "ORDER BY created_at DESC, id DESC"),
        {"e": email})
    return [SessionInfo(*r) for r in rows]
