"""Share links the registry makes for a purpose: the printed certificate, the LinkedIn profile.

A certificate on paper and a certification on a profile must point somewhere that stays
verifiable, yet the learner decides: each is a share link labelled with its purpose
(``credentials.shares``), in the learner's list like any other, and deleting it makes the
paper's QR code and the profile's link 404 at once. The next PDF or LinkedIn link then makes
a new one. Its token is derived from the link's id under the server's share key, so the same
live link is printed again on the next download; a link made under an older key (its token
can no longer be shown) is replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credentials.learners import Learner
from credentials.shares import create_share, delete_share_by_id, labelled_share, share_token

__all__ = ["PURPOSES", "live_purpose_share", "purpose_share"]

PURPOSES = ("certificate", "linkedin", "qr")
"""``qr``: the QR code on the credential page, made only when the holder asks for it."""


async def purpose_share(session: AsyncSession, key: bytes, credential_id: uuid.UUID,
                        email: str, purpose: str) -> str:
    """The token of the live link labelled ``purpose`` for the credential, made when there
    is none (owned by ``email``, the credential's learner). The caller has checked that
    the requester may read the credential."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown share purpose {purpose!r}")
    holder = Learner(email=email)
    link = await labelled_share(session, holder, credential_id, key, purpose)
    if link.token is None:  # made under another server key
        await delete_share_by_id(session, holder, link.id)
        link = await create_share(session, holder, credential_id, key, label=purpose)
    assert link.token is not None
    return link.token


async def live_purpose_share(session: AsyncSession, key: bytes, credential_id: uuid.UUID,
                             email: str, purpose: str) -> str | None:
    """The token of the live link labelled ``purpose``, if there is one; makes nothing (a
    page that only shows a credential never creates a public link)."""
    rows = await session.execute(
        text("SELECT id, token_hash FROM credential_share WHERE credential_id = :c "
             "AND email = :e AND label = :l"), {"c": credential_id, "e": email, "l": purpose})
    for share_id, stored in rows:
        token = share_token(key, share_id)
        if hmac.compare_digest(hashlib.sha256(token.encode()).hexdigest(), stored):
            return token
    return None
