"""Share links the registry makes for a purpose: the printed certificate, the LinkedIn profile.

A certificate on paper and a certification on a profile must point somewhere that stays
verifiable, yet the learner decides: each is a share link labelled with its purpose, in
the learner's list like any other, and deleting it makes the paper's QR code and the
profile's link 404 at once. The next PDF or LinkedIn link then makes a new one.

Share tokens are stored as SHA-256 only, yet the same live link must be printed again on
the next download. So a purpose link's token is not random but derived:
``shr_`` + base64url(HMAC-SHA256(key, purpose, credential id, created_at))[:22] (128 bits,
short enough to type from paper), where ``key`` is a server secret the caller derives
from its secret key. The row alone (a database copy) does not give the token; the
server recomputes it and checks it against the stored hash, so a rotated secret simply
leads to a new link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credentials.learners import SHARE_PREFIX

__all__ = ["PURPOSES", "purpose_share"]

PURPOSES = ("certificate", "linkedin")
_TOKEN_CHARS = 22  # 132 bits of the HMAC


def _token(key: bytes, purpose: str, credential_id: uuid.UUID, at: datetime) -> str:
    message = f"{purpose}\n{credential_id}\n{at.astimezone(UTC).isoformat()}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return SHARE_PREFIX + base64.urlsafe_b64encode(digest).decode()[:_TOKEN_CHARS]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def purpose_share(session: AsyncSession, key: bytes, credential_id: uuid.UUID,
                        email: str, purpose: str) -> str:
    """The token of the live link labelled ``purpose`` for the credential, made when there
    is none (owned by ``email``, the credential's learner). The caller has checked that
    the requester may read the credential."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown share purpose {purpose!r}")
    # One link per purpose even when two downloads race (released at commit).
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                          {"k": f"share:{purpose}:{credential_id}"})
    rows = await session.execute(
        text("SELECT token_hash, created_at FROM credential_share "
             "WHERE credential_id = :c AND label = :l ORDER BY created_at DESC"),
        {"c": credential_id, "l": purpose})
    for stored_hash, created_at in rows:
        token = _token(key, purpose, credential_id, created_at)
        if hmac.compare_digest(_hash(token), stored_hash):
            return token
    at = datetime.now(UTC)
    token = _token(key, purpose, credential_id, at)
    await session.execute(
        text("INSERT INTO credential_share (token_hash, credential_id, email, created_at, label) "
             "VALUES (:h, :c, :e, :at, :l)"),
        {"h": _hash(token), "c": credential_id, "e": email, "at": at, "l": purpose})
    return token
