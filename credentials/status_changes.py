"""Reading issued credentials and changing their status (revoke, suspend, unsuspend).

Issuing lives in ``credentials.issuing``, verification in ``credentials.verifying``, learner
access in ``credentials.learners``. A status change updates the credential row (guarded by
its current status in the ``WHERE``, so two concurrent revocations give one success and
one conflict) and flips bits in SQL (``credentials.records.apply_status``,
``credentials.status``):

* a 1-bit ``revocation`` entry (every credential issued since the revocation lists) is set
  by ``revoke`` and ``suspend`` and cleared by ``unsuspend``: a suspended credential fails
  in every verifier, and verifies again once the suspension is lifted;
* a 2-bit ``message`` entry (credentials issued before, and the first copy of a reissued
  one, ``legacy_list_id``) has its first bit set by ``revoke`` and its second bit set and
  cleared by ``suspend`` and ``unsuspend``.

Then, in the same transaction, ``credentials.awarding`` re-evaluates the learner's
pathways (a lifted suspension may complete one: hence the keyring).

Revocation is final; a revoked credential can be neither suspended nor reinstated (a
legacy suspended bit is left as it was: 0x2 and 0x3 both read "revoked").
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.wire import Struct
from credentials import awarding
from credentials.errors import CredentialNotFound
from credentials.keys import KeyRing
from credentials.records import StatusAction, StatusChange, apply_status

__all__ = ["StatusChange", "Stored", "change_status", "get_credential", "parse_id"]


class Stored(Struct, frozen=True):
    id: uuid.UUID
    institution: str
    status: str
    document: bytes


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


async def change_status(
    session: AsyncSession, slug: str, credential_id: uuid.UUID, action: StatusAction,
    reason: str | None = None, *, keyring: KeyRing,
) -> StatusChange:
    """Apply ``action`` to a credential ``slug`` issued; 404 for another's, 409 when moot.
    Stacked credentials it completes are signed with ``keyring`` in this transaction."""
    change, row = await apply_status(session, slug, credential_id, action, reason)
    await awarding.on_credential_change(session, row, keyring=keyring)
    return change
