"""Anyone verifies a credential: proof, trusted issuer, status, validity and schema, offline."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from credentials.keys import KeyRing, rotate_signing_key
from credentials.proofs.multikey import resolve_from_did_documents
from credentials.proofs.signing import verify
from tests.conftest import TEST_SECRET
from tests.credentials import support
from tests.credentials.support import VARIANTS, issue, request_body, resign

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


async def _verify(client, credential):  # type: ignore[no-untyped-def]
    r = await client.post("/api/v1/verify", json=credential)
    assert r.status_code == 200, r.text
    body = r.json()
    return body["verified"], {c["check"]: c for c in body["checks"]}


async def test_issued_credential_verifies(client, ucll) -> None:  # type: ignore[no-untyped-def]
    credential = (await issue(client, ucll)).json()
    verified, checks = await _verify(client, credential)
    assert verified, checks
    assert list(checks) == ["proof", "issuer", "status", "validity", "schema"]
    assert all(c["ok"] is True and c["reason"] for c in checks.values())


async def test_tampered_credential_fails_the_proof(client, ucll) -> None:  # type: ignore[no-untyped-def]
    credential = (await issue(client, ucll)).json()
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["creditsAvailable"] = 60
    verified, checks = await _verify(client, tampered)
    assert not verified and checks["proof"]["ok"] is False
    assert "signature" in checks["proof"]["reason"]
    stripped = {k: v for k, v in credential.items() if k != "proof"}
    verified, checks = await _verify(client, stripped)
    assert not verified and checks["proof"]["reason"] == "no proof"
    verified, checks = await _verify(client, "a string")
    assert not verified and checks["proof"]["reason"] == "not a JSON object"


async def test_an_array_is_verified_item_by_item(client, ucll) -> None:  # type: ignore[no-untyped-def]
    good = (await issue(client, ucll)).json()
    bad = copy.deepcopy(good)
    bad["name"] = "Something else"
    r = await client.post("/api/v1/verify", json=[good, bad, 7])
    assert r.status_code == 200
    assert [report["verified"] for report in r.json()] == [True, False, False]


async def test_untrusted_issuer_and_foreign_status_list(client, ucll) -> None:  # type: ignore[no-untyped-def]
    credential = (await issue(client, ucll)).json()
    foreign = copy.deepcopy(credential)
    foreign["issuer"]["id"] = "did:web:example.org"
    verified, checks = await _verify(client, foreign)
    assert not verified and checks["issuer"]["ok"] is False
    elsewhere = copy.deepcopy(credential)
    elsewhere["credentialStatus"]["statusListCredential"] = "https://example.org/status/1"
    verified, checks = await _verify(client, elsewhere)
    assert not verified
    assert checks["status"]["ok"] is None and checks["status"]["reason"].startswith("status unknown")
    missing = copy.deepcopy(credential)
    missing["credentialStatus"]["statusListCredential"] = (
        "http://127.0.0.1:8000/institutions/ucll/status/message-42")
    _, checks = await _verify(client, missing)
    assert checks["status"]["ok"] is None


async def test_validity_dates(app, client, ucll) -> None:  # type: ignore[no-untyped-def]
    """The API issues neither (see test_issuance_integrity); signed by the issuer anyway,
    the verifier still refuses them."""
    issued = (await issue(client, ucll)).json()
    future = await resign(app, issued, validFrom="2999-01-01T00:00:00Z")
    verified, checks = await _verify(client, future)
    assert not verified and checks["validity"]["ok"] is False
    expired = await resign(app, issued, validUntil="2021-01-01T23:59:59Z")
    verified, checks = await _verify(client, expired)
    assert not verified and "expired" in checks["validity"]["reason"]
    assert checks["proof"]["ok"] is True


async def test_old_credentials_verify_after_key_rotation(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    old = (await issue(client, ucll)).json()
    async with session_factory() as session:
        method = await rotate_signing_key(session, KeyRing(TEST_SECRET, "http://127.0.0.1:8000"),
                                          "ucll")
        await session.commit()
    assert method.endswith("#key-2")
    new = (await issue(client, ucll)).json()
    assert new["proof"][0]["verificationMethod"] == method
    assert old["proof"][0]["verificationMethod"].endswith("#key-1")
    did = (await client.get("/institutions/ucll/did.json")).json()
    assert [m["id"].rsplit("#")[1] for m in did["verificationMethod"]] == ["key-1", "key-2"]
    assert did["assertionMethod"] == [m["id"] for m in did["verificationMethod"]]
    assert "private" not in str(did).lower()
    resolve = resolve_from_did_documents({did["id"]: did})
    assert verify(old, resolve).verified and verify(new, resolve).verified
    for credential in (old, new):
        assert (await _verify(client, credential))[0]


async def test_keys_are_encrypted_at_rest(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    await issue(client, ucll)
    async with session_factory() as session:
        blob = bytes(await session.scalar(text("SELECT private_encrypted FROM issuer_key LIMIT 1")))
    did = (await client.get("/institutions/ucll/did.json")).json()
    assert len(blob) == 12 + 32 + 16  # nonce, seed, tag: no plain seed stored
    other = KeyRing("another-secret", "http://127.0.0.1:8000")
    from credentials.keys import SigningKeyUnavailable  # a 503 problem, no longer a bare InvalidTag

    with pytest.raises(SigningKeyUnavailable):
        other.decrypt(blob, "ucll/key-1")
    assert did["verificationMethod"][0]["type"] == "Multikey"


async def test_human_page_and_context(client, ucll) -> None:  # type: ignore[no-untyped-def]
    r = await issue(client, ucll)
    page = await client.get(r.headers["location"], headers={**ucll, "Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Verified" in page.text and "Microcredential" in page.text
    context = await client.get("/contexts/microcredential/v1")
    assert context.status_code == 200
    assert context.headers["content-type"].startswith("application/ld+json")
    assert "immutable" in context.headers["cache-control"]
    assert "assessmentType" in context.json()["@context"]


def test_rotate_signing_is_a_cli_command() -> None:
    import api.cli.keys  # noqa: F401
    from api.cli.keys import keys

    assert "rotate-signing" in keys.commands


NODE = Path(__file__).resolve().parents[2] / "bench" / "node"


async def test_digital_bazaar_verifies_what_the_api_issued(client, ucll, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Credentials of several shapes and a status list, issued over HTTP, through DB's verifier."""
    if os.environ.get("ACADEMY_SKIP_NODE_INTEROP") == "1":
        pytest.skip("ACADEMY_SKIP_NODE_INTEROP=1")
    if shutil.which("node") is None or not (NODE / "node_modules").is_dir():
        pytest.skip("needs node and bench/node/node_modules (npm ci --prefix bench/node)")
    issued = []
    for changes in VARIANTS:
        r = await issue(client, ucll, request_body(**changes))
        assert r.status_code == 201, r.text
        issued.append(r.json())
    entry = issued[0]["credentialStatus"]["statusListCredential"]
    issued.append((await client.get(entry.removeprefix("http://127.0.0.1:8000"))).json())
    tampered = copy.deepcopy(issued[0])
    tampered["credentialSubject"]["achievement"]["creditsAvailable"] = 60
    did = (await client.get("/institutions/ucll/did.json")).json()
    (tmp_path / "dids.json").write_text(json.dumps([did]))
    (tmp_path / "credentials.json").write_text(json.dumps([*issued, tampered]))
    out = await asyncio.to_thread(
        subprocess.run,
        ["node", str(NODE / "verify.mjs"), "--dids", str(tmp_path / "dids.json"),
         str(tmp_path / "credentials.json")],
        capture_output=True, text=True, timeout=300, check=True,
    )
    results = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert [r["verified"] for r in results] == [True] * len(issued) + [False], out.stdout
