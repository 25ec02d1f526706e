"""Alembic environment: async engine, or a connection handed over in ``config.attributes``."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from catalogue.models import Base

target_metadata = Base.metadata


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(url: str) -> None:
    from api.db import make_engine

    engine = make_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        from api.db import Database
        from api.settings import load_settings

        url = Database(load_settings()).url()
    asyncio.run(run_async_migrations(url))


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `academy db upgrade`.")
run_migrations_online()
