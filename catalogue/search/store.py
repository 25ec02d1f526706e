"""The search package's only database access: the change stamp, the typo vocabulary, the rows.

Writers (publishing, pathways) keep the read model in step inside their own transaction:
``stamp`` locks the single ``search_state`` row before drawing a stamp, so concurrent
publishers get stamps in commit order (they serialise on that row until they commit);
writers set ``course.search_seq`` to it in the same statement that changes the row, and
``add_words`` grows the vocabulary pg_trgm corrects typos against. The index in each
application process (``catalogue.search.snapshot``) reads the stamp and the courses
stamped since through the functions below.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from catalogue.search.snapshot import IndexedCourse, IndexedOffering

__all__ = ["add_words", "driver", "load_courses", "no_reset", "open_pool", "read_checksum",
           "read_documents", "read_stamp", "similar_terms", "stamp"]

_LOCK = text("SELECT seq FROM search_state WHERE id = 1 FOR UPDATE")
_STAMP = text("UPDATE search_state SET seq = nextval('search_seq') WHERE id = 1 RETURNING seq")
_WORDS = text("""
INSERT INTO search_term (term) SELECT unnest(CAST(:words AS text[]))
ON CONFLICT (term) DO NOTHING
""")


async def stamp(session: AsyncSession) -> int:
    """Draw the next change stamp, holding the stamp lock until this transaction ends.

    Writers take the stamp *before* touching course rows, so every writer locks in the
    same order (stamp, then rows) and cannot deadlock another.
    """
    await session.execute(_LOCK)
    return int((await session.execute(_STAMP)).scalar_one())


async def add_words(session: AsyncSession, words: list[str]) -> None:
    """Grow the typo vocabulary with folded words computed by the caller."""
    if words:
        await session.execute(_WORDS, {"words": words})


async def driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session, in the session's transaction if one began.

    The per-request statements (stamp, typo look-up, hydration) are read-only and run on the
    driver directly: SQLAlchemy's per-statement overhead is most of a search's budget.
    """
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def no_reset(connection: Any) -> None:
    """The pool's connections only ever run plain reads: nothing to reset between uses."""


async def open_pool(engine: AsyncEngine, size: int) -> Any:
    """A small pool of plain asyncpg connections to ``engine``'s database, for reads."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.create_pool(url, min_size=1, max_size=size, reset=no_reset)


async def read_stamp(db: Any) -> int:
    return int(await db.fetchval("SELECT seq FROM search_state WHERE id = 1") or 0)


async def read_checksum(session: AsyncSession) -> tuple[int, int]:
    row = (await session.execute(text(
        "SELECT count(*), coalesce(sum(search_seq), 0) FROM course WHERE NOT withdrawn"
    ))).one()
    return int(row[0]), int(row[1])


_COURSES = """
SELECT c.id, c.search_seq, i.slug, c.withdrawn, c.type, c.microcredential, c.ects::float8,
       c.eqf_level, c.languages, c.mode, c.isced_codes,
       coalesce((SELECT string_agg(v #>> '{}', E'\\n') FROM jsonb_path_query(c.document, '$.title.*') v), ''),
       coalesce(c.document->'title'->>'nl', c.document->'title'->>'en',
                (SELECT min(v #>> '{}') FROM jsonb_path_query(c.document, '$.title.*') v), ''),
       coalesce((SELECT string_agg(v #>> '{}', E'\\n') FROM jsonb_path_query(
           c.document, '$.keywords[*] ? (@.type() == "string")') v), ''),
       coalesce((SELECT string_agg(v #>> '{}', E'\\n') FROM jsonb_path_query(
           c.document, '$.skills[*].label') v), ''),
       coalesce((SELECT string_agg(v #>> '{}', E'\\n') FROM jsonb_path_query(
           c.document, '$.learning_outcomes[*].*') v), ''),
       coalesce((SELECT string_agg(v #>> '{}', E'\\n') FROM jsonb_path_query(
           c.document, '$.description.*') v), ''),
       coalesce((SELECT string_agg(v #>> '{}', E'\\n') FROM jsonb_path_query(
           c.document, '$.target_group.*') v), ''),
       i.name || E'\\n' || i.short_name
FROM course c JOIN institution i ON i.id = c.institution_id
"""
_OFFERINGS = """
SELECT o.course_id, o.start_date, o.city, o.price_eur::float8, coalesce(o.status = 'cancelled', false)
FROM offering o JOIN course c ON c.id = o.course_id
"""


async def load_courses(session: AsyncSession, *, after: int | None
                ) -> tuple[list[IndexedCourse], list[IndexedOffering]]:
    """Every live course (``after`` None) or every course stamped after ``after``."""
    where = " WHERE NOT c.withdrawn" if after is None else " WHERE c.search_seq > :after"
    params = {} if after is None else {"after": after}
    rows = await session.execute(text(_COURSES + where), params)
    courses = [
        IndexedCourse(
            id=r[0], seq=r[1], institution=r[2], withdrawn=r[3], type=r[4], microcredential=r[5],
            ects=r[6], eqf_level=r[7], languages=r[8] or (), mode=r[9], isced_codes=r[10] or (),
            title=r[11], sort_title=r[12], subject="\n".join(filter(None, r[13:16])),
            body="\n".join(filter(None, r[16:18])), place=r[18],
            keywords=tuple(k for k in r[13].split("\n") if k),
        )
        for r in rows
    ]
    live = " AND NOT c.withdrawn" + ("" if after is None else " AND c.search_seq > :after")
    offerings = [IndexedOffering(*r) for r in await session.execute(
        text(_OFFERINGS + " WHERE true" + live), params)]
    return courses, offerings


_TRIGRAM = """
SELECT q.w, t.term
FROM unnest($1::text[]) AS q(w)
CROSS JOIN LATERAL (
    SELECT term FROM search_term
    WHERE term % q.w AND term <> q.w
    ORDER BY similarity(term, q.w) DESC, term
    LIMIT 5
) AS t
"""


async def similar_terms(db: Any, words: list[str]) -> list[Any]:
    """``(word, term)`` pairs: up to five vocabulary terms pg_trgm finds near each word."""
    return await db.fetch(_TRIGRAM, words)  # type: ignore[no-any-return]


_DOCUMENTS = """
SELECT c.id, i.slug, c.document::text, c.content_hash
FROM course c JOIN institution i ON i.id = c.institution_id
WHERE c.id = ANY($1::uuid[]) AND NOT c.withdrawn
"""


async def read_documents(db: Any, ids: list[Any]) -> list[Any]:
    """``(id, institution slug, document text, content hash)`` of the live courses ``ids``."""
    return await db.fetch(_DOCUMENTS, ids)  # type: ignore[no-any-return]
