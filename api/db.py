"""Engine, the per-request session (one transaction per request) and database lifecycle."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from api.embedded import EmbeddedPostgres
from api.settings import Settings

__all__ = [
    "Database",
    "DbSession",
    "driver_connection",
    "driver_of",
    "provide_session",
    "run_migrations",
    "is_connection_error",
]

DbSession = NamedDependency[AsyncSession]
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class Database:
    """The engine and session factory, plus the embedded server when no DATABASE_URL is set."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedded: EmbeddedPostgres | None = None
        self.engine: AsyncEngine | None = None
        self.session_factory: async_sessionmaker[AsyncSession] | None = None

    def url(self) -> str:
        if self.settings.database_url:
            return normalise_url(self.settings.database_url)
        self.embedded = EmbeddedPostgres(self.settings.data_dir)
        return self.embedded.start()

    def open(self) -> None:
        self.engine = make_engine(self.url())
        self.session_factory = async_sessionmaker(self.engine, expire_on_commit=False)

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()
        if self.embedded is not None and self.embedded.started_here:
            await asyncio.to_thread(self.embedded.stop)


def normalise_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        # No pre-ping (it costs round trips on every checkout); a disconnect invalidates the
        # pool instead, so after an outage one request fails with 503 and the next reconnect.
        pool_pre_ping=False,
        pool_timeout=5,
        connect_args={"timeout": 5, "command_timeout": 60},
        # SQL errors are logged with their statement, never with its values (e-mail
        # addresses, token hashes, documents).
        hide_parameters=True,
        **kwargs,  # type: ignore[arg-type]
    )


def is_connection_error(exc: BaseException) -> bool:
    """True when the database is unreachable rather than the statement being wrong."""
    if isinstance(exc, (InterfaceError, OperationalError, ConnectionError, OSError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    name = type(getattr(exc, "orig", exc)).__name__
    return name in {"ConnectionDoesNotExistError", "CannotConnectNowError", "ConnectionFailureError"}


async def provide_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's single transaction: committed after the handler, rolled back on error."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        try:
            yield session
            if session.in_transaction() or session.new or session.dirty or session.deleted:
                await session.commit()  # a read-only request that ran no SQL has nothing to end
        except BaseException:
            await session.rollback()
            raise


@asynccontextmanager
async def driver_connection(factory: async_sessionmaker[AsyncSession]
                            ) -> AsyncIterator[asyncpg.Connection]:
    """asyncpg's own connection, from the app's pool, for a request that is one statement.

    For the few hot routes (OpenID4VCI's) whose every request is a single SQL statement:
    the statement is its own transaction, so there is no BEGIN or COMMIT to send, and
    asyncpg runs it as a prepared statement for a fifth of the CPU that a session's
    ``execute`` costs (SQLAlchemy's unit of work, compilation cache and result wrapping).
    A connection the driver reports broken leaves the pool, as SQLAlchemy would do.

    Under a session factory bound to one connection (the tests' transaction) the
    statements run inside that transaction, in a savepoint of their own, and are rolled
    back with the test.
    """
    bind = factory.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        async with factory() as session:
            connection = await session.connection()
            yield (await connection.get_raw_connection()).driver_connection
            await session.commit()
        return
    async with bind.connect() as connection:
        try:
            yield (await connection.get_raw_connection()).driver_connection
        except BaseException as exc:
            if is_connection_error(exc):
                await connection.invalidate()
            raise


async def driver_of(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under ``session``: a statement written for
    :func:`driver_connection` run in a request that has a session, in its transaction."""
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


def run_migrations(sync_connection: object, revision: str = "head") -> None:
    """Run Alembic on an open (sync-facade) connection; used by tests and the CLI."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = sync_connection
    command.upgrade(config, revision)
