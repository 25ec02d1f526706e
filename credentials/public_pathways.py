"""Pathways as public catalogue items: the active (or a once active) version, its units.

Anyone reads these (``/api/v1/pathways``); the awarding institution's own view, with
every version's state and approvals, is ``credentials.pathways``.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.structs import OutStruct
from credentials.errors import PathwayNotFound
from credentials.records import course_facts, public_url
from credentials.rules import referenced_courses

__all__ = ["PublicPathway", "UnitOut", "list_public_pathways", "public_pathway",
           "public_pathway_by_code"]

State = Literal["pending", "active", "superseded", "retired"]


class UnitOut(OutStruct, kw_only=True):
    course: str
    title: dict[str, str] | None
    ects: float | None
    url: str
    label: dict[str, str] | None = None


class PublicPathway(OutStruct, kw_only=True):
    """A pathway as a catalogue item: what it leads to and which courses make it up."""

    id: uuid.UUID
    type: Literal["pathway"] = "pathway"
    institution: str
    code: str
    url: str
    version: int
    state: State
    title: dict[str, str]
    description: dict[str, str]
    award: dict[str, Any]
    rules: dict[str, Any]
    min_total_ects: float | None
    max_age_years: int | None
    min_grade: float | None
    partners: list[str]
    units: list[UnitOut]


_PUBLIC = (
    "SELECT p.id, i.slug, p.code, v.version, v.state, v.document FROM pathway p "
    "JOIN institution i ON i.id = p.institution_id JOIN pathway_version v ON v.pathway_id = p.id "
)


async def _public(session: AsyncSession, row: Any) -> PublicPathway:
    pid, slug, code, version, state, doc = row
    facts = await course_facts(session, referenced_courses(doc["rules"]))
    units = [
        UnitOut(course=course, title=facts.get(course, (None, None))[1],
                ects=facts.get(course, (None, None))[0], label=label,
                url="/api/v1/institutions/{}/courses/{}".format(*course.split("/", 1)))
        for course, label in _units(doc["rules"])
    ]
    return PublicPathway(
        id=pid, institution=slug, code=code, url=public_url(pid), version=version, state=state,
        title=doc["title"], description=doc["description"], award=doc["award"],
        rules=doc["rules"], min_total_ects=doc.get("min_total_ects"),
        max_age_years=doc.get("max_age_years"), min_grade=doc.get("min_grade"),
        partners=doc["partners"], units=units,
    )


def _units(node: dict[str, Any]) -> list[tuple[str, dict[str, str] | None]]:
    if "course" in node:
        return [(node["course"], node.get("label"))]
    return [unit for child in node.get("all") or node.get("of") or () for unit in _units(child)]


async def public_pathway(
    session: AsyncSession, pathway_id: str, version: int | None = None
) -> PublicPathway:
    """The active version (or the one retired last), or ``version`` if it was ever active."""
    try:
        pid = uuid.UUID(pathway_id)
    except ValueError:
        raise PathwayNotFound(f"No pathway {pathway_id!r}.") from None
    row = (await session.execute(
        text(_PUBLIC + "WHERE p.id = :p AND v.activated_at IS NOT NULL "
             "AND (CAST(:v AS integer) IS NULL OR v.version = :v) "
             "ORDER BY v.state = 'active' DESC, v.version DESC LIMIT 1"),
        {"p": pid, "v": version},
    )).first()
    if row is None:
        what = f"version {version} of pathway" if version else "pathway"
        raise PathwayNotFound(f"No published {what} {pathway_id}.")
    return await _public(session, row)


async def public_pathway_by_code(session: AsyncSession, slug: str, code: str) -> PublicPathway:
    """The awarding institution's pathway ``code`` as ``public_pathway`` shows it: the active
    version, else the one retired last; never one that was only ever pending."""
    row = (await session.execute(
        text(_PUBLIC + "WHERE i.slug = :s AND p.code = :c AND v.activated_at IS NOT NULL "
             "ORDER BY v.state = 'active' DESC, v.version DESC LIMIT 1"),
        {"s": slug, "c": code},
    )).first()
    if row is None:
        raise PathwayNotFound(f"{slug} has no published pathway {code!r}.")
    return await _public(session, row)


async def list_public_pathways(
    session: AsyncSession, *, q: str | None, institution: str | None, course: str | None,
    after: str | None, limit: int,
) -> tuple[list[PublicPathway], str | None]:
    """Active pathways, keyset on id; ``q`` matches title, description or award title words,
    ``course`` (``slug/CODE``) keeps the pathways a course counts towards."""
    like = None if not q else "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = (await session.execute(
        text(_PUBLIC + "WHERE v.state = 'active' "
             "AND (CAST(:i AS text) IS NULL OR i.slug = :i) "
             "AND (CAST(:after AS uuid) IS NULL OR p.id > CAST(:after AS uuid)) "
             "AND (CAST(:course AS text) IS NULL OR EXISTS (SELECT 1 FROM pathway_unit u "
             "WHERE u.version_id = v.id AND u.course = :course)) "
             "AND (CAST(:q AS text) IS NULL OR p.code ILIKE :q "
             "OR CAST(v.document->'title' AS text) ILIKE :q "
             "OR CAST(v.document->'description' AS text) ILIKE :q "
             "OR CAST(v.document->'award'->'title' AS text) ILIKE :q) "
             "ORDER BY p.id LIMIT :n"),
        {"i": institution, "after": after, "course": course, "q": like, "n": limit + 1},
    )).all()
    page = rows[:limit]
    items = [await _public(session, r) for r in page]
    return items, (str(page[-1][0]) if len(rows) > limit else None)
