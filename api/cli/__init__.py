"""The ``academy`` command line."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Database, run_migrations
from api.embedded import EmbeddedPostgres
from api.serve import serve_workers
from api.settings import Settings, check_secret_key, load_settings
from catalogue.errors import DomainError

__all__ = ["main", "cli_session", "run_async"]

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


@click.group()
def main() -> None:
    """Academy: course catalogue and microcredential registry."""
    # A weak ACADEMY_SECRET_KEY is refused before any command runs (nothing generated here:
    # restore decides itself which secret key a new data directory gets).
    if key := os.environ.get("ACADEMY_SECRET_KEY"):
        try:
            check_secret_key(key)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--host", default=None, help="Interface to bind (default ACADEMY_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default ACADEMY_PORT or 8000).")
@click.option("--workers", default=1, type=click.IntRange(1, 64), envvar="ACADEMY_WORKERS",
              show_default=True, help="Server processes (ACADEMY_WORKERS); one a core is usual.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API (on the embedded database unless DATABASE_URL is set).

    The embedded database is private: it is migrated before serving. A database of
    DATABASE_URL is the operator's: serve refuses to start on one that is not migrated.
    The embedded server is started here, once, and stopped however serving ends."""
    settings = load_settings()
    host, port = host or settings.host, port or settings.port
    embedded = None if settings.database_url else EmbeddedPostgres(settings.data_dir)
    # uvicorn re-raises the SIGTERM it caught once it has shut down: exit through the
    # `finally` below (stopping the embedded server), not by the default handler.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if embedded is not None:
            os.environ["DATABASE_URL"] = embedded.start()
            asyncio.run(_upgrade(os.environ["DATABASE_URL"], "head"))
        else:
            behind = asyncio.run(_pending_revision(settings.database_url or ""))
            if behind:
                raise click.ClickException(
                    f"database not migrated ({behind}): run `academy db upgrade`")
        settings = load_settings()
        _serve(settings, host, port, workers)
    finally:
        if embedded is not None and embedded.started_here:
            embedded.stop()


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    if workers > 1:
        # Several processes (api.serve: a listening socket each, so connections spread
        # over them) share the one database started above.
        serve_workers("api.app:create_app", host, port, workers)
        return
    import uvicorn

    from api.app import create_app

    # proxy_headers off: X-Forwarded-For is believed only from ACADEMY_TRUSTED_PROXIES
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port,
                                           log_config=None, access_log=False, lifespan="on",
                                           proxy_headers=False))

    async def announce() -> None:
        while not server.started and not server.should_exit:
            await asyncio.sleep(0.1)
        if server.started:
            _ready(host, port)

    async def run() -> None:
        waiter = asyncio.create_task(announce())
        try:
            await server.serve()
        finally:
            waiter.cancel()

    asyncio.run(run())
    if not server.started:
        raise SystemExit(3)


def _ready(host: str, port: int) -> None:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    click.echo(f"Academy is ready: the site at {base}/, the API docs at {base}/schema\n"
               "A partner key for the API: .venv/bin/academy keys create --institution ucll "
               "--scopes publish,issue", err=True)


async def _upgrade(url: str, revision: str) -> None:
    from api.db import make_engine, normalise_url

    engine = make_engine(normalise_url(url))
    try:
        async with engine.connect() as conn:
            await conn.run_sync(run_migrations, revision)
            await conn.commit()
    finally:
        await engine.dispose()


async def _pending_revision(url: str) -> str | None:
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


@main.group()
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


@main.group()
def keys() -> None:
    """Partner API keys."""


@keys.command("create")
@click.option("--institution", required=True, help="Institution slug, e.g. ucll.")
@click.option("--scopes", required=True, help="Comma-separated: publish,issue,admin.")
@click.option("--label", default=None, help="A note to recognise the key by.")
def keys_create(institution: str, scopes: str, label: str | None) -> None:
    """Create a key. The key is printed once, as the last line; only its hash is stored."""
    from api.access import create_key

    async def go(session: AsyncSession) -> tuple[Any, str]:
        return await create_key(session, institution, [s.strip() for s in scopes.split(",") if s.strip()], label)

    key, plaintext = run_async(go)
    click.echo(f"key id {key.id} for {institution} with scopes {','.join(key.scopes)}", err=False)
    click.echo("store it now; it cannot be shown again:")
    click.echo(plaintext)


@keys.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    from api.access import list_keys

    rows = run_async(list_keys)
    click.echo(f"{'id':36}  {'institution':11}  {'scopes':20}  {'created':20}  revoked")
    for key, slug in rows:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "-"
        click.echo(f"{key.id!s:36}  {slug:11}  {','.join(key.scopes):20}  "
                   f"{key.created_at:%Y-%m-%d %H:%M:%S}  {revoked}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id."""
    from api.access import revoke_key

    async def go(session: AsyncSession) -> Any:
        return await revoke_key(session, key_id)

    key = run_async(go)
    click.echo(f"revoked {key.id}")


def register(command: click.Command) -> None:
    main.add_command(command)


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the catalogue already has courses.")
@click.option("--path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON Lines file in the Education4Climate shape (default: the bundled one).")
def demo_load(if_empty: bool, path: str | None) -> None:
    """Load the real 2024-2025 programmes of five partners through the publishing service,
    and the six microcredentials that the example pathway stacks."""
    from pathlib import Path

    from rich.progress import Progress
    from sqlalchemy import text

    from catalogue.demo import DEMO_PATH, load_demo_documents, stack_documents
    from catalogue.institutions import get_institution
    from catalogue.service import prepare_many, store

    pairs = load_demo_documents(Path(path) if path else DEMO_PATH)
    if not path:
        pairs += stack_documents()  # the units of the README's pathway example

    async def go(session: AsyncSession) -> dict[str, int]:
        counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "invalid": 0}
        if if_empty and await session.scalar(text("SELECT EXISTS (SELECT 1 FROM course)")):
            click.echo("catalogue already has courses; demo data not loaded")
            return counts
        by_institution: dict[str, list[dict[str, Any]]] = {}
        for slug, doc in pairs:
            by_institution.setdefault(slug, []).append(doc)
        with Progress() as progress:
            task = progress.add_task("loading demo catalogue", total=len(pairs))
            for slug, docs in sorted(by_institution.items()):
                institution = await get_institution(session, slug)
                ready, invalid = prepare_many(docs)
                for item in invalid:
                    click.echo(f"invalid {slug}/{item.code}: {item.errors}", err=True)
                counts["invalid"] += len(invalid)
                for stored in (await store(session, institution.id, ready, source="demo")).values():
                    counts[stored.status] += 1
                progress.advance(task, len(docs))
        return counts

    counts = run_async(go)
    click.echo("demo catalogue: " + ", ".join(f"{k} {v}" for k, v in counts.items()))

import api.cli.backup  # noqa: E402,F401  (registers backup/restore)
import api.cli.harvest  # noqa: E402,F401  (registers harvest and sources)
import api.cli.keys  # noqa: E402,F401  (registers keys rotate-signing)
