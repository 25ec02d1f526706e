"""Backup and restore keep the registry's promises: issued credentials still verify, revoked
ones stay revoked, and issuance continues without reusing a status index."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from api.app import create_app
from api.embedded import EmbeddedPostgres
from api.settings import load_settings
from tests.client import AppClient
from tests.conftest import TEST_SECRET, bearer
from tests.credentials.support import issue_three_and_revoke_one, request_body

ACADEMY = str(Path(sys.executable).parent / "academy")


def academy(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([ACADEMY, *args], env={**os.environ, **env}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def index_of(credential: dict) -> tuple[str, str]:  # type: ignore[type-arg]
    status = credential["credentialStatus"]
    return status["statusListCredential"], status["statusListIndex"]


async def test_backup_then_restore_into_a_fresh_data_dir(committed_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    issued, key = await issue_three_and_revoke_one(committed_app)
    source_url = committed_app.state.settings.database_url
    dump = tmp_path / "academy.dump"
    academy({"DATABASE_URL": source_url, "ACADEMY_DATA_DIR": str(tmp_path / "a")}, "backup", str(dump))

    fresh = tmp_path / "fresh"
    # no DATABASE_URL: the CLI starts an embedded server in the new, empty data dir
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(ACADEMY_DATA_DIR=str(fresh), ACADEMY_SECRET_KEY=TEST_SECRET)
    result = subprocess.run([ACADEMY, "restore", str(dump)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    server = EmbeddedPostgres(fresh)
    url = await asyncio.to_thread(server.start)
    try:
        settings = load_settings(env={}, data_dir=fresh, database_url=url, secret_key=TEST_SECRET,
                                 harvest_in_background=False)
        app = create_app(settings)
        async with AppClient(app) as client:
            for n, credential in enumerate(issued):
                r = await client.post("/api/v1/verify", json=credential)
                checks = {c["check"]: c for c in r.json()["checks"]}
                assert checks["proof"]["ok"] is True
                if n == 0:
                    assert r.json()["verified"] is False and checks["status"]["reason"] == "revoked"
                else:
                    assert r.json()["verified"] is True, checks
            body = request_body(learner={"email": "new@example.org", "name": "New Learner"})
            r = await client.post("/api/v1/institutions/ucll/credentials", json=body,
                                  headers=bearer(key))
            assert r.status_code == 201, r.text
            assert index_of(r.json()) not in {index_of(c) for c in issued}
    finally:
        await asyncio.to_thread(server.destroy)
