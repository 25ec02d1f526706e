"""Credential rows and the locks that order every change to them.

Everything here runs inside the caller's transaction and never re-evaluates pathways: the
commands (``credentials.issuing``, ``credentials.status_changes``, ``credentials.pathways``)
change rows here, then call ``credentials.awarding`` themselves with the app's keyring.
``awarding`` builds on this module too, which is what keeps the imports one-way.

**Lock order.** Learners' re-evaluation locks (:func:`lock_learners`) come first in every
transaction that changes credentials, before any row lock (a status list's, a
credential's), and several are taken at once in one global order: re-evaluation suspends
and awards while holding a lock, so any other order could close a cycle (PostgreSQL would
abort one side as a deadlock).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import InstitutionNotFound
from catalogue.structs import OutStruct
from catalogue.wire import Struct
from credentials.award_mail import queue_award_mails
from credentials.errors import AlreadyInStatus, CredentialNotFound
from credentials.status import REVOKED, SUSPENDED, Allocated, bit_position, set_bit

__all__ = [
    "LOCK_CLASS",
    "Change",
    "CredentialRow",
    "Institution",
    "NewCredential",
    "StatusAction",
    "StatusChange",
    "apply_status",
    "course_facts",
    "get_institution",
    "insert_credentials",
    "lock_learners",
    "public_url",
]

LOCK_CLASS = 0x5A7C  # advisory lock namespace of per-learner re-evaluation
Change = Literal["issued", "revoked", "suspended", "unsuspended"]
StatusAction = Literal["revoke", "suspend", "unsuspend"]


class CredentialRow(Struct, frozen=True, kw_only=True):
    """What changed: the credential, its issuer, its learner and the course it certifies."""

    id: uuid.UUID
    institution: str
    learner_email: str
    course: str
    """``slug/CODE`` of the course (its owner's slug, also for joint programmes)."""
    status: Literal["valid", "revoked", "suspended"]
    change: Change


class Institution(Struct, frozen=True):
    id: int
    slug: str
    name: str
    country: str
    website: str


class StatusChange(OutStruct, frozen=True):
    id: uuid.UUID
    status: str
    reason: str | None


async def get_institution(session: AsyncSession, slug: str) -> Institution:
    row = (await session.execute(
        text("SELECT id, slug, name, country, website FROM institution WHERE slug = :s"),
        {"s": slug},
    )).first()
    if row is None:
        raise InstitutionNotFound(slug)
    return Institution(*row)


def public_url(pathway_id: uuid.UUID) -> str:
    """Where anyone reads a pathway (``GET /api/v1/pathways/{id}``)."""
    return f"/api/v1/pathways/{pathway_id}"


async def course_facts(
    session: AsyncSession, courses: Iterable[str]
) -> dict[str, tuple[float | None, dict[str, str] | None]]:
    """``slug/CODE`` -> (declared ECTS, title) of each published, not withdrawn, course."""
    pairs = sorted({tuple(c.split("/", 1)) for c in courses})
    if not pairs:
        return {}
    rows = await session.execute(
        text("SELECT r.slug, r.code, c.ects, c.document->'title' FROM "
             "unnest(CAST(:s AS text[]), CAST(:c AS text[])) AS r(slug, code) "
             "JOIN institution i ON i.slug = r.slug "
             "JOIN course c ON c.institution_id = i.id AND c.code = r.code "
             "WHERE NOT c.withdrawn"),
        {"s": [p[0] for p in pairs], "c": [p[1] for p in pairs]},
    )
    return {f"{r[0]}/{r[1]}": (None if r[2] is None else float(r[2]), r[3]) for r in rows}


async def lock_learners(session: AsyncSession, emails: list[str]) -> None:
    """Serialise re-evaluations of these learners until this transaction ends; the locks
    are taken in one global order (their keys'), so two transactions naming the same
    learners in other orders cannot deadlock."""
    await session.execute(text(
        "SELECT pg_advisory_xact_lock(:k, h) FROM (SELECT DISTINCT hashtext(e) AS h "
        "FROM unnest(CAST(:e AS text[])) AS e ORDER BY h) AS keys"), {"k": LOCK_CLASS, "e": emails})


# --- inserting ------------------------------------------------------------------------


class NewCredential(Struct, frozen=True, kw_only=True):
    """One ``credential`` row to insert (its issuing institution is the batch's)."""

    id: uuid.UUID
    course_institution_id: int
    course_code: str
    learner_email: str
    document: bytes
    issued_on: date
    valid_until: date | None
    ects: Decimal
    grade: float | None
    status_entry: Allocated
    """Its entry, as ``credentials.status.allocate`` gave it."""
    idempotency_key: str | None = None
    request_hash: str | None = None


_INSERT = """
INSERT INTO credential (id, institution_id, course_institution_id, course_code, learner_email,
    document, issued_on, valid_until, ects, grade, status_list_id, status_index,
    idempotency_key, request_hash)
SELECT u.id, :inst, u.course_inst, u.code, u.email, u.doc, u.issued, u.until, u.ects, u.grade,
    u.sl, u.si, u.key, u.digest
FROM unnest(CAST(:id AS uuid[]), CAST(:course_inst AS integer[]), CAST(:code AS text[]),
    CAST(:email AS text[]), CAST(:doc AS bytea[]), CAST(:issued AS date[]),
    CAST(:until AS date[]), CAST(:ects AS numeric[]), CAST(:grade AS float8[]),
    CAST(:sl AS integer[]), CAST(:si AS integer[]), CAST(:key AS text[]),
    CAST(:digest AS text[]))
    AS u(id, course_inst, code, email, doc, issued, until, ects, grade, sl, si, key, digest)
ON CONFLICT (institution_id, idempotency_key) DO NOTHING
RETURNING id
"""


async def insert_credentials(
    session: AsyncSession, institution_id: int, rows: Sequence[NewCredential]
) -> set[uuid.UUID]:
    """Store ``rows`` in one statement, and queue their award mails in another; the ids
    stored. A row whose idempotency key the institution already used is skipped (a
    concurrent retry won)."""
    result = await session.execute(text(_INSERT), {
        "inst": institution_id,
        "id": [r.id for r in rows], "course_inst": [r.course_institution_id for r in rows],
        "code": [r.course_code for r in rows], "email": [r.learner_email for r in rows],
        "doc": [r.document for r in rows], "issued": [r.issued_on for r in rows],
        "until": [r.valid_until for r in rows], "ects": [r.ects for r in rows],
        "grade": [r.grade for r in rows], "sl": [r.status_entry[0] for r in rows],
        "si": [r.status_entry[2] for r in rows], "key": [r.idempotency_key for r in rows],
        "digest": [r.request_hash for r in rows],
    })
    stored = {r[0] for r in result}
    await queue_award_mails(session, institution_id, [r for r in rows if r.id in stored])
    return stored


# --- status -----------------------------------------------------------------------------

# action -> (statuses it applies to, new status, bit of a legacy 2-bit entry, bit value)
_ACTIONS: dict[str, tuple[tuple[str, ...], str, int, bool]] = {
    "revoke": (("valid", "suspended"), "revoked", REVOKED, True),
    "suspend": (("valid",), "suspended", SUSPENDED, True),
    "unsuspend": (("suspended",), "valid", SUSPENDED, False),
}
# action -> the value of a 1-bit revocation entry afterwards
_REVOCATION_BIT = {"revoke": True, "suspend": True, "unsuspend": False}
_CHANGES: dict[str, Change] = {
    "revoke": "revoked", "suspend": "suspended", "unsuspend": "unsuspended"}


async def apply_status(
    session: AsyncSession, slug: str, credential_id: uuid.UUID, action: StatusAction,
    reason: str | None = None,
) -> tuple[StatusChange, CredentialRow]:
    """Apply ``action`` to a credential ``slug`` issued, row and status bits; 404 for
    another's, 409 when moot. Re-evaluating pathways is the caller's next step."""
    allowed, new, offset, bit = _ACTIONS[action]
    email = await session.scalar(
        text("SELECT c.learner_email FROM credential c JOIN institution i "
             "ON i.id = c.institution_id WHERE c.id = :id AND i.slug = :slug"),
        {"id": credential_id, "slug": slug},
    )
    if email is None:
        raise CredentialNotFound(f"{slug} issued no credential {credential_id}.")
    # The learner's lock before the credential's and the status list's rows.
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
    changed = CredentialRow(
        id=credential_id, institution=slug, learner_email=email, course=f"{owner}/{code}",
        status=new, change=_CHANGES[action],  # type: ignore[arg-type]
    )
    return StatusChange(credential_id, new, reason), changed
