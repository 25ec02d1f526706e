"""Learner access: bearer tokens handed out by institutions, the learner's own credentials, shares.

A learner is their normalised email address, seen through one institution: a token minted
by an institution (``lrn_`` + 256 random bits) shows only the credentials that institution
issued, so a partner holding a token learns nothing of what other partners issued to the
same address. Tokens expire (24 hours by default), can be revoked by the learner or by
the institution, and are never deleted: each row records who minted it, for whom and
when, and who revoked it, which is the institution's audit log of mints. Tokens and share
tokens (``shr_`` + 256 random bits) are stored as SHA-256 only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.structs import OutStruct
from credentials.builder import normalise_email
from credentials.errors import CredentialNotFound, Invalid, LearnerTokenNotFound, ShareNotFound
from credentials.records import get_institution

__all__ = [
    "SHARE_PREFIX",
    "TOKEN_HOURS",
    "IssuedToken",
    "Learner",
    "LearnerCredential",
    "MintedToken",
    "create_token",
    "delete_share",
    "learner_credentials",
    "learner_for_token",
    "list_tokens",
    "owned_credential",
    "revoke_session",
    "revoke_token",
    "shared_credential",
]

TOKEN_HOURS = 24
TOKEN_PREFIX = "lrn_"
SHARE_PREFIX = "shr_"  # share links: ``credentials.shares``
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Learner(OutStruct, frozen=True):
    """Who a token stands for; ``institution`` (slug and id) is the only issuer it sees."""

    email: str
    institution: str | None = None
    institution_id: int | None = None
    token_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None  # signed in by e-mail (``credentials.signin``)


class LearnerCredential(OutStruct, frozen=True):
    id: uuid.UUID
    institution: str
    course: str
    issued_on: str
    status: str
    created_at: datetime
    document: bytes
    status_changed_at: datetime | None = None  # when it was last revoked or suspended
    valid_until: date | None = None


class MintedToken(OutStruct, frozen=True):
    id: uuid.UUID
    token: str
    email: str
    institution: str
    expires_at: datetime


class IssuedToken(OutStruct, frozen=True):
    """One mint, as the institution's audit log shows it (never the token itself)."""

    id: uuid.UUID
    email: str
    minted_at: datetime
    minted_by: str | None
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    state: str  # active, expired or revoked


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(
    session: AsyncSession, slug: str, email: object, *, hours: int = TOKEN_HOURS,
    api_key_id: uuid.UUID | None = None,
) -> MintedToken:
    """A new learner token for ``email`` seeing ``slug``'s credentials (the token is returned
    once); ``api_key_id`` is the partner key that minted it, recorded for the audit log."""
    if not isinstance(email, str) or len(email) > 320 or not _EMAIL.match(email):
        raise Invalid([("/email", "is not a valid email address")])
    institution = await get_institution(session, slug)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=hours)
    normalised = normalise_email(email)
    token_id = await session.scalar(
        # clock_timestamp: the log orders mints as they happened, even within one transaction
        text("INSERT INTO learner_token (token_hash, email, institution_id, expires_at, "
             "api_key_id, created_at) VALUES (:h, :e, :i, :x, :k, clock_timestamp()) RETURNING id"),
        {"h": _hash(token), "e": normalised, "i": institution.id, "x": expires, "k": api_key_id},
    )
    return MintedToken(token_id, token, normalised, slug, expires)


