"""Share links: the only way a credential is public.

A credential is readable by id only by its holder and its issuer; anyone else reaches it
through a live share link, and deleting the link hides it at once
(:func:`credentials.learners.shared_credential` finds nothing).

A link's token is derived from its id with a server key (``shr_`` + HMAC-SHA256), and
only the token's SHA-256 is stored: the learner can list their links (the token is
derived again) while a copy of the table gives no usable link. Should the server key
change, a listed link whose derivation no longer matches shows no URL (it still works
for whoever has it, and can be deleted by id).

A ``label`` names the purpose a link was made for (the printed certificate, the LinkedIn
profile): :func:`labelled_share` reuses the live link of that label, so paper and profile
keep pointing at one link until the learner deletes it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from datetime import datetime

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credentials.errors import Invalid, ShareNotFound
from credentials.learners import SHARE_PREFIX, Learner, owned_credential

__all__ = ["LABEL_PATTERN", "ShareLink", "create_share", "delete_share_by_id", "labelled_share", "list_shares",
           "share_token"]

_LABEL_MAX = 64
LABEL_PATTERN = "^[^\u0000-\u001f\u007f-\u009f]+$"  # no control characters (the API documents it)
_LABEL = re.compile(LABEL_PATTERN)


class ShareLink(msgspec.Struct, frozen=True):
    id: uuid.UUID
    token: str | None  # None: made before links could be listed, or under another server key
    credential_id: uuid.UUID
    label: str | None
    created_at: datetime
    course: str


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_token(key: bytes, share_id: uuid.UUID) -> str:
    """The token of link ``share_id`` under the server's share key."""
    mac = hmac.new(key, b"share-link:" + share_id.bytes, hashlib.sha256).digest()
    return SHARE_PREFIX + base64.urlsafe_b64encode(mac).decode().rstrip("=")


# A scoped learner token (minted by an institution) sees only that institution's links.
_SCOPE = " AND (CAST(:scope AS integer) IS NULL OR c.institution_id = :scope)"
_SELECT = ("SELECT s.id, s.token_hash, s.credential_id, s.label, s.created_at, "
           "o.slug || '/' || c.course_code FROM credential_share s "
           "JOIN credential c ON c.id = s.credential_id "
           "JOIN institution o ON o.id = c.course_institution_id ")


def _link(key: bytes, row: tuple) -> ShareLink:  # type: ignore[type-arg]
    token = share_token(key, row[0])
    shown = token if hmac.compare_digest(_sha(token), row[1]) else None
    return ShareLink(row[0], shown, row[2], row[3], row[4], row[5])


def _check_label(label: str | None) -> None:
    if label is not None and not (0 < len(label) <= _LABEL_MAX and _LABEL.match(label)):
        raise Invalid([("/label", f"1 to {_LABEL_MAX} characters, none a control character")])


async def create_share(session: AsyncSession, learner: Learner, credential_id: uuid.UUID,
                       key: bytes, *, label: str | None = None) -> ShareLink:
    """A new link to one of the learner's credentials (another's looks like a missing one)."""
    _check_label(label)
    await owned_credential(session, learner, credential_id)
    share_id = uuid.uuid4()
    row = (await session.execute(
        # clock_timestamp: the list orders links as they were made, even within one transaction
        text("INSERT INTO credential_share (id, token_hash, credential_id, email, label, "
             "created_at) VALUES (:i, :h, :c, :e, :l, clock_timestamp()) "
             "ON CONFLICT DO NOTHING RETURNING id"),
        {"i": share_id, "h": _sha(share_token(key, share_id)), "c": credential_id,
         "e": learner.email, "l": label},
    )).first()
    if row is None:  # a live link of this label exists (made concurrently): that one it is
        assert label is not None
        return await labelled_share(session, learner, credential_id, key, label)
    found = (await session.execute(text(_SELECT + "WHERE s.id = :i"), {"i": share_id})).one()
    return _link(key, found)


async def labelled_share(session: AsyncSession, learner: Learner, credential_id: uuid.UUID,
                         key: bytes, label: str) -> ShareLink:
    """The learner's live link of ``label`` to the credential, made if there is none."""
    _check_label(label)
    await owned_credential(session, learner, credential_id)
    row = (await session.execute(
        text(_SELECT + "WHERE s.credential_id = :c AND s.email = :e AND s.label = :l"),
        {"c": credential_id, "e": learner.email, "l": label},
    )).first()
    if row is not None:
        return _link(key, row)
    return await create_share(session, learner, credential_id, key, label=label)


async def list_shares(session: AsyncSession, learner: Learner, key: bytes, *,
                      after: tuple[datetime, uuid.UUID] | None = None,
                      limit: int | None = None,
                      credentials: Sequence[uuid.UUID] | None = None) -> list[ShareLink]:
    """The learner's live links, newest first, keyset-paginated on (created_at, id); only
    those to ``credentials`` when given (the credentials one page shows)."""
    sql = _SELECT + "WHERE s.email = :e" + _SCOPE
    params: dict[str, object] = {"e": learner.email, "scope": learner.institution_id}
    if credentials is not None:
        sql += " AND s.credential_id = ANY(CAST(:cids AS uuid[]))"
        params["cids"] = list(credentials)
    if after is not None:
        sql += " AND (s.created_at, s.id) < (:at, :aid)"
        params |= {"at": after[0], "aid": after[1]}
    sql += " ORDER BY s.created_at DESC, s.id DESC"
    if limit is not None:
        sql += " LIMIT :n"
        params["n"] = limit
    return [_link(key, r) for r in await session.execute(text(sql), params)]


async def delete_share_by_id(session: AsyncSession, learner: Learner, share_id: uuid.UUID) -> None:
    deleted = await session.scalar(
        text("DELETE FROM credential_share s USING credential c WHERE s.id = :i "
             "AND s.email = :e AND c.id = s.credential_id" + _SCOPE + " RETURNING 1"),
        {"i": share_id, "e": learner.email, "scope": learner.institution_id},
    )
    if deleted is None:
        raise ShareNotFound("You have no share link with this id.")
