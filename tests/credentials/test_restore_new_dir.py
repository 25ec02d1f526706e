"""Restore into a new data directory, served by a new process, keeps the registry working.

The scenario of issue #13 (Medium 7): `academy restore` into a new ``ACADEMY_DATA_DIR``
silently generated a new secret key; issuing then answered 500 and, after a revocation,
so did the status list. Now restore refuses without the backup's secret key (touching
nothing), and with it the new server issues, revokes and serves status lists. A server
whose keys do not decrypt answers 503 problems, never 500.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from api.app import create_app
from api.settings import load_settings
from tests.api.live import free_port
from tests.conftest import TEST_SECRET, bearer
from tests.credentials import support
from tests.credentials.support import issue, issue_three_and_revoke_one, request_body

ACADEMY = str(Path(sys.executable).parent / "academy")
OTHER_SECRET = "0d5f3c1b9a7e4f2d8c6b0a9e7f5d3c1b2a4e6f8d0c2b4a6e8f0d2c4b6a8e0f2d"

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ACADEMY, *args], env=env, capture_output=True, text=True, timeout=300)


def fresh_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """No DATABASE_URL, no secret key: what an operator has on a new machine."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "ACADEMY_SECRET_KEY")}
    return {**env, "ACADEMY_DATA_DIR": str(data_dir), **extra}


async def test_restore_into_a_new_directory_with_a_new_process(committed_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    issued, key = await issue_three_and_revoke_one(committed_app)
    dump = tmp_path / "academy.dump"
    made = run({**os.environ, "DATABASE_URL": committed_app.state.settings.database_url,
                "ACADEMY_DATA_DIR": str(tmp_path / "a"), "ACADEMY_SECRET_KEY": TEST_SECRET},
               "backup", str(dump))
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600

    fresh = tmp_path / "fresh"
    refused = run(fresh_env(fresh), "restore", str(dump))  # no key at all
    assert refused.returncode != 0 and "No secret key" in refused.stderr
    assert not (fresh / "secret_key").exists() and not (fresh / "pgdata").exists()
    wrong = run(fresh_env(fresh, ACADEMY_SECRET_KEY=OTHER_SECRET), "restore", str(dump))
    assert wrong.returncode != 0 and "do not decrypt" in wrong.stderr, wrong.stderr
    assert "ucll/key-1" in wrong.stderr and not (fresh / "pgdata").exists()

    secret_file = tmp_path / "backup.secret"
    secret_file.write_text(TEST_SECRET + "\n")
    restored = run(fresh_env(fresh), "restore", str(dump), "--secret-key-file", str(secret_file))
    assert restored.returncode == 0, restored.stderr
    assert (fresh / "secret_key").read_text().strip() == TEST_SECRET
    assert stat.S_IMODE((fresh / "secret_key").stat().st_mode) == 0o600

    port = free_port()
    env = fresh_env(fresh, ACADEMY_BACKGROUND_HARVEST="0", ACADEMY_LOG_LEVEL="WARNING",
                    ACADEMY_BASE_URL=committed_app.state.settings.base_url)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([ACADEMY, "serve", "--port", str(port)], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            deadline = time.monotonic() + 120
            while True:  # until the new process answers (or dies)
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the restored server never became ready"
                try:
                    if (await client.get("/ready", timeout=2)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            body = request_body(learner={"email": "new@example.org", "name": "New Learner"})
            r = await client.post("/api/v1/institutions/ucll/credentials", json=body,
                                  headers=bearer(key))
            assert r.status_code == 201, r.text
            new_id = r.json()["id"].rsplit("/", 1)[1]
            listed = r.json()["credentialStatus"]["statusListCredential"]
            r = await client.post(f"/api/v1/institutions/ucll/credentials/{new_id}/revoke",
                                  json={"reason": "issued in error"}, headers=bearer(key))
            assert r.status_code == 200, r.text
            path = listed.split("/institutions/", 1)[1]
            r = await client.get(f"/institutions/{path}")
            assert r.status_code == 200, r.text
            assert r.json()["type"][1] == "BitstringStatusListCredential"
            for n, credential in enumerate(issued):
                report = (await client.post("/api/v1/verify", json=credential)).json()
                assert report["verified"] is (n != 0), report
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


async def test_keys_that_do_not_decrypt_give_503_never_500(app, client, ucll, settings,  # type: ignore[no-untyped-def]
                                                           session_factory) -> None:
    r = await issue(client, ucll)
    assert r.status_code == 201, r.text
    listed = r.json()["credentialStatus"]["statusListCredential"]
    cid = r.json()["id"].rsplit("/", 1)[1]
    revoked = await client.post(f"/api/v1/institutions/ucll/credentials/{cid}/revoke",
                                json={"reason": "issued in error"}, headers=ucll)
    assert revoked.status_code == 200, revoked.text

    # The same database under another secret key: what a restore without it produced.
    other = create_app(load_settings(env={}, data_dir=settings.data_dir,
                                     database_url=settings.database_url, secret_key=OTHER_SECRET,
                                     harvest_in_background=False),
                       session_factory=session_factory)
    support.with_registry(other)
    from tests.client import AppClient

    async with AppClient(other) as second:
        r = await second.get(listed.removeprefix("http://127.0.0.1:8000"))
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert "ACADEMY_SECRET_KEY" in r.json()["detail"] and r.headers["retry-after"]
        r = await issue(second, ucll)
        assert r.status_code == 503 and r.json()["title"] == "Signing key unavailable", r.text
