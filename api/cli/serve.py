"""``academy serve``: the API on uvicorn, one process or several."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import click

from api.cli.db import pending_revision, upgrade
from api.embedded import EmbeddedPostgres
from api.serve import serve_workers
from api.settings import Settings, load_settings

__all__ = ["serve"]


@click.command()
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
            asyncio.run(upgrade(os.environ["DATABASE_URL"], "head"))
        else:
            behind = asyncio.run(pending_revision(settings.database_url or ""))
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
    from api.http_protocol import CoalescingHttpProtocol

    # proxy_headers off: X-Forwarded-For is believed only from ACADEMY_TRUSTED_PROXIES
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port,
                                           log_config=None, access_log=False, lifespan="on",
                                           http=CoalescingHttpProtocol, proxy_headers=False))

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
