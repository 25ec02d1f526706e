"""Queries on the six partner institutions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import InstitutionNotFound
from catalogue.models import Institution

__all__ = ["get_institution", "list_institutions"]


async def list_institutions(session: AsyncSession) -> list[Institution]:
    return list(await session.scalars(select(Institution).order_by(Institution.slug)))


async def get_institution(session: AsyncSession, slug: str) -> Institution:
    inst = await session.scalar(select(Institution).where(Institution.slug == slug))
    if inst is None:
        raise InstitutionNotFound(slug)
    return inst
