"""The search read model, refreshed in the publishing transaction.

The index itself lives in each application process (``catalogue.search_engine``); what
PostgreSQL keeps is the change stamp it follows and the vocabulary for typo correction.
``refresh`` locks the single ``search_state`` row before drawing a stamp, so concurrent
publishers get stamps in commit order (they serialise on that row until they commit).
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["refresh"]

_LOCK = text("SELECT seq FROM search_state WHERE id = 1 FOR UPDATE")
_STAMP = text("UPDATE search_state SET seq = nextval('search_seq') WHERE id = 1 RETURNING seq")
_MARK = text("UPDATE course SET search_seq = :seq WHERE id = ANY(CAST(:ids AS uuid[]))")
# Words of titles and keywords, folded like catalogue.textproc.fold, for pg_trgm look-ups.
_VOCABULARY = text(r"""
INSERT INTO search_term (term)
SELECT DISTINCT w
FROM course c
CROSS JOIN LATERAL (
    SELECT value FROM jsonb_each_text(coalesce(c.document->'title', '{}'))
    UNION ALL
    SELECT value FROM jsonb_array_elements_text(coalesce(c.document->'keywords', '[]'))
) AS t(value)
CROSS JOIN LATERAL regexp_split_to_table(lower(unaccent(t.value)), '[^[:alnum:]]+') AS w
WHERE c.id = ANY(CAST(:ids AS uuid[])) AND NOT c.withdrawn AND length(w) >= 3
ON CONFLICT (term) DO NOTHING
""")


async def refresh(session: AsyncSession, course_ids: list[uuid.UUID]) -> None:
    """Stamp the changed courses so every app's index picks them up; grow the vocabulary."""
    if not course_ids:
        return
    await session.execute(_LOCK)
    seq = (await session.execute(_STAMP)).scalar_one()
    await session.execute(_MARK, {"seq": seq, "ids": course_ids})
    await session.execute(_VOCABULARY, {"ids": course_ids})
