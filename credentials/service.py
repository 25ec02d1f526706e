"""Reading issued credentials and changing their status (revoke, suspend, unsuspend).

Issuing lives in ``credentials.issuing``, verification in ``credentials.verifying``, learner
access in ``credentials.learners``. A status change updates the credential row (guarded by
its current status in the ``WHERE``, so two concurrent revocations give one success and
one conflict) and flips bits in SQL (``credentials.status``):

* a 1-bit ``revocation`` entry (every credential issued since the revocation lists) is set
  by ``revoke`` and ``suspend`` and cleared by ``unsuspend``: a suspended credential fails
  in every verifier, and verifies again once the suspension is lifted;
* a 2-bit ``message`` entry (credentials issued before, and the first copy of a reissued
  one, ``legacy_list_id``) has its first bit set by ``revoke`` and its second bit set and
  cleared by ``suspend`` and ``unsuspend``.

Revocation is final; a revoked credential can be neither suspended nor reinstated (a
legacy suspended bit is left as it was: 0x2 and 0x3 both read "revoked").
"""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from credentials.errors import AlreadyInStatus, CredentialNotFound
from credentials.stacking_hook import CredentialRow, lock_learners, on_credential_change
from credentials.status import REVOKED, SUSPENDED, bit_position, set_bit

__all__ = ["StatusChange", "Stored", "change_status", "get_credential", "parse_id"]

Action = Literal["revoke", "suspend", "unsuspend"]


class Stored(msgspec.Struct, frozen=True):
    id: uuid.UUID
    institution: str
    status: str
    document: bytes


class StatusChange(msgspec.Struct, frozen=True):
    id: uuid.UUID
    status: str
    reason: str | None


def parse_id(value: str) -> uuid.UUID:
    """A credential id from the URL: the UUID, or the credential's full IRI ending in it."""
    try:
        return uuid.UUID(value.rsplit("/", 1)[-1])
    except ValueError:
        raise CredentialNotFound(f"No credential {value!r}.") from None


async def get_credential(session: AsyncSession, credential_id: uuid.UUID) -> Stored:
    row = (await session.execute(
        text("SELECT c.id, i.slug, c.status, c.document FROM credential c "
             "JOIN institution i ON i.id = c.institution_id WHERE c.id = :id"),
        {"id": credential_id},
    )).first()
    if row is None:
        raise CredentialNotFound(f"No credential {credential_id}.")
    return Stored(row[0], row[1], row[2], bytes(row[3]))


# action -> (statuses it applies to, new status, bit of a legacy 2-bit entry, bit value)
_ACTIONS: dict[str, tuple[tuple[str, ...], str, int, bool]] = {
    "revoke": (("valid", "suspended"), "revoked", REVOKED, True),
    "suspend": (("valid",), "suspended", SUSPENDED, True),
    "unsuspend": (("suspended",), "valid", SUSPENDED, False),
}
# action -> the value of a 1-bit revocation entry afterwards
_REVOCATION_BIT = {"revoke": True, "suspend": True, "unsuspend": False}
_CHANGES = {"revoke": "revoked", "suspend": "suspended", "unsuspend": "unsuspended"}


async def change_status(
    session: AsyncSession, slug: str, credential_id: uuid.UUID, action: Action,
    reason: str | None = None,
) -> StatusChange:
    """Apply ``action`` to a credential ``slug`` issued; 404 for another's, 409 when moot."""
    allowed, new, offset, bit = _ACTIONS[action]
    email = await session.scalar(
        text("SELECT c.learner_email FROM credential c JOIN institution i "
             "ON i.id = c.institution_id WHERE c.id = :id AND i.slug = :slug"),
        {"id": credential_id, "slug": slug},
    )
    if email is None:
        raise CredentialNotFound(f"{slug} issued no credential {credential_id}.")
    # The learner's lock before the credential's and the status list's rows: the order
    # every credential-changing transaction keeps (credentials.awarding).
    await lock_learners(session, [email])
    row = (await session.execute(
        text("UPDATE credential c SET status = :new, status_reason = :reason, "
             "status_changed_at = now() "
             "WHERE c.id = :id AND c.status = ANY(CAST(:allowed AS text[])) "
             "RETURNING c.status_list_id, c.status_index, c.course_code, "
             "(SELECT slug FROM institution WHERE id = c.course_institution_id), "
             "(SELECT status_size FROM status_list WHERE id = c.status_list_id), "
             "c.legacy_list_id, c.legacy_index"),
        {"new": new, "reason": reason, "id": credential_id, "allowed": list(allowed)},
    )).first()
    if row is None:
        current = await session.scalar(
            text("SELECT status FROM credential WHERE id = :id"), {"id": credential_id})
        raise AlreadyInStatus(f"Cannot {action} a credential that is {current}.")
    list_id, index, code, owner, size, legacy_list, legacy_index = row
    if size == 1:
        await set_bit(session, list_id, index, _REVOCATION_BIT[action])
    else:
        await set_bit(session, list_id, bit_position(index, offset), bit)
    if legacy_list is not None:  # the pre-reissue copy follows
        await set_bit(session, legacy_list, bit_position(legacy_index, offset), bit)
    await on_credential_change(session, CredentialRow(
        id=credential_id, institution=slug, learner_email=email, course=f"{owner}/{code}",
        status=new, change=_CHANGES[action],  # type: ignore[arg-type]
    ))
    return StatusChange(credential_id, new, reason)
