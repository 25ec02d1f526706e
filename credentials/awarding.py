"""Stacked credentials: re-evaluating a learner's pathways when a credential changes.

:func:`on_credential_change` runs inside the transaction of every issuance, revocation,
suspension and lifting: the commands (``credentials.issuing``,
``credentials.status_changes``) call it with the app's keyring, and activating a pathway
(``credentials.pathways``) calls :func:`award_existing`. One round trip
(``stacking_state``, migrations 0006 and 0007) finds what the change can affect in the
``pathway_unit`` index: the *active* versions that name the course, and the learner's
awards of the pathways that name it. With none it returns at once. Otherwise it returns
them with the learner's valid credentials (no other status counts), and per pathway:

* an award the learner holds (not revoked) follows the version it was issued for: it
  is suspended when the learner's credentials no longer satisfy that version, and
  unsuspended when they do again, if the suspension was ours (a suspension the
  institution made by hand is left alone);
* without one, the active version is evaluated and, when satisfied, the stacked
  credential (``credentials.stacked``) is issued by the awarding institution, signed and
  stored like any other credential. One award per learner and pathway, whatever its
  version.

Only credentials issued by the pathway's partners (or the awarding institution) count.
An addition can only satisfy more and a removal only less (``credentials.rules``), so
an issuance skips valid awards and a revocation skips pathways without one; a cheap
necessary condition (:func:`credentials.progress.could_satisfy`) skips most of the rest.

**Concurrency.** A transaction-scoped advisory lock per learner serialises re-evaluations
of one learner, so a second transaction sees the first one's constituent once that
commits (without it, two transactions each holding half the parts would both miss the
award). The primary key of ``stacked_credential`` (version, learner) is the guarantee:
the award is claimed with ``INSERT .. ON CONFLICT DO NOTHING`` before anything is signed.
Learners' locks come first in every transaction that changes credentials, in the one
global order of :func:`credentials.records.lock_learners`.

This module builds on ``credentials.records`` (rows, locks, the bare status change) and
never on the commands, so the imports stay one-way: commands -> awarding -> records.
Signing needs the app's :class:`~credentials.keys.KeyRing`, always passed as ``keyring=``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.structs import OutStruct
from credentials.builder import proof_created, sign_checked
from credentials.proofs.jsonld import UnsafeDocument
from credentials.keys import KeyRing
from credentials.progress import (
    Best,
    ByCourse,
    Compiled,
    best_ects,
    by_course,
    compiled,
    could_satisfy,
    held_credentials,
    standing,
)
from credentials.records import (
    LOCK_CLASS,
    CredentialRow,
    NewCredential,
    apply_status,
    get_institution,
    insert_credentials,
    lock_learners,
)
from credentials.stacked import Stacked, is_stacked_course, stacked_course_code
from credentials.rules import Evaluation, Held
from credentials.status import PURPOSE, allocate, list_url, release

__all__ = ["Action", "award_existing", "on_credential_change", "reevaluate"]

log = logging.getLogger("academy.credentials")


class Action(OutStruct, frozen=True):
    """What a re-evaluation did for one pathway."""

    pathway_id: uuid.UUID
    version: int
    kind: Literal["issued", "suspended", "unsuspended"]
    credential_id: uuid.UUID


def _today() -> date:
    return datetime.now(UTC).date()


class _Active(OutStruct, frozen=True, array_like=True, gc=False):
    version_id: int
    pathway_id: str  # text: cheaper to hash than uuid.UUID on this hot path


class _Award(OutStruct, frozen=True, array_like=True, gc=False):
    version_id: int
    pathway_id: str
    credential_id: uuid.UUID
    status: str
    ours: bool
    """Suspended by stacking (so stacking may lift it), not by the institution."""


class _Credentials(OutStruct, frozen=True, array_like=True, gc=False):
    """The learner's valid credentials, column by column (``stacking_state``, 0007)."""

    issuers: list[int]
    ids: list[str]
    owners: list[int]
    """The institution of the course, the first part of ``slug/CODE``."""
    codes: list[str]
    ects: list[float]
    grades: list[float | None]
    issued_on: list[date]
    valid_until: list[date | None]

    def by_course(self, slugs: dict[int, str]) -> ByCourse:
        found: ByCourse = {}
        for issuer, cid, owner, code, ects, grade, issued, until in zip(
                *msgspec.structs.astuple(self), strict=True):
            course = f"{slugs[owner]}/{code}"
            found.setdefault(course, []).append(
                (slugs[issuer], Held(cid, course, ects, grade, issued, "valid", until)))
        return found


class _State(OutStruct, frozen=True, array_like=True, gc=False):
    active: list[_Active]
    """The active versions that name the course."""
    awards: list[_Award]
    """The learner's awards of every pathway a version of which names the course."""
    institutions: list[tuple[int, str]]
    credentials: _Credentials | None

    def held(self) -> ByCourse:
        return {} if self.credentials is None else self.credentials.by_course(
            dict(self.institutions))


