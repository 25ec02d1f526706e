"""The embedded PostgreSQL lets no other local user in (issue #13, Low).

The attack: any local account connected to the embedded server as superuser: its socket
directory (when the data path is long) was world-writable ``0777`` and every local
connection was trusted. Now the directory is ``0700`` and authentication is by peer.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess

import pytest

from api.embedded import EmbeddedPostgres, pg_binary


def _psql_as(user: str, server: EmbeddedPostgres) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(pg_binary("psql")), "-h", str(server.socket_dir), "-U", "postgres", "-d", "postgres",
         "-Atc", "SELECT current_user"], capture_output=True, text=True, user=user, timeout=60)


def test_another_local_user_cannot_connect(tmp_path) -> None:  # type: ignore[no-untyped-def]
    if os.geteuid() != 0:
        pytest.skip("needs root, to act as another local user")
    nobody = pwd.getpwnam("nobody").pw_name
    # a long data path: the socket goes to a directory of its own under /tmp
    deep = tmp_path / ("d" * 60) / ("e" * 40)
    server = EmbeddedPostgres(deep)
    assert server.socket_dir != server.pgdata
    server.start()
    try:
        assert stat.S_IMODE(server.socket_dir.stat().st_mode) == 0o700
        assert "trust" not in (server.pgdata / "pg_hba.conf").read_text()
        assert server.psql("SELECT current_user").strip() == "postgres"  # we still get in
        refused = _psql_as(nobody, server)
        assert refused.returncode != 0 and "postgres" not in refused.stdout
        # even with the directory opened up, peer authentication refuses that user
        server.socket_dir.chmod(0o755)
        refused = _psql_as(nobody, server)
        assert refused.returncode != 0 and "authentication failed" in refused.stderr, refused
    finally:
        server.destroy()
        import shutil

        shutil.rmtree(server.socket_dir, ignore_errors=True)
