"""The search read model's PostgreSQL side, kept in step inside the publishing transaction.

The index itself lives in each application process (``catalogue.search_engine``); what
PostgreSQL keeps is the change stamp it follows and the vocabulary for typo correction.
``stamp`` locks the single ``search_state`` row before drawing a stamp, so concurrent
publishers get stamps in commit order (they serialise on that row until they commit);
writers set ``course.search_seq`` to it in the same statement that changes the row.
"""

from __future__ import annotations


from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["add_words", "stamp"]

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
