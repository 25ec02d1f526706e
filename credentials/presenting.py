"""What the registry adds when a credential is shown: when its status changed, and what
the parts of a stacked award are.

The signed document says who earned what; the registry knows what happened since (the
day a credential was revoked or suspended) and which credentials an award was stacked
from. Both are read for a credential the caller already may show; an award's parts are
read only when they belong to the award's own learner, so a forged ``hasPart`` list can
never bring another learner's credential onto a page.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.wire import Struct
from credentials.learners import Learner

__all__ = ["AwardPart", "award_parts", "ours", "status_changed"]


class AwardPart(Struct, frozen=True):
    id: uuid.UUID
    title: str
    issuer: str
    issued_on: date
    ects: float
    status: str
    course_institution: str
    course_code: str
    readable: bool
    """The viewer holds it (within their token's scope): the page may link to it."""


def ours(iri: Any, base_url: str) -> uuid.UUID | None:
    """The id of a credential IRI of this registry (``{base}/api/v1/credentials/{id}``)."""
    prefix = f"{base_url}/api/v1/credentials/"
    if not isinstance(iri, str) or not iri.startswith(prefix):
        return None
    try:
        return uuid.UUID(iri[len(prefix):])
    except ValueError:
        return None


async def status_changed(session: AsyncSession,
                         credential_id: uuid.UUID) -> tuple[str, datetime | None] | None:
    """The credential's status in the registry and when it last changed (None: unknown id)."""
    row = (await session.execute(
        text("SELECT status, status_changed_at FROM credential WHERE id = :id"),
        {"id": credential_id})).first()
    return (row[0], row[1]) if row is not None else None


def _title(document: bytes) -> str:
    try:
        decoded = msgspec.json.decode(document)
    except msgspec.DecodeError:  # pragma: no cover - stored documents are ours
        return "?"
    name = decoded.get("name") if isinstance(decoded, dict) else None
    return name if isinstance(name, str) else "?"


async def award_parts(session: AsyncSession, award_id: uuid.UUID, part_ids: list[uuid.UUID],
                      viewer: Learner | None) -> dict[uuid.UUID, AwardPart]:
    """The parts an award names that the registry holds for the award's learner."""
    if not part_ids:
        return {}
    rows = await session.execute(
        text("SELECT c.id, c.document, i.name, c.issued_on, c.ects, c.status, o.slug, "
             "c.course_code, c.learner_email, c.institution_id FROM credential c "
             "JOIN institution i ON i.id = c.institution_id "
             "JOIN institution o ON o.id = c.course_institution_id "
             "WHERE c.id = ANY(CAST(:ids AS uuid[])) AND c.learner_email = "
             "(SELECT learner_email FROM credential WHERE id = :award)"),
        {"ids": part_ids[:64], "award": award_id})
    parts = {}
    for row in rows:
        readable = viewer is not None and viewer.email == row[8] and (
            viewer.institution_id is None or viewer.institution_id == row[9])
        parts[row[0]] = AwardPart(
            id=row[0], title=_title(bytes(row[1])), issuer=row[2], issued_on=row[3],
            ects=float(row[4]), status=row[5], course_institution=row[6], course_code=row[7],
            readable=readable)
    return parts
