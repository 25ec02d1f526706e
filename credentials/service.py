"""Reading issued credentials and changing their status (revoke, suspend, unsuspend).

Issuing lives in ``credentials.issuing``, verification in ``credentials.verifying``, learner
access in ``credentials.learners``. A status change updates the credential row (guarded by
its current status in the ``WHERE``, so two concurrent revocations give one success and
one conflict) and flips one bit of the credential's 2-bit status entry in SQL
(``credentials.status``): the first bit for revocation, the second for suspension.
Revocation is final; a revoked credential can be neither suspended nor reinstated (its
suspended bit is left as it was: 0x2 and 0x3 both read "revoked").
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


# action -> (statuses it applies to, new status, bit of the entry, bit value)
_ACTIONS: dict[str, tuple[tuple[str, ...], str, int, bool]] = {
    "revoke": (("valid", "suspended"), "revoked", REVOKED, True),
    "suspend": (("valid",), "suspended", SUSPENDED, True),
    "unsuspend": (("suspended",), "valid", SUSPENDED, False),
}
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
             "(SELECT slug FROM institution WHERE id = c.course_institution_id)"),
        {"new": new, "reason": reason, "id": credential_id, "allowed": list(allowed)},
    )).first()
    if row is None:
        current = await session.scalar(
            text("SELECT status FROM credential WHERE id = :id"), {"id": credential_id})
        raise AlreadyInStatus(f"Cannot {action} a credential that is {current}.")
    list_id, index, code, owner = row
    await set_bit(session, list_id, bit_position(index, offset), bit)
    await on_credential_change(session, CredentialRow(
        id=credential_id, institution=slug, learner_email=email, course=f"{owner}/{code}",
        status=new, change=_CHANGES[action],  # type: ignore[arg-type]
    ))
    return StatusChange(credential_id, new, reason)
