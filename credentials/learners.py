"""Learner access: bearer tokens handed out by institutions, the learner's own credentials, shares.

A learner is their normalised email address. Tokens (``lrn_`` + 256 random bits) and
share tokens (``shr_`` + 256 random bits) are stored as SHA-256 only; every learner query
filters on the token's email, so a token never reaches another learner's credentials.
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

from credentials.builder import normalise_email
from credentials.errors import CredentialNotFound, Invalid, ShareNotFound
from credentials.issuing import get_institution

__all__ = [
    "TOKEN_DAYS",
    "Learner",
    "LearnerCredential",
    "Share",
    "create_share",
    "create_token",
    "delete_share",
    "learner_credentials",
    "learner_for_token",
    "shared_credential",
]

TOKEN_DAYS = 30
TOKEN_PREFIX = "lrn_"
SHARE_PREFIX = "shr_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Learner(msgspec.Struct, frozen=True):
    email: str


class LearnerCredential(msgspec.Struct, frozen=True):
    id: uuid.UUID
    institution: str
    course: str
    issued_on: str
    status: str
    created_at: datetime
    document: bytes


class Share(msgspec.Struct, frozen=True):
    token: str
    credential_id: uuid.UUID


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(
    session: AsyncSession, slug: str, email: object, *, days: int = TOKEN_DAYS
) -> tuple[str, str, datetime]:
    """A new learner token for ``email`` (returned once); (token, normalised email, expiry)."""
    if not isinstance(email, str) or len(email) > 320 or not _EMAIL.match(email):
        raise Invalid([("/email", "is not a valid email address")])
    institution = await get_institution(session, slug)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=days)
    normalised = normalise_email(email)
    await session.execute(
        text("INSERT INTO learner_token (token_hash, email, institution_id, expires_at) "
             "VALUES (:h, :e, :i, :x)"),
        {"h": _hash(token), "e": normalised, "i": institution.id, "x": expires},
    )
    return token, normalised, expires


async def learner_for_token(session: AsyncSession, token: str) -> Learner | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    email = await session.scalar(
        text("SELECT email FROM learner_token WHERE token_hash = :h AND expires_at > now()"),
        {"h": _hash(token)},
    )
    return Learner(email) if email is not None else None


_SELECT = """
SELECT c.id, i.slug, o.slug || '/' || c.course_code, c.issued_on, c.status, c.created_at,
       c.document
FROM credential c JOIN institution i ON i.id = c.institution_id
JOIN institution o ON o.id = c.course_institution_id
"""


def _row(row: tuple) -> LearnerCredential:  # type: ignore[type-arg]
    return LearnerCredential(row[0], row[1], row[2], row[3].isoformat(), row[4], row[5],
                             bytes(row[6]))


async def learner_credentials(
    session: AsyncSession, learner: Learner, *,
    after: tuple[datetime, uuid.UUID] | None = None, limit: int | None = None,
) -> list[LearnerCredential]:
    """The learner's credentials, newest first, keyset-paginated on (created_at, id)."""
    where = " WHERE c.learner_email = :e"
    params: dict[str, object] = {"e": learner.email}
    if after is not None:
        where += " AND (c.created_at, c.id) < (:at, :aid)"
        params |= {"at": after[0], "aid": after[1]}
    sql = _SELECT + where + " ORDER BY c.created_at DESC, c.id DESC"
    if limit is not None:
        sql += " LIMIT :n"
        params["n"] = limit
    return [_row(r) for r in await session.execute(text(sql), params)]


async def create_share(session: AsyncSession, learner: Learner, credential_id: uuid.UUID) -> Share:
    owned = await session.scalar(
        text("SELECT 1 FROM credential WHERE id = :id AND learner_email = :e"),
        {"id": credential_id, "e": learner.email},
    )
    if owned is None:  # someone else's credential looks exactly like a missing one
        raise CredentialNotFound(f"You hold no credential {credential_id}.")
    token = SHARE_PREFIX + secrets.token_urlsafe(32)
    await session.execute(
        text("INSERT INTO credential_share (token_hash, credential_id, email) VALUES (:h, :c, :e)"),
        {"h": _hash(token), "c": credential_id, "e": learner.email},
    )
    return Share(token, credential_id)


async def delete_share(session: AsyncSession, learner: Learner, token: str) -> None:
    deleted = await session.scalar(
        text("DELETE FROM credential_share WHERE token_hash = :h AND email = :e RETURNING 1"),
        {"h": _hash(token), "e": learner.email},
    )
    if deleted is None:
        raise ShareNotFound("You have no share link with this token.")


async def shared_credential(session: AsyncSession, token: str) -> LearnerCredential:
    row = (await session.execute(
        text(_SELECT + " JOIN credential_share s ON s.credential_id = c.id WHERE s.token_hash = :h"),
        {"h": _hash(token)},
    )).first()
    if row is None:
        raise ShareNotFound("No credential is shared under this link (it may have been deleted).")
    return _row(row)
