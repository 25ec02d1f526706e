"""Pathways: defining, versioning, approving, retiring and reading them (their public,
catalogue view is ``credentials.public_pathways``).

A pathway is identified by its awarding institution and code; its public id is a UUID
that stays the same across versions. Posting a body that differs from the latest
version's makes a new version (the same body again changes nothing). A version is
``pending`` until every named partner other than the awarding institution has
approved it (a *joint* pathway), then ``active``; the version it replaces stays active
until then and becomes ``superseded``. Retiring makes the active version ``retired``:
it awards nothing new, while awards already made keep following their constituents.

A body is refused with 422 when it breaks ``schemas/pathway.schema.json`` or when its
rules can never be satisfied (``credentials.rules.check_satisfiable`` against the
published, not withdrawn, courses), each problem at its JSON pointer.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue import search
from catalogue.errors import Conflict, Forbidden, InstitutionNotFound, Invalid
from catalogue.structs import OutStruct
from credentials.awarding import award_existing
from credentials.errors import PathwayNotFound
from credentials.keys import KeyRing
from credentials.progress import compile_document
from credentials.proofs.rdfc import CONTROL_MESSAGE, find_control_chars
from credentials.proofs.signing import jcs
from credentials.public_pathways import State
from credentials.records import course_facts, get_institution, public_url
from credentials.stacked import award_problems
from credentials.rules import Limits, check_satisfiable, referenced_courses
from credentials.validation import validate_pathway

__all__ = [
    "Defined",
    "PathwayOut",
    "VersionOut",
    "approve_pathway",
    "define_pathway",
    "get_pathway",
    "list_pathways",
    "retire_pathway",
]

class VersionOut(OutStruct, kw_only=True):
    version: int
    state: State
    created_at: datetime
    activated_at: datetime | None
    approvals: dict[str, datetime | None]
    """Each partner whose approval the version needs, and when it gave it (null: not yet)."""


class PathwayOut(OutStruct, kw_only=True):
    """The awarding institution's view: the latest body and every version's state."""

    id: uuid.UUID
    institution: str
    code: str
    url: str
    latest_version: int
    active_version: int | None
    retired: bool
    document: dict[str, Any]
    versions: list[VersionOut]


class Defined(OutStruct, kw_only=True):
    outcome: Literal["created", "updated", "unchanged"]
    pathway: PathwayOut
    activated_version_id: int | None = None
    """Set when this call made a version active (and awarded it to learners who qualify)."""


# --- defining -------------------------------------------------------------------------


async def _institution_id(session: AsyncSession, slug: str) -> int:
    found = await session.scalar(text("SELECT id FROM institution WHERE slug = :s"), {"s": slug})
    if found is None:
        raise InstitutionNotFound(slug)
    return int(found)


async def _check(session: AsyncSession, body: Any) -> None:
    # The award's texts end up in signed credentials, where some verifiers choke on them.
    control = find_control_chars(body)
    if control:
        raise Invalid([(p, CONTROL_MESSAGE) for p in control])
    violations = validate_pathway(body)
    if violations:
        raise Invalid([(v.pointer, v.message) for v in violations])
    facts = await course_facts(session, referenced_courses(body["rules"]))
    problems = check_satisfiable(
        body["rules"], Limits.from_pathway(body), {c: f[0] for c, f in facts.items()},
        set(facts), partners=body["partners"],
    )
    if problems:
        raise Invalid([(p.pointer, p.message) for p in problems],
                      detail="These rules can never be satisfied: " +
                      "; ".join(f"{p.pointer}: {p.message}" for p in problems[:3]))


async def _check_award(session: AsyncSession, slug: str, body: dict[str, Any]) -> None:
    """Refuse an award whose texts no stacked credential could carry (a trial signature)."""
    problems = award_problems(compile_document(body, slug, 1), await get_institution(session, slug))
    if problems:
        raise Invalid(problems)


async def define_pathway(
    session: AsyncSession, slug: str, body: Any, *, keyring: KeyRing,
) -> Defined:
    """Create the pathway or add a version; nothing changes when the body is the latest's.

    A version that needs no partner's approval is active at once, and awarded (signed with
    ``keyring``, in this transaction) to every learner who already satisfies it."""
    institution_id = await _institution_id(session, slug)
    await _check(session, body)
    await _check_award(session, slug, body)
    code = body["code"]
    created = (await session.execute(
        text("INSERT INTO pathway (id, institution_id, code, latest_version) "
             "VALUES (:id, :i, :c, 0) ON CONFLICT (institution_id, code) DO NOTHING RETURNING id"),
        {"id": uuid.uuid4(), "i": institution_id, "c": code},
    )).first() is not None
    # The row lock orders concurrent definitions of one pathway: versions stay dense.
    pathway_id, latest, retired = (await session.execute(
        text("SELECT id, latest_version, retired_at IS NOT NULL FROM pathway "
             "WHERE institution_id = :i AND code = :c FOR UPDATE"),
        {"i": institution_id, "c": code},
    )).one()
    if retired:
        raise Conflict(f"Pathway {code!r} is retired; define it under a new code.")
    digest = hashlib.sha256(jcs(body)).hexdigest()
    same = await session.scalar(
        text("SELECT content_hash = :h FROM pathway_version WHERE pathway_id = :p AND version = :v"),
        {"h": digest, "p": pathway_id, "v": latest},
    )
    if same:
        return Defined(outcome="unchanged", pathway=await get_pathway(session, slug, code))
    partners = sorted(set(body["partners"]) - {slug})
    version_id = await _add_version(session, pathway_id, latest + 1, body, digest, partners)
    activated = None
    if not partners:
        await _activate(session, pathway_id, version_id)
        activated = version_id
    defined = Defined(outcome="created" if created else "updated",
                      pathway=await get_pathway(session, slug, code),
                      activated_version_id=activated)
    await _award_activated(session, defined, keyring)
    return defined


async def _add_version(
    session: AsyncSession, pathway_id: uuid.UUID, version: int, body: dict[str, Any],
    digest: str, partners: list[str],
) -> int:
    """Store ``body`` as pending ``version``, its units, and make it the latest; its id."""
    version_id = await session.scalar(
        text("INSERT INTO pathway_version (pathway_id, version, document, content_hash, state, "
             "partners, ects) VALUES (:p, :v, CAST(:d AS jsonb), :h, 'pending', :partners, :e) "
             "RETURNING id"),
        {"p": pathway_id, "v": version, "d": msgspec.json.encode(body).decode(), "h": digest,
         "partners": partners, "e": Decimal(str(body["award"]["ects"]))},
    )
    # Older pending versions will never be approved now: the newest body is the proposal.
    await session.execute(
        text("UPDATE pathway_version SET state = 'superseded' "
             "WHERE pathway_id = :p AND state = 'pending' AND id <> :id"),
        {"p": pathway_id, "id": version_id},
    )
    await session.execute(
        text("INSERT INTO pathway_unit (course, version_id, pathway_id) "
             "SELECT unnest(CAST(:c AS text[])), :v, :p"),
        {"c": sorted(referenced_courses(body["rules"])), "v": version_id, "p": pathway_id},
    )
    await session.execute(text("UPDATE pathway SET latest_version = :v WHERE id = :p"),
                          {"v": version, "p": pathway_id})
    return int(version_id)


async def _award_activated(session: AsyncSession, defined: Defined, keyring: KeyRing) -> None:
    """A version just became active: award it to learners who already satisfy it."""
    if defined.activated_version_id is not None:
        await award_existing(session, defined.activated_version_id, keyring=keyring)


async def _activate(session: AsyncSession, pathway_id: uuid.UUID, version_id: int) -> None:
    await search.stamp(session)  # the catalogue search shows active pathways
    # Two statements: the partial unique index allows one active version at every moment.
    await session.execute(
        text("UPDATE pathway_version SET state = 'superseded' "
             "WHERE pathway_id = :p AND state = 'active'"), {"p": pathway_id},
    )
    await session.execute(
        text("UPDATE pathway_version SET state = 'active', activated_at = now() WHERE id = :v"),
        {"v": version_id},
    )
    await session.execute(
        text("UPDATE pathway_unit SET active = (version_id = :v) WHERE pathway_id = :p "
             "AND (active OR version_id = :v)"), {"v": version_id, "p": pathway_id},
    )


async def approve_pathway(
    session: AsyncSession, slug: str, code: str, approver: str, *, version: int | None = None,
    keyring: KeyRing,
) -> Defined:
    """``approver`` approves the pending version of ``slug``'s pathway ``code``.

    The last approval activates the version, which is then awarded like a new one
    (:func:`define_pathway`).

    404 when there is no such pathway, 403 when ``approver`` is not one of the partners
    whose approval the latest version needs; ``version``, when given, must be that
    pending one (so nobody approves rules they have not seen).
    """
    # The row lock orders approvals of one pathway against each other and new versions.
    row = (await session.execute(
        text("SELECT p.id, p.latest_version, p.retired_at IS NOT NULL, v.id, v.state, "
             "v.partners FROM pathway p JOIN institution i ON i.id = p.institution_id "
             "JOIN pathway_version v ON v.pathway_id = p.id AND v.version = p.latest_version "
             "WHERE i.slug = :s AND p.code = :c FOR UPDATE OF p"),
        {"s": slug, "c": code},
    )).first()
    if row is None:
        await _institution_id(session, slug)
        raise PathwayNotFound(f"{slug} has no pathway with code {code!r}.")
    pathway_id, latest, retired, version_id, state, partners = row
    if approver not in partners:
        if approver == slug:
            raise Forbidden(f"{slug} awards pathway {code!r}; only its partners approve it"
                            + (f" ({', '.join(partners)})." if partners else "."))
        raise Forbidden(f"This key acts for {approver}, which is not a partner named by "
                        f"version {latest} of {slug}'s pathway {code!r}: only "
                        + (", ".join(partners) if partners else "no one") + " approve it.")
    if retired:
        raise Conflict(f"Pathway {code!r} is retired.")
    if version is not None and version != latest:
        raise Conflict(f"Version {version} of {code!r} is not the one awaiting approval "
                       f"(that is version {latest}).")
    if state != "pending":
        raise Conflict(f"Version {latest} of {code!r} is {state}, not awaiting approval.")
    await session.execute(
        text("INSERT INTO pathway_approval (version_id, institution_id) "
             "SELECT :v, id FROM institution WHERE slug = :a ON CONFLICT DO NOTHING"),
        {"v": version_id, "a": approver},
    )
    waiting = await session.scalar(
        text("SELECT count(*) FROM unnest(CAST(:partners AS text[])) AS p(slug) "
             "WHERE NOT EXISTS (SELECT 1 FROM pathway_approval a JOIN institution i "
             "ON i.id = a.institution_id WHERE a.version_id = :v AND i.slug = p.slug)"),
        {"v": version_id, "partners": partners},
    )
    activated = None
    if not waiting:
        await _activate(session, pathway_id, version_id)
        activated = version_id
    defined = Defined(outcome="updated", pathway=await get_pathway(session, slug, code),
                      activated_version_id=activated)
    await _award_activated(session, defined, keyring)
    return defined


async def retire_pathway(session: AsyncSession, slug: str, code: str) -> PathwayOut:
    """Stop awarding: the active and pending versions become ``retired``; 409 if it already is."""
    row = (await session.execute(
        text("UPDATE pathway p SET retired_at = now() FROM institution i "
             "WHERE i.id = p.institution_id AND i.slug = :s AND p.code = :c "
             "AND p.retired_at IS NULL RETURNING p.id"), {"s": slug, "c": code},
    )).first()
    if row is None:
        await get_pathway(session, slug, code)  # 404 when it does not exist
        raise Conflict(f"Pathway {code!r} is already retired.")
    await search.stamp(session)  # the catalogue search shows active pathways only
    await session.execute(
        text("UPDATE pathway_version SET state = 'retired' "
             "WHERE pathway_id = :p AND state IN ('active', 'pending')"), {"p": row[0]},
    )
    await session.execute(text("UPDATE pathway_unit SET active = false WHERE pathway_id = :p "
                               "AND active"), {"p": row[0]})
    return await get_pathway(session, slug, code)


# --- reading --------------------------------------------------------------------------

_SELECT = (
    "SELECT p.id, i.slug, p.code, p.latest_version, p.retired_at IS NOT NULL, "
    "(SELECT version FROM pathway_version WHERE pathway_id = p.id AND state = 'active'), "
    "(SELECT document FROM pathway_version WHERE pathway_id = p.id AND version = p.latest_version) "
    "FROM pathway p JOIN institution i ON i.id = p.institution_id "
)


async def _versions(session: AsyncSession, pathway_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[VersionOut]]:
    rows = await session.execute(
        text("SELECT v.pathway_id, v.version, v.state, v.created_at, v.activated_at, "
             "COALESCE((SELECT jsonb_object_agg(p.slug, a.approved_at) FROM unnest(v.partners) "
             "AS p(slug) JOIN institution i ON i.slug = p.slug LEFT JOIN pathway_approval a "
             "ON a.version_id = v.id AND a.institution_id = i.id), '{}'::jsonb) "
             "FROM pathway_version v WHERE v.pathway_id = ANY(CAST(:ids AS uuid[])) "
             "ORDER BY v.pathway_id, v.version"),
        {"ids": pathway_ids},
    )
    found: dict[uuid.UUID, list[VersionOut]] = {}
    for pid, version, state, created, activated, approvals in rows:
        found.setdefault(pid, []).append(VersionOut(
            version=version, state=state, created_at=created, activated_at=activated,
            approvals={k: None if v is None else datetime.fromisoformat(v)
                       for k, v in approvals.items()}))
    return found


def _out(row: Any, versions: list[VersionOut]) -> PathwayOut:
    pid, slug, code, latest, retired, active, document = row
    return PathwayOut(id=pid, institution=slug, code=code, url=public_url(pid),
                      latest_version=latest, active_version=active, retired=retired,
                      document=document, versions=versions)


async def get_pathway(session: AsyncSession, slug: str, code: str) -> PathwayOut:
    row = (await session.execute(text(_SELECT + "WHERE i.slug = :s AND p.code = :c"),
                                 {"s": slug, "c": code})).first()
    if row is None:
        await _institution_id(session, slug)
        raise PathwayNotFound(f"{slug} has no pathway with code {code!r}.")
    versions = await _versions(session, [row[0]])
    return _out(row, versions.get(row[0], []))


async def list_pathways(
    session: AsyncSession, slug: str, *, after: str | None, limit: int
) -> tuple[list[PathwayOut], str | None]:
    """A page of the pathways ``slug`` awards (retired ones included), keyset on code."""
    await _institution_id(session, slug)
    rows = (await session.execute(
        text(_SELECT + "WHERE i.slug = :s AND (CAST(:after AS text) IS NULL OR p.code > :after) "
             "ORDER BY p.code LIMIT :n"), {"s": slug, "after": after, "n": limit + 1},
    )).all()
    page = rows[:limit]
    versions = await _versions(session, [r[0] for r in page])
    next_after = page[-1][2] if len(rows) > limit else None
    return [_out(r, versions.get(r[0], [])) for r in page], next_after