_STATE = msgspec.json.Decoder(_State)
_STATE_SQL = "SELECT CAST(stacking_state($1, $2, $3) AS text)"


async def on_credential_change(
    session: AsyncSession, credential_row: CredentialRow, *, keyring: KeyRing,
    today: date | None = None,
) -> list[Action]:
    """Re-evaluate the pathways ``credential_row``'s change can affect (same transaction)."""
    if is_stacked_course(credential_row.course):
        return []
    raw = await _stacking_state(session, credential_row.course, credential_row.learner_email)
    if raw is None:
        return []
    state = _STATE.decode(raw)
    return await _apply(session, credential_row.learner_email, state.active, state.awards,
                        state.held(), course=credential_row.course,
                        change=credential_row.change, keyring=keyring, today=today or _today())


async def _stacking_state(session: AsyncSession, course: str, email: str) -> str | None:
    """``stacking_state`` as JSON text, through asyncpg's cached prepared statement: on
    every issuance, SQLAlchemy's statement handling would cost as much as the query
    itself. Same connection, same transaction."""
    connection = await (await session.connection()).get_raw_connection()
    driver: Any = connection.driver_connection
    if hasattr(driver, "fetchval"):
        return await driver.fetchval(_STATE_SQL, course, email, LOCK_CLASS)  # type: ignore[no-any-return]
    return await session.scalar(text("SELECT CAST(stacking_state(:c, :e, :k) AS text)"),
                                {"c": course, "e": email, "k": LOCK_CLASS})


async def reevaluate(
    session: AsyncSession, email: str, pathway_ids: list[uuid.UUID], *,
    keyring: KeyRing, today: date | None = None,
) -> list[Action]:
    """Bring the learner's awards of ``pathway_ids`` in line with their credentials.

    The caller holds :func:`~credentials.records.lock_learners` for ``email``.
    """
    active = [_Active(r[0], str(r[1])) for r in await session.execute(
        text("SELECT id, pathway_id FROM pathway_version WHERE state = 'active' "
             "AND pathway_id = ANY(CAST(:p AS uuid[]))"), {"p": pathway_ids})]
    awards = [_Award(r[0], str(r[1]), *r[2:]) for r in await session.execute(
        text("SELECT s.version_id, s.pathway_id, s.credential_id, c.status, "
             "s.suspended_by_stacking FROM stacked_credential s JOIN credential c "
             "ON c.id = s.credential_id WHERE s.learner_email = :e "
             "AND s.pathway_id = ANY(CAST(:p AS uuid[]))"), {"e": email, "p": pathway_ids})]
    held = by_course(await held_credentials(session, email))
    return await _apply(session, email, active, awards, held, course=None, change=None,
                        keyring=keyring, today=today or _today())


_ADDS = ("issued", "unsuspended")
_REMOVES = ("revoked", "suspended")


async def _apply(
    session: AsyncSession, email: str, active: list[_Active], awards: list[_Award],
    held: ByCourse, *, course: str | None, change: str | None, keyring: KeyRing,
    today: date,
) -> list[Action]:
    """Follow the awards ``course`` can affect, then award the active versions newly met."""
    live = [a for a in awards if a.status != "revoked"]
    bodies = await compiled(session, [*((a.version_id, a.pathway_id) for a in active),
                                      *((a.version_id, a.pathway_id) for a in live)])
    awarded: dict[str, _Award] = {}
    for award in live:  # the newest version's award when a pathway has several
        known = awarded.get(award.pathway_id)
        if known is None or bodies[award.version_id].version > bodies[known.version_id].version:
            awarded[award.pathway_id] = award
    actions: list[Action] = []
    for award in awarded.values():
        body = bodies[award.version_id]
        if (course is not None and course not in body.course_set
                or change in _ADDS and award.status == "valid"
                or change in _REMOVES and award.status == "suspended"):
            continue
        evaluation = standing(body, held, today, follow=True)
        if (action := await _follow(session, award, body, evaluation.satisfied)) is not None:
            actions.append(action)
    if change in _REMOVES:
        return actions
    bests: dict[tuple[float | None, int | None], Best] = {}
    for version in active:
        body = bodies[version.version_id]
        if version.pathway_id in awarded:
            continue
        limits = (body.limits.min_grade, body.limits.max_age_years)  # few distinct values
        if limits not in bests:
            bests[limits] = best_ects(held, body.limits, today)
        if not could_satisfy(body, bests[limits]):
            continue
        evaluation = standing(body, held, today)
        if evaluation.satisfied:
            action = await _award(session, keyring, version, body, email,
                                  evaluation, held, today)
            if action is not None:
                actions.append(action)
    return actions


