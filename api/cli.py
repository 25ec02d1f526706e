"""The ``academy`` command line."""

from __future__ import annotations

import asyncio
import os
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
    """Serve the API (on the embedded database unless DATABASE_URL is set)."""
    import uvicorn

    from api.app import create_app

    settings = load_settings()
    host, port = host or settings.host, port or settings.port
    if workers == 1:
        # proxy_headers off: X-Forwarded-For is believed only from ACADEMY_TRUSTED_PROXIES
        uvicorn.run(create_app(settings), host=host, port=port, log_config=None,
                    access_log=False, lifespan="on", proxy_headers=False)
        return
    # Several processes (api.serve: a listening socket each, so connections spread over
    # them) share one database: start the embedded server here, once, and hand its address
    # to the workers (each would otherwise race to start it).
    embedded = None if settings.database_url else EmbeddedPostgres(settings.data_dir)
    if embedded is not None:
        os.environ["DATABASE_URL"] = embedded.start()
    try:
        serve_workers("api.app:create_app", host, port, workers)
    finally:
        if embedded is not None and embedded.started_here:
            embedded.stop()


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

import api.cli_backup  # noqa: E402,F401  (registers backup/restore)
import api.cli_harvest  # noqa: E402,F401  (registers harvest and sources)
import api.cli_credentials  # noqa: E402,F401  (registers keys rotate-signing)
