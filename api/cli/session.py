"""One transaction per CLI command, on the configured or embedded database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database
from api.settings import Settings, load_settings
from catalogue.errors import DomainError

__all__ = ["cli_session", "run_async"]

T = TypeVar("T")


@asynccontextmanager
async def cli_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction for a CLI command, on the configured or embedded database."""
    database = Database(settings)
    database.open()
    assert database.session_factory is not None
    try:
        async with database.session_factory() as session:
            yield session
            await session.commit()
    finally:
        await database.close()


def run_async(fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def go() -> T:
        async with cli_session(load_settings()) as session:
            return await fn(session)

    try:
        return asyncio.run(go())
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