async def _follow(
    session: AsyncSession, award: _Award, pathway: Compiled, satisfied: bool
) -> Action | None:
    if not satisfied and award.status == "valid":
        await apply_status(session, pathway.owner, award.credential_id, "suspend",
                            f"The constituent credentials no longer satisfy pathway "
                            f"{pathway.code} version {pathway.version}.")
        kind: Literal["suspended", "unsuspended"] = "suspended"
    elif satisfied and award.status == "suspended" and award.ours:
        await apply_status(session, pathway.owner, award.credential_id, "unsuspend",
                            f"The learner's credentials satisfy pathway {pathway.code} "
                            f"version {pathway.version} again.")
        kind = "unsuspended"
    else:
        return None
    await session.execute(
        text("UPDATE stacked_credential SET suspended_by_stacking = :s WHERE credential_id = :c"),
        {"s": kind == "suspended", "c": award.credential_id},
    )
    return Action(uuid.UUID(award.pathway_id), pathway.version, kind, award.credential_id)


async def _learner_name(session: AsyncSession, parts: Sequence[str]) -> str | None:
    """The name the newest constituent credential gives the learner (never stored apart)."""
    document = await session.scalar(
        text("SELECT document FROM credential WHERE id = ANY(CAST(:ids AS uuid[])) "
             "ORDER BY issued_on DESC, created_at DESC LIMIT 1"), {"ids": list(parts)},
    )
    if document is None:
        return None
    subject = msgspec.json.decode(bytes(document)).get("credentialSubject") or {}
    for identity in subject.get("identifier") or []:
        if identity.get("identityType") == "name" and not identity.get("hashed"):
            return identity.get("identityHash")
    return None


async def _award(
    session: AsyncSession, keyring: KeyRing, version: _Active, pathway: Compiled, email: str,
    evaluation: Evaluation, held: ByCourse, today: date,
) -> Action | None:
    """Claim the award, then build, sign and store the stacked credential."""
    credential_id = uuid.uuid4()
    claim = {"v": version.version_id, "e": email}
    claimed = await session.scalar(
        text("INSERT INTO stacked_credential (version_id, learner_email, pathway_id, "
             "credential_id, parts, total_ects) VALUES (:v, :e, :p, :c, CAST(:parts AS uuid[]), :t) "
             "ON CONFLICT (version_id, learner_email) DO NOTHING RETURNING 1"),
        {**claim, "p": version.pathway_id, "c": credential_id,
         "parts": list(evaluation.counted), "t": Decimal(f"{evaluation.ects_earned:.2f}")},
    )
    if claimed is None:
        return None
    institution = await get_institution(session, pathway.owner)
    courses = {h.id: h.course for found in held.values() for _, h in found}
    stacked = Stacked(
        credential_id=credential_id, pathway_id=version.pathway_id, pathway=pathway,
        institution=institution, email=email,
        name=await _learner_name(session, evaluation.counted) or email,
        parts=list(evaluation.counted), courses=[courses.get(p, "") for p in evaluation.counted],
        total_ects=evaluation.ects_earned, today=today)
    (entry,) = await allocate(session, institution.id, PURPOSE, 1)
    key = await keyring.signing_key(session, institution.id, institution.slug)
    base = keyring.base_url
    unsigned = stacked.unsigned(base, keyring.did(institution.slug),
                                (PURPOSE, list_url(base, institution.slug, PURPOSE, entry[1]),
                                 entry[2]))
    try:
        document = sign_checked(unsigned, key, proof_created())
    except UnsafeDocument:
        # The learner's name (the only text not checked when the pathway was defined)
        # cannot be signed portably: award nothing rather than fail the constituent.
        log.warning("stacked credential of pathway %s not signable; not awarded", pathway.code)
        await release(session, [entry])
        await session.execute(text("DELETE FROM stacked_credential WHERE version_id = :v "
                                   "AND learner_email = :e"), claim)
        return None
    await insert_credentials(session, institution.id, [NewCredential(
        id=credential_id, course_institution_id=institution.id,
        course_code=stacked_course_code(pathway.code, version.pathway_id), learner_email=email,
        document=document, issued_on=today, valid_until=stacked.valid_until,
        ects=Decimal(str(pathway.document["award"]["ects"])), grade=None, status_entry=entry,
    )])
    return Action(uuid.UUID(version.pathway_id), pathway.version, "issued", credential_id)


async def award_existing(
    session: AsyncSession, version_id: int, *, keyring: KeyRing,
    today: date | None = None,
) -> list[Action]:
    """Award a version that just became active to every learner who already satisfies it.

    Every learner's lock is taken up front, in the one global order of
    :func:`~credentials.records.lock_learners`, so an activation cannot deadlock with another or with a batch.
    """
    rows = await session.execute(
        text("SELECT DISTINCT c.learner_email, v.pathway_id FROM pathway_unit u "
             "JOIN pathway_version v ON v.id = u.version_id "
             "JOIN institution o ON o.slug = split_part(u.course, '/', 1) "
             "JOIN credential c ON c.course_institution_id = o.id "
             "AND c.course_code = split_part(u.course, '/', 2) "
             "WHERE u.version_id = :v AND c.status = 'valid' ORDER BY 1"),
        {"v": version_id},
    )
    found = rows.all()
    await lock_learners(session, [email for email, _ in found])
    actions: list[Action] = []
    for email, pathway_id in found:
        actions += await reevaluate(session, email, [pathway_id], keyring=keyring, today=today)
    return actions
