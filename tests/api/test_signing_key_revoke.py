"""Signing-key lifecycle (issue #13, Medium 6): a revoked key proves nothing any more.

`academy keys revoke-signing` takes a leaked key out of the DID document's assertionMethod
(or limits it to proofs created before a date): credentials it signed then fail in our
verifier and in Digital Bazaar's, which reads the DID document. A weak ACADEMY_SECRET_KEY
is refused at start-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.state import keyring_of
from api.settings import SecretKeyTooWeak, load_settings
from credentials.keys import revoke_signing_key
from tests.client import AppClient
from tests.conftest import TEST_SECRET, bearer
from tests.credentials import support
from tests.credentials.support import committed_issuer, issue, request_body

ACADEMY = str(Path(sys.executable).parent / "academy")
NODE = Path(__file__).resolve().parents[2] / "bench" / "node"
BASE = "http://127.0.0.1:8000"

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


def academy(database_url: str, tmp_path: Path, *args: str,
            secret: str = TEST_SECRET) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "ACADEMY_DATA_DIR": str(tmp_path),
           "ACADEMY_SECRET_KEY": secret}
    return subprocess.run([ACADEMY, *args], env=env, capture_output=True, text=True, timeout=120)


def methods(document: dict) -> set[str]:  # type: ignore[type-arg]
    proofs = document["proof"] if isinstance(document["proof"], list) else [document["proof"]]
    return {p["verificationMethod"].rsplit("#", 1)[1] for p in proofs}


def checks(report: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {c["check"]: c for c in report["checks"]}


async def node_verdicts(credentials: list[dict], did: dict, tmp_path: Path) -> list[bool]:  # type: ignore[type-arg]
    (tmp_path / "dids.json").write_text(json.dumps([did]))
    (tmp_path / "credentials.json").write_text(json.dumps(credentials))
    out = await asyncio.to_thread(
        subprocess.run, ["node", str(NODE / "verify.mjs"), "--dids", str(tmp_path / "dids.json"),
                         str(tmp_path / "credentials.json")],
        capture_output=True, text=True, timeout=300, check=True)
    return [json.loads(line)["verified"] for line in out.stdout.splitlines() if line.strip()]


async def test_a_leaked_key_revoked_with_the_cli_fails_everywhere(committed_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = committed_app.state.settings.database_url
    async with AppClient(committed_app) as client:
        key = await committed_issuer(committed_app, client)
        before = await client.post("/api/v1/institutions/ucll/credentials", json=request_body(),
                                   headers=bearer(key))
        assert before.status_code == 201, before.text
        signed = before.json()
        assert (await client.post("/api/v1/verify", json=signed)).json()["verified"] is True
        keyring_of(committed_app).refresh_seconds = 0  # see the other process's revocation now

        done = academy(url, tmp_path, "keys", "revoke-signing", "--institution", "ucll",
                       "--key", "key-1")
        assert done.returncode == 0, done.stderr
        assert "#key-1 entirely" in done.stdout and "new signing key" in done.stdout

        report = (await client.post("/api/v1/verify", json=signed)).json()
        assert report["verified"] is False
        assert "revoked" in checks(report)["proof"]["reason"]
        did = (await client.get("/institutions/ucll/did.json")).json()
        assert f"{did['id']}#key-1" not in did["assertionMethod"]
        assert did["assertionMethod"] == [f"{did['id']}#key-2"]
        assert "revoked" in did["verificationMethod"][0]

        after = await client.post("/api/v1/institutions/ucll/credentials", json=request_body(
            learner={"email": "bob@example.org", "name": "Bob"}), headers=bearer(key))
        assert after.status_code == 201, after.text
        assert methods(after.json()) == {"key-2"}
        assert (await client.post("/api/v1/verify", json=after.json())).json()["verified"] is True
        entry = after.json()["credentialStatus"]["statusListCredential"]
        status_list = (await client.get(entry.removeprefix(BASE))).json()
        assert methods(status_list) == {"key-2"}  # signed again

        if shutil.which("node") is None or not (NODE / "node_modules").is_dir():
            pytest.skip("needs node and bench/node/node_modules for the third-party verifier")
        assert await node_verdicts([signed, after.json(), status_list], did, tmp_path) == \
            [False, True, True]


async def test_revoked_since_a_date_keeps_older_proofs(app, client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    r = await issue(client, ucll)
    assert r.status_code == 201, r.text
    signed = r.json()
    proofs = signed["proof"] if isinstance(signed["proof"], list) else [signed["proof"]]
    created = datetime.fromisoformat(proofs[0]["created"])
    keyring = keyring_of(app)
    keyring.refresh_seconds = 0

    async def revoke(since: datetime) -> None:
        async with session_factory() as session:
            await revoke_signing_key(session, keyring, "ucll", "key-1", since)
            await session.commit()

    await revoke(created + timedelta(seconds=1))  # retired just after it signed this one
    assert (await client.post("/api/v1/verify", json=signed)).json()["verified"] is True
    did = (await client.get("/institutions/ucll/did.json")).json()
    method = did["verificationMethod"][0]
    assert method["id"] in did["assertionMethod"]  # still vouches for the older proofs
    assert method["revoked"] == (created + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # a proof by the same key claiming a later date is refused
    forged = json.loads(json.dumps(signed))
    for proof in forged["proof"] if isinstance(forged["proof"], list) else [forged["proof"]]:
        proof["created"] = (created + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = (await client.post("/api/v1/verify", json=forged)).json()
    assert "revoked for proofs created from" in checks(report)["proof"]["reason"]

    await revoke(created - timedelta(days=1))  # moved earlier: now this one fails too
    report = (await client.post("/api/v1/verify", json=signed)).json()
    assert report["verified"] is False and "revoked" in checks(report)["proof"]["reason"]
    await revoke(datetime.now(UTC) + timedelta(days=30))  # never later again
    assert (await client.post("/api/v1/verify", json=signed)).json()["verified"] is False
    # issuing goes on with a new key, not with the revoked one
    r = await issue(client, ucll, request_body(learner={"email": "b@example.org", "name": "B"}))
    assert r.status_code == 201 and methods(r.json()) == {"key-2"}


async def test_revoking_an_unknown_key_says_which_exist(committed_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = committed_app.state.settings.database_url
    async with AppClient(committed_app) as client:
        key = await committed_issuer(committed_app, client)
        r = await client.post("/api/v1/institutions/ucll/credentials", json=request_body(),
                              headers=bearer(key))
        assert r.status_code == 201, r.text
    done = academy(url, tmp_path, "keys", "revoke-signing", "--institution", "ucll",
                   "--key", "key-9")
    assert done.returncode != 0 and "no signing key 'key-9'" in done.stderr
    assert "key-1" in done.stderr
    done = academy(url, tmp_path, "keys", "revoke-signing", "--institution", "ucll",
                   "--key", "key-1", "--since", "yesterday")
    assert done.returncode != 0 and "--since" in done.stderr


@pytest.mark.parametrize("weak", ["hunter2-password", "a" * 64, "ab" * 40, "0123456789abcdef" * 3])
def test_a_weak_secret_key_is_refused_at_start_up(weak: str, tmp_path, database_url) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SecretKeyTooWeak, match="32 random bytes"):
        load_settings(env={"ACADEMY_SECRET_KEY": weak, "ACADEMY_DATA_DIR": str(tmp_path)})
    done = academy(database_url, tmp_path, "serve", "--port", "1", secret=weak)
    assert done.returncode != 0 and "ACADEMY_SECRET_KEY is too weak" in done.stderr
    assert "token_urlsafe(32)" in done.stderr and weak not in done.stderr


def test_strong_secret_keys_pass(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import secrets

    for key in (TEST_SECRET, secrets.token_urlsafe(32), secrets.token_hex(32)):
        assert load_settings(env={"ACADEMY_SECRET_KEY": key,
                                  "ACADEMY_DATA_DIR": str(tmp_path)}).secret_key == key
