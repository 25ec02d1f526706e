"""Issuing microcredentials: request -> resolved EU elements -> signed OB3 credential -> row.

One code path serves the single and the batch endpoint, in a fixed number of statements
per batch whatever its size: one query loads every course named, one allocates the status
entries (one 2-bit entry per credential, ``credentials.status``), one
``INSERT .. SELECT unnest(..)`` stores the credentials. Between them, per item and in memory: the fast schema checks, building, signing with the
institution's cached key (eddsa-rdfc-2022 via the shape-cached canonicaliser) and one
serialisation. Those bytes are stored and returned as they are.

**Idempotency.** With a key, each item carries ``(institution, key)`` (``key#i`` for item
``i`` of a batch) and the SHA-256 of its JCS form. The unique constraint on
``(institution_id, idempotency_key)`` decides races: the insert skips a conflicting row,
and the item then resolves to the stored credential when the bodies are equal, to a
conflict when they differ.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import InstitutionNotFound
from credentials.award_mail import queue_award_mails
from credentials.builder import build_credential, normalise_email
from credentials.errors import IdempotencyConflict, Invalid
from credentials.fastschema import check_request, check_resolved, ob3_violations
from credentials.keys import KeyRing, SigningKey
from credentials.rdfc import find_control_chars
from credentials.signing import jcs, sign
from credentials.stacking import normalise_grade
from credentials.stacking_hook import CredentialRow, lock_learners, on_credential_change
from credentials.status import PURPOSE, Allocated, allocate, list_url, release

__all__ = [
    "MAX_BATCH",
    "Institution",
    "NewCredential",
    "Outcome",
    "credential_iri",
    "insert_credentials",
    "issue",
    "issue_one",
    "issuer_profile",
    "proof_created",
    "sign_checked",
]

MAX_BATCH = 1000
DEFAULTED = ("title", "learning_outcomes", "ects", "eqf_level", "languages", "isced_codes",
             "prerequisites")
CONTROL_MESSAGE = ("must not contain control characters (U+0000-U+001F other than tab, LF and "
                   "CR, or U+007F)")
_encode = msgspec.json.Encoder().encode


class Institution(msgspec.Struct, frozen=True):
    id: int
    slug: str
    name: str
    country: str
    website: str


class Outcome(msgspec.Struct, kw_only=True):
    """One item's result; ``document`` holds the exact bytes issued (new or earlier)."""

    index: int
    status: Literal["created", "existing", "invalid", "conflict"]
    id: uuid.UUID | None = None
    document: bytes | None = None
    errors: list[tuple[str, str]] | None = None


class _Item(msgspec.Struct, kw_only=True):
    index: int
    body: dict[str, Any]
    resolved: dict[str, Any] | None = None
    course: tuple[int, str, str] | None = None  # owner id, owner slug, code
    description: dict[str, str] | None = None
    key: str | None = None
    digest: str | None = None


def credential_iri(base_url: str, credential_id: uuid.UUID) -> str:
    return f"{base_url}/api/v1/credentials/{credential_id}"


async def get_institution(session: AsyncSession, slug: str) -> Institution:
    row = (await session.execute(
        text("SELECT id, slug, name, country, website FROM institution WHERE slug = :s"),
        {"s": slug},
    )).first()
    if row is None:
        raise InstitutionNotFound(slug)
    return Institution(*row)


def _precheck(index: int, body: Any) -> _Item | Outcome:
    if not isinstance(body, dict):
        return Outcome(index=index, status="invalid", errors=[("", "must be a JSON object")])
    control = find_control_chars(body)
    if control:
        return Outcome(index=index, status="invalid",
                       errors=[(p, CONTROL_MESSAGE) for p in control])
    violations = check_request(body)
    if violations:
        return Outcome(index=index, status="invalid",
                       errors=[(v.pointer, v.message) for v in violations])
    return _Item(index=index, body=body)


def _course_ref(slug: str, value: str) -> tuple[str, str]:
    owner, _, code = value.rpartition("/")
    return (owner or slug, code)


