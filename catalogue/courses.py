"""Published courses read back: one by its code, or a page of one institution's.

A course reads as its stored document plus what the registry knows of it (institution,
source, first seen, last changed, content hash and the ETag derived from it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import NotFound
from catalogue.hashing import etag
from catalogue.institutions import get_institution
from catalogue.structs import CourseOut

__all__ = ["get_course", "list_courses"]


_SELECT_OUT = """
SELECT c.document, i.slug, c.withdrawn, c.source, c.first_seen, c.last_changed, c.content_hash, c.code
FROM course c JOIN institution i ON i.id = c.institution_id
"""


def _course_out(row: Sequence[Any]) -> CourseOut:
    document, slug, withdrawn, source, first_seen, last_changed, hash_, _ = row
    return msgspec.convert({
        **document, "institution": slug, "withdrawn": withdrawn, "source": source,
        "first_seen": first_seen, "last_changed": last_changed, "content_hash": hash_,
        "etag": etag(hash_),
    }, CourseOut, from_attributes=False, strict=False)


async def get_course(session: AsyncSession, slug: str, code: str) -> CourseOut:
    row = (await session.execute(
        text(_SELECT_OUT + " WHERE i.slug = :s AND c.code = :c"), {"s": slug, "c": code}
    )).first()
    if row is None:
        await get_institution(session, slug)
        raise NotFound(f"{slug} has no course with code {code!r}.")
    return _course_out(row)


async def list_courses(
    session: AsyncSession, slug: str, *, after: str | None, limit: int
) -> tuple[list[CourseOut], str | None, int]:
    """A page of one institution's courses (withdrawn ones included, flagged), keyset on code."""
    institution = await get_institution(session, slug)
    rows = (await session.execute(
        text(_SELECT_OUT + " WHERE c.institution_id = :i AND (CAST(:after AS text) IS NULL "
             "OR c.code > :after) ORDER BY c.code LIMIT :n"),
        {"i": institution.id, "after": after, "n": limit + 1},
    )).all()
    total = await session.scalar(
        text("SELECT count(*) FROM course WHERE institution_id = :i"), {"i": institution.id}
    )
    items = [_course_out(r) for r in rows[:limit]]
    next_after = rows[limit - 1][7] if len(rows) > limit else None
    return items, next_after, int(total or 0)
