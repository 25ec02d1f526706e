"""One PostgreSQL per test session, migrated by Alembic; each test inside a rolled-back transaction."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.client import AppClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from api.db import make_engine, normalise_url, run_migrations
from api.embedded import EmbeddedPostgres
from api.settings import Settings, load_settings
from tests.support import TEST_SECRET, bearer, migrated_database, with_database  # noqa: F401

pytest_plugins = ["tests.conftest_secrets"]

@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres | None]:
    if os.environ.get("DATABASE_URL"):
        yield None
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg"), options={"fsync": "off",
                                                                      "synchronous_commit": "off"})
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
async def database_url(embedded: EmbeddedPostgres | None) -> AsyncIterator[str]:
    """A fresh database for this run, on the embedded server or on DATABASE_URL's server."""
    name = f"academy_test_{uuid.uuid4().hex[:8]}"
    if embedded is not None:
        embedded.psql(f'CREATE DATABASE "{name}"')
        yield embedded.url(name)
        return
    base = normalise_url(os.environ["DATABASE_URL"])
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield with_database(base, name)
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    async with engine.connect() as conn:
        await conn.run_sync(run_migrations)
        await conn.commit()
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        outer = await conn.begin()
        yield conn
        await outer.rollback()


@pytest.fixture
def session_factory(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def session(session_factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with session_factory() as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        env={}, data_dir=tmp_path, database_url=database_url, secret_key=TEST_SECRET,
        harvest_in_background=False,
    )


@pytest.fixture
def app(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> Litestar:
    return create_app(settings, session_factory=session_factory)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AppClient(app) as c:
        yield c


KeyMaker = Callable[..., Awaitable[str]]


@pytest.fixture
def make_key(session_factory: async_sessionmaker[AsyncSession]) -> KeyMaker:
    """Create a real API key through the service and return its plaintext."""
    from api.access import create_key

    async def make(institution: str, scopes: str = "publish,issue") -> str:
        async with session_factory() as s:
            _, plaintext = await create_key(s, institution, scopes.split(","))
            await s.commit()
        return plaintext

    return make


@pytest.fixture
async def committed_app(embedded: EmbeddedPostgres | None, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An app on its own freshly migrated database, committing for real: for concurrency tests."""
    async with migrated_database(database_url, "academy_c") as url:
        settings = load_settings(env={}, data_dir=tmp_path, database_url=url,
                                 secret_key=TEST_SECRET, harvest_in_background=False)
        yield create_app(settings)