class _Course(msgspec.Struct, frozen=True):
    owner_id: int
    document: dict[str, Any]
    since: date
    """The first day the course is known to have existed: its first publication here, or
    the start of its earliest edition if that is earlier."""
    pathway_partner: bool
    """The issuer is a named partner of an active pathway that counts this course."""


async def _load_courses(
    session: AsyncSession, slug: str, refs: set[tuple[str, str]]
) -> dict[tuple[str, str], _Course]:
    if not refs:
        return {}
    ordered = sorted(refs)
    rows = await session.execute(
        text("SELECT r.slug, r.code, c.institution_id, c.document, "
             "LEAST(c.first_seen::date, (SELECT min(o.start_date) FROM offering o "
             "WHERE o.course_id = c.id)), "
             "EXISTS (SELECT 1 FROM pathway_unit u JOIN pathway_version v ON v.id = u.version_id "
             "WHERE u.active AND u.course = r.slug || '/' || r.code "
             "AND CAST(:issuer AS text) = ANY(v.partners)) FROM "
             "unnest(CAST(:s AS text[]), CAST(:c AS text[])) AS r(slug, code) "
             "JOIN institution i ON i.slug = r.slug "
             "JOIN course c ON c.institution_id = i.id AND c.code = r.code"),
        {"s": [r[0] for r in ordered], "c": [r[1] for r in ordered], "issuer": slug},
    )
    return {(r[0], r[1]): _Course(int(r[2]), r[3], r[4], bool(r[5])) for r in rows}


def _text_problems(body: dict[str, Any], course: dict[str, Any]) -> list[tuple[str, str]]:
    """Title, ECTS and learning outcomes come from the course: a body may narrow them
    (fewer outcomes, fewer ECTS for a part of the course), never change or inflate them."""
    problems = []
    title, known_title = body.get("title"), course.get("title") or {}
    if title is not None and (
            title not in known_title.values() if isinstance(title, str)
            else any(known_title.get(lang) != value for lang, value in title.items())):
        problems.append(("/title", "the title comes from the course; leave it out, or publish "
                                   "the course with the new title first"))
    outcomes = body.get("learning_outcomes")
    if outcomes is not None:
        known = course.get("learning_outcomes") or []
        for i, outcome in enumerate(outcomes):
            if outcome not in known:
                problems.append((f"/learning_outcomes/{i}",
                                 "not one of the course's learning outcomes: name a subset of "
                                 "them, or publish the course with this outcome first"))
    ects, declared = body.get("ects"), course.get("ects")
    if ects is not None and (declared is None or ects > declared):
        problems.append(("/ects", f"at most the course's {declared} ECTS" if declared is not None
                         else "the course declares no ECTS: publish the course with its ECTS "
                              "first"))
    return problems


def _date_problems(resolved: dict[str, Any], since: date) -> list[tuple[str, str]]:
    try:
        issued = date.fromisoformat(resolved["issued_on"])
    except (TypeError, ValueError):
        return []  # the schema check names it
    if issued > datetime.now(UTC).date():
        return [("/issued_on", "must not be in the future: issue the credential on or after "
                               "the day it is earned")]
    if issued < since:
        return [("/issued_on", f"must not be before the course existed ({since.isoformat()}, "
                               "its first publication or earliest edition)")]
    return []


