"""Where stacking (issue 6) hooks in: every issuance, revocation, suspension or lifting.

The registry calls :func:`on_credential_change` inside the same transaction, after the
change is flushed, once per affected credential; ``credentials.awarding`` re-evaluates the
learner's pathways and issues, suspends or lifts stacked credentials.
"""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["Change", "CredentialRow", "lock_learners", "on_credential_change"]

Change = Literal["issued", "revoked", "suspended", "unsuspended"]


class CredentialRow(msgspec.Struct, frozen=True, kw_only=True):
    """What changed: the credential, its issuer, its learner and the course it certifies."""

    id: uuid.UUID
    institution: str
    learner_email: str
    course: str
    """``slug/CODE`` of the course (its owner's slug, also for joint programmes)."""
    status: Literal["valid", "revoked", "suspended"]
    change: Change


async def on_credential_change(session: AsyncSession, credential_row: CredentialRow) -> None:
    """Re-evaluate the learner's pathways after ``credential_row`` changed."""
    # imported here: credentials.awarding imports this module
    from credentials.awarding import on_credential_change as reevaluate

    await reevaluate(session, credential_row)


async def lock_learners(session: AsyncSession, emails: list[str]) -> None:
    """Take the re-evaluation locks of a batch's learners up front, in one global order."""
    from credentials.awarding import lock_learners as lock

    await lock(session, emails)
