"""The search read model, refreshed in the publishing transaction (filled in by the search issue)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["refresh"]


async def refresh(session: AsyncSession, course_ids: list[uuid.UUID]) -> None:
    return None