def _resolve(item: _Item, institution: Institution, did: str,
             courses: dict[tuple[str, str], _Course]) -> Outcome | None:
    """Merge course defaults, the body and the issuer; an Outcome when that is not possible.

    A partner issues for its own courses, and for another partner's course only when it is
    a named partner of an active pathway that counts that course (a course's own
    ``joint_partners`` is what the owner says of it, not a licence to issue)."""
    owner, code = _course_ref(institution.slug, item.body["course"])
    found = courses.get((owner, code))
    if found is None:
        return Outcome(index=item.index, status="invalid",
                       errors=[("/course", f"no course {code!r} of {owner} is published")])
    course = found.document
    if owner != institution.slug and not found.pathway_partner:
        message = (f"{owner}/{code} is not a course of {institution.slug} nor of an active "
                   f"joint pathway {institution.slug} is a named partner of")
        return Outcome(index=item.index, status="invalid", errors=[("/course", message)])
    problems = _text_problems(item.body, course)
    if problems:
        return Outcome(index=item.index, status="invalid", errors=problems)
    resolved = {k: course[k] for k in DEFAULTED if course.get(k) is not None}
    resolved.update(item.body)
    resolved["country"] = institution.country
    resolved["awarding_body"] = {"id": did, "name": institution.name, "slug": institution.slug,
                                 "url": institution.website}
    resolved.setdefault("issued_on", datetime.now(UTC).date().isoformat())
    violations = check_resolved(resolved)
    if violations:
        return Outcome(index=item.index, status="invalid",
                       errors=[(v.pointer, v.message) for v in violations])
    problems = _date_problems(resolved, found.since)
    if problems:
        return Outcome(index=item.index, status="invalid", errors=problems)
    item.resolved = resolved
    item.course = (found.owner_id, owner, code)
    item.description = course.get("description")
    return None


async def _stored(
    session: AsyncSession, institution_id: int, keys: list[str]
) -> dict[str, tuple[uuid.UUID, str | None, bytes]]:
    if not keys:
        return {}
    rows = await session.execute(
        text("SELECT idempotency_key, id, request_hash, document FROM credential "
             "WHERE institution_id = :i AND idempotency_key = ANY(CAST(:k AS text[]))"),
        {"i": institution_id, "k": keys},
    )
    return {r[0]: (r[1], r[2], bytes(r[3])) for r in rows}


def _replay(item: _Item, stored: tuple[uuid.UUID, str | None, bytes]) -> Outcome:
    credential_id, digest, document = stored
    if digest != item.digest:
        return Outcome(index=item.index, status="conflict", errors=[(
            "header:Idempotency-Key",
            "this key was used with a different body; use a new key for a new credential",
        )])
    return Outcome(index=item.index, status="existing", id=credential_id, document=document)


def _grade(resolved: dict[str, Any]) -> float | None:
    assessment = resolved["assessment"]
    if "grade" not in assessment:
        return None
    return normalise_grade(assessment["grade"], assessment["grade_scale"])


async def issue(
    session: AsyncSession,
    keyring: KeyRing,
    slug: str,
    bodies: Sequence[Any],
    *,
    idempotency_key: str | None = None,
) -> list[Outcome]:
    """Issue one credential per body (at most ``MAX_BATCH``); one Outcome per body, in order."""
    if len(bodies) > MAX_BATCH:
        raise Invalid([("", f"at most {MAX_BATCH} credentials per batch")])
    institution = await get_institution(session, slug)
    did = keyring.did(slug)
    outcomes: dict[int, Outcome] = {}
    items: list[_Item] = []
    for index, body in enumerate(bodies):
        checked = _precheck(index, body)
        if isinstance(checked, Outcome):
            outcomes[index] = checked
        else:
            items.append(checked)
    refs = {_course_ref(slug, item.body["course"]) for item in items}
    courses = await _load_courses(session, slug, refs)
    ready: list[_Item] = []
    for item in items:
        failed = _resolve(item, institution, did, courses)
        if failed is not None:
            outcomes[item.index] = failed
        else:
            ready.append(item)
    if idempotency_key is not None:
        single = len(bodies) == 1
        for item in ready:
            item.key = idempotency_key if single else f"{idempotency_key}#{item.index}"
            item.digest = hashlib.sha256(jcs(item.body)).hexdigest()
        stored = await _stored(session, institution.id, [i.key for i in ready if i.key])
        fresh = []
        for item in ready:
            if item.key in stored:
                outcomes[item.index] = _replay(item, stored[item.key])
            else:
                fresh.append(item)
        ready = fresh
    if ready:
        for outcome in await _sign_and_store(session, keyring, institution, ready):
            outcomes[outcome.index] = outcome
    return [outcomes[i] for i in range(len(bodies))]


def issuer_profile(institution: Institution, did: str) -> dict[str, str]:
    """What ``build_credential`` says of the issuer."""
    return {"id": did, "name": institution.name, "url": institution.website,
            "country": institution.country}


