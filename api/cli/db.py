"""``academy db``: the schema, migrated by Alembic."""

from __future__ import annotations

import asyncio

import click

from api.db import Database, run_migrations
from api.settings import load_settings

__all__ = ["db", "pending_revision", "upgrade"]


async def upgrade(url: str, revision: str) -> None:
    from api.db import make_engine, normalise_url

    engine = make_engine(normalise_url(url))
    try:
        async with engine.connect() as conn:
            await conn.run_sync(run_migrations, revision)
            await conn.commit()
    finally:
        await engine.dispose()


async def pending_revision(url: str) -> str | None:
    """Why the database at ``url`` is not at the latest migration, or None when it is."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    from api.db import MIGRATIONS_DIR, make_engine, normalise_url

    heads = set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())
    engine = make_engine(normalise_url(url))
    try:
        async with engine.connect() as conn:
            try:
                current = set((await conn.execute(
                    text("SELECT version_num FROM alembic_version"))).scalars())
            except ProgrammingError:
                return "it has no schema yet"
    finally:
        await engine.dispose()
    if current != heads:
        return f"at {', '.join(sorted(current)) or 'no revision'}, the code needs " \
               f"{', '.join(sorted(heads))}"
    return None


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations (creates extensions, seeds the partners)."""

    async def go() -> None:
        database = Database(load_settings())
        database.open()
        assert database.engine is not None
        try:
            async with database.engine.connect() as conn:
                await conn.run_sync(run_migrations, revision)
                await conn.commit()
        finally:
            await database.close()

    asyncio.run(go())
    click.echo(f"database at revision {revision}")