async def learner_for_token(session: AsyncSession, token: str) -> Learner | None:
    """The learner of a live token: known, not expired, not revoked; else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (await session.execute(
        text("SELECT t.email, i.slug, t.institution_id, t.id FROM learner_token t "
             "JOIN institution i ON i.id = t.institution_id "
             "WHERE t.token_hash = :h AND t.expires_at > now() AND t.revoked_at IS NULL"),
        {"h": _hash(token)},
    )).first()
    return Learner(row[0], row[1], row[2], row[3]) if row is not None else None


async def revoke_session(session: AsyncSession, learner: Learner) -> None:
    """The learner ends the token or the sign-in session they are using."""
    if learner.session_id is not None:
        await session.execute(text("UPDATE learner_session SET revoked_at = now() WHERE id = :i "
                                   "AND revoked_at IS NULL"), {"i": learner.session_id})
        return
    await session.execute(
        text("UPDATE learner_token SET revoked_at = now(), revoked_by = 'learner' "
             "WHERE id = :t AND revoked_at IS NULL"),
        {"t": learner.token_id},
    )


async def revoke_token(session: AsyncSession, slug: str, token_id: uuid.UUID, by: str) -> None:
    """The institution revokes one of the tokens it minted (idempotent); ``by`` is recorded."""
    institution = await get_institution(session, slug)
    found = await session.scalar(
        text("UPDATE learner_token SET revoked_at = coalesce(revoked_at, now()), "
             "revoked_by = coalesce(revoked_by, :by) "
             "WHERE id = :t AND institution_id = :i RETURNING id"),
        {"t": token_id, "i": institution.id, "by": by},
    )
    if found is None:
        raise LearnerTokenNotFound(f"{slug} minted no learner token {token_id}.")


async def list_tokens(
    session: AsyncSession, slug: str, *, email: str | None = None,
    after: tuple[datetime, uuid.UUID] | None = None, limit: int = 50,
) -> list[IssuedToken]:
    """The tokens ``slug`` minted, newest first, keyset-paginated on (minted_at, id)."""
    institution = await get_institution(session, slug)
    rows = await session.execute(
        text("SELECT t.id, t.email, t.created_at, t.api_key_id, t.expires_at, t.revoked_at, "
             "t.revoked_by, CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' "
             "WHEN t.expires_at <= now() THEN 'expired' ELSE 'active' END "
             "FROM learner_token t WHERE t.institution_id = :i "
             "AND (CAST(:e AS text) IS NULL OR t.email = CAST(:e AS text)) "
             "AND (CAST(:at AS timestamptz) IS NULL OR (t.created_at, t.id) < (:at, :aid)) "
             "ORDER BY t.created_at DESC, t.id DESC LIMIT :n"),
        {"i": institution.id, "e": normalise_email(email) if email else None,
         "at": after[0] if after else None, "aid": after[1] if after else None, "n": limit},
    )
    return [IssuedToken(r[0], r[1], r[2], f"key:{r[3]}" if r[3] else None, r[4], r[5], r[6],
                        r[7]) for r in rows]


_SELECT = """
SELECT c.id, i.slug, o.slug || '/' || c.course_code, c.issued_on, c.status, c.created_at,
       c.document, c.status_changed_at, c.valid_until
FROM credential c JOIN institution i ON i.id = c.institution_id
JOIN institution o ON o.id = c.course_institution_id
"""


# A token of an institution sees what that institution issued; none (a later sign-in) sees all.
_SCOPE = " AND (CAST(:scope AS integer) IS NULL OR c.institution_id = :scope)"


def _row(row: tuple) -> LearnerCredential:  # type: ignore[type-arg]
    return LearnerCredential(row[0], row[1], row[2], row[3].isoformat(), row[4], row[5],
                             bytes(row[6]), row[7], row[8])


async def learner_credentials(
    session: AsyncSession, learner: Learner, *,
    after: tuple[datetime, uuid.UUID] | None = None, limit: int | None = None,
) -> list[LearnerCredential]:
    """The learner's credentials, newest first, keyset-paginated on (created_at, id)."""
    where = " WHERE c.learner_email = :e" + _SCOPE
    params: dict[str, object] = {"e": learner.email, "scope": learner.institution_id}
    if after is not None:
        where += " AND (c.created_at, c.id) < (:at, :aid)"
        params |= {"at": after[0], "aid": after[1]}
    sql = _SELECT + where + " ORDER BY c.created_at DESC, c.id DESC"
    if limit is not None:
        sql += " LIMIT :n"
        params["n"] = limit
    return [_row(r) for r in await session.execute(text(sql), params)]


async def owned_credential(session: AsyncSession, learner: Learner,
                           credential_id: uuid.UUID) -> LearnerCredential:
    """One of the learner's credentials within the token's scope; another learner's, or
    another institution's, looks exactly like a missing one."""
    row = (await session.execute(
        text(_SELECT + " WHERE c.id = :id AND c.learner_email = :e" + _SCOPE),
        {"id": credential_id, "e": learner.email, "scope": learner.institution_id},
    )).first()
    if row is None:
        raise CredentialNotFound(f"You hold no credential {credential_id}.")
    return _row(row)


async def delete_share(session: AsyncSession, learner: Learner, token: str) -> None:
    deleted = await session.scalar(
        text("DELETE FROM credential_share s USING credential c WHERE s.token_hash = :h "
             "AND s.email = :e AND c.id = s.credential_id" + _SCOPE + " RETURNING 1"),
        {"h": _hash(token), "e": learner.email, "scope": learner.institution_id},
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
