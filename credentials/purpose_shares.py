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

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from credentials.learners import Learner
from credentials.shares import create_share, delete_share_by_id, labelled_share

__all__ = ["PURPOSES", "purpose_share"]

PURPOSES = ("certificate", "linkedin")


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
