"""Helpers shared by the catalogue's test modules (not a test module itself)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalogue.institutions import get_institution
from catalogue.service import prepare_many, store

__all__ = ["publish_catalogue"]


async def publish_catalogue(session_factory: async_sessionmaker[AsyncSession],
                            catalogue: Mapping[str, Sequence[dict[str, Any]]]) -> None:
    """Publish every institution's documents through the real service, and commit."""
    async with session_factory() as session:
        for slug, docs in catalogue.items():
            ready, invalid = prepare_many(list(docs))
            assert not invalid, invalid
            await store(session, (await get_institution(session, slug)).id, ready)
        await session.commit()