def proof_created() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_checked(unsigned: dict[str, Any], key: SigningKey, created: str) -> bytes:
    """Sign ``unsigned`` and serialise it once: the bytes to store and return.

    A credential that breaks the OB3 schema is our builder's bug, never the caller's:
    refused with RuntimeError. ``UnsafeDocument`` (not signable portably) passes through.
    """
    signed = sign(unsigned, key.private_key, key.verification_method, created)
    problems = ob3_violations(signed)
    if problems:
        raise RuntimeError(f"built credential breaks the OB3 schema: {problems[:3]}")
    return _encode(signed)


class NewCredential(msgspec.Struct, frozen=True, kw_only=True):
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


async def _sign_and_store(
    session: AsyncSession, keyring: KeyRing, institution: Institution, items: list[_Item]
) -> list[Outcome]:
    slug, base = institution.slug, keyring.base_url
    # Learners' re-evaluation locks before the status list's, in one global order: awarding
    # holds a learner's lock when it allocates a status entry for a stacked credential.
    await lock_learners(session, [normalise_email(item.resolved["learner"]["email"])
                                  for item in items if item.resolved is not None])
    allocated = await allocate(session, institution.id, PURPOSE, len(items))
    key = await keyring.signing_key(session, institution.id, slug)
    created = proof_created()
    issuer = issuer_profile(institution, keyring.did(slug))
    rows: list[NewCredential] = []
    for item, entry in zip(items, allocated, strict=True):
        assert item.resolved is not None and item.course is not None
        credential_id = uuid.uuid4()
        owner_id, owner, code = item.course
        unsigned = build_credential(
            item.resolved,
            credential_id=credential_iri(base, credential_id),
            issuer=issuer,
            achievement_id=f"{base}/api/v1/institutions/{owner}/courses/{code}",
            description=item.description,
            salt=secrets.token_hex(16),
            status=(PURPOSE, list_url(base, slug, PURPOSE, entry[1]), entry[2]),
        )
        resolved = item.resolved
        rows.append(NewCredential(
            id=credential_id, course_institution_id=owner_id, course_code=code,
            learner_email=normalise_email(resolved["learner"]["email"]),
            document=sign_checked(unsigned, key, created),
            issued_on=date.fromisoformat(resolved["issued_on"]),
            valid_until=date.fromisoformat(resolved["valid_until"])
            if resolved.get("valid_until") else None,
            ects=Decimal(str(resolved["ects"])), grade=_grade(resolved), status_entry=entry,
            idempotency_key=item.key, request_hash=item.digest,
        ))
    inserted = await insert_credentials(session, institution.id, rows)
    outcomes, lost, lost_items = [], [], []
    for item, row in zip(items, rows, strict=True):
        if row.id in inserted:
            outcomes.append(Outcome(index=item.index, status="created", id=row.id,
                                    document=row.document))
            assert item.course is not None
            await on_credential_change(session, CredentialRow(
                id=row.id, institution=slug, course=f"{item.course[1]}/{row.course_code}",
                learner_email=row.learner_email, status="valid", change="issued",
            ))
        else:
            lost.append(row.status_entry)
            lost_items.append(item)
    if lost_items:  # a concurrent retry with the same key won: answer with its credential
        await release(session, lost)
        stored = await _stored(session, institution.id, [i.key for i in lost_items if i.key])
        outcomes += [_replay(item, stored[item.key]) for item in lost_items if item.key]
    return outcomes


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


async def issue_one(
    session: AsyncSession, keyring: KeyRing, slug: str, body: Any, *,
    idempotency_key: str | None = None,
) -> Outcome:
    """Issue one credential; raises ``Invalid`` (422) or ``IdempotencyConflict`` (409)."""
    (outcome,) = await issue(session, keyring, slug, [body], idempotency_key=idempotency_key)
    if outcome.status == "invalid":
        raise Invalid(outcome.errors or [])
    if outcome.status == "conflict":
        raise IdempotencyConflict("This Idempotency-Key was already used with a different body.")
    return outcome
