"""Helpers that test modules import (a conftest is for fixtures, not for importing)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text

from api.db import make_engine, run_migrations

__all__ = ["TEST_SECRET", "bearer", "migrated_database", "with_database"]

TEST_SECRET = "test-secret-key-not-for-production-0123456789"


def with_database(url: str, name: str) -> str:
    """The same server URL with another database name (the query may hold a socket path)."""
    base, sep, query = url.partition("?")
    return f"{base.rpartition('/')[0]}/{name}{sep}{query}"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@asynccontextmanager
async def migrated_database(database_url: str, prefix: str) -> AsyncIterator[str]:
    """A fresh database beside ``database_url``, migrated; its URL until the block ends,
    then dropped (for apps that commit for real)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = with_database(database_url, name)
    engine = make_engine(url)
    async with engine.connect() as conn:
        await conn.run_sync(run_migrations)
        await conn.commit()
    await engine.dispose()
    try:
        yield url
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        await admin.dispose()
