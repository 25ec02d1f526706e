"""A credential into a wallet over OpenID4VCI 1.0, as a real wallet library does it.

`bench/node/wallet.mjs` drives the OpenWallet Foundation's `@openid4vc/openid4vci` client
(pinned in bench/node/package-lock.json) against the real server on loopback: offer,
issuer and authorisation server metadata, token with tx_code, nonce, proof JWT, credential.
The only shim is test-only: fetches of the server's public https URL go to its loopback
http port. What arrives is then judged by both verifiers in the field
(`tests/credentials/test_field_verifiers.py`).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text

from api.db import make_engine
from tests.api.live import LiveServer
from tests.conftest import bearer
from tests.credentials.field_support import (  # noqa: F401  (fixtures)
    ROOT,
    change,
    client,
    issue,
    keys,
    node_modules,
    server,
    verdicts,
)

WALLET = ROOT / "bench" / "node" / "wallet.mjs"


@pytest.fixture(scope="module")
def wallet_node(node_modules: str) -> str:  # noqa: F811
    """`node`, with the wallet library installed (node_modules may predate it)."""
    if not (ROOT / "bench/node/node_modules/@openid4vc/openid4vci").is_dir():
        subprocess.run(["npm", "ci", "--prefix", str(ROOT / "bench/node"), "--no-audit",
                        "--no-fund"], check=True, capture_output=True, timeout=600)
    return node_modules


def wallet(node: str, server: LiveServer, *offers: str, **flags: str) -> list[dict[str, Any]]:
    args = [f"--{k.replace('_', '-')}={v}" for k, v in flags.items()]
    args = [part for arg in args for part in arg.split("=", 1)]
    done = subprocess.run(
        [node, str(WALLET), "--rewrite", f"{server.public}={server.base}", *args, *offers],
        capture_output=True, text=True, timeout=300, cwd=ROOT / "bench" / "node", check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line]


async def learner_offer(client: httpx.AsyncClient, keys: dict[str, dict[str, str]],
                        credential: dict[str, Any]) -> dict[str, str]:
    email = "field.tester@example.org"
    r = await client.post("/api/v1/institutions/ucll/learners/tokens", json={"email": email},
                          headers=keys["ucll"])
    assert r.status_code == 201, r.text
    cid = credential["id"].rsplit("/", 1)[1]
    r = await client.post(f"/api/v1/me/credentials/{cid}/offers",
                          headers=bearer(r.json()["token"]))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def offer_url(offer: dict[str, str]) -> str:
    assert offer["offer_uri"].startswith("openid-credential-offer://?credential_offer_uri=")
    return parse_qs(urlsplit(offer["offer_uri"]).query)["credential_offer_uri"][0]


async def pre_authorized_code(client: httpx.AsyncClient, server: LiveServer,
                              offer: dict[str, str]) -> str:
    r = await client.get(offer_url(offer).removeprefix(server.public))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["credential_configuration_ids"] == ["OpenBadgeCredential"]
    grant = body["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant["tx_code"]["length"] == 6 and grant["tx_code"]["input_mode"] == "numeric"
    return grant["pre-authorized_code"]  # type: ignore[no-any-return]


async def redeem(client: httpx.AsyncClient, code: str, tx_code: str,
                 slug: str = "ucll") -> httpx.Response:
    return await client.post(f"/institutions/{slug}/oid4vci/token", data={
        "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        "pre-authorized_code": code, "tx_code": tx_code})


def unbound(credential: dict[str, Any]) -> dict[str, Any]:
    subject = {k: v for k, v in credential["credentialSubject"].items() if k != "id"}
    return {**{k: v for k, v in credential.items() if k != "proof"}, "credentialSubject": subject}


async def test_the_wallet_gets_its_bound_credential_which_verifies_until_revoked(  # type: ignore[no-untyped-def]
        wallet_node, node_modules, server, client, keys) -> None:
    stored = await issue(client, keys)
    offer = await learner_offer(client, keys, stored)
    assert len(offer["tx_code"]) == 6 and offer["tx_code"].isdigit()
    assert offer_url(offer).startswith(f"{server.public}/institutions/ucll/")
    code = await pre_authorized_code(client, server, offer)

    (got,) = wallet(wallet_node, server, offer["offer_uri"], tx_code=offer["tx_code"])
    assert "credential" in got, got
    credential = got["credential"]
    assert got["did"].startswith("did:key:z6Mk")
    assert credential["credentialSubject"]["id"] == got["did"]
    assert unbound(credential) == unbound(stored)  # status entry included
    assert credential["proof"] != stored["proof"]  # signed again, by the same institution
    assert credential["proof"][0]["verificationMethod"] == stored["proof"][0]["verificationMethod"]
    assert verdicts(node_modules, server, [credential]) == [("valid", "valid")]

    (again,) = wallet(wallet_node, server, offer["offer_uri"], tx_code=offer["tx_code"])
    assert again["stage"] == "offer" and "credential" not in again, again  # gone once used
    r = await redeem(client, code, offer["tx_code"])  # a wallet that kept the offer
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    assert "used already" in r.json()["error_description"]

    await change(client, keys, stored, "revoke")
    assert verdicts(node_modules, server, [credential]) == [("revoked", "revoked")]
    r = await client.post(f"/api/v1/me/credentials/{stored['id'].rsplit('/', 1)[1]}/offers",
                          headers=bearer((await client.post(
                              "/api/v1/institutions/ucll/learners/tokens",
                              json={"email": "field.tester@example.org"},
                              headers=keys["ucll"])).json()["token"]))
    assert r.status_code == 409, r.text  # a revoked credential is not offered again


async def test_es256_did_jwk_holder_and_an_institution_offer(  # type: ignore[no-untyped-def]
        wallet_node, node_modules, server, client, keys) -> None:
    stored = await issue(client, keys, learner={"email": "jwk@example.org", "name": "J"})
    cid = stored["id"].rsplit("/", 1)[1]
    r = await client.post(f"/api/v1/institutions/ucll/credentials/{cid}/offers",
                          headers=keys["ucll"])
    assert r.status_code == 201, r.text
    offer = r.json()
    other = await client.post(f"/api/v1/institutions/kuleuven/credentials/{cid}/offers",
                              headers=keys["kuleuven"])
    assert other.status_code == 404, other.text  # not another institution's to offer
    (got,) = wallet(wallet_node, server, offer["offer_uri"], tx_code=offer["tx_code"],
                    alg="ES256", did="jwk")
    assert got["did"].startswith("did:jwk:"), got
    assert got["credential"]["credentialSubject"]["id"] == got["did"]
    assert verdicts(node_modules, server, [got["credential"]]) == [("valid", "valid")]


async def test_a_wrong_tx_code_is_refused_and_five_kill_the_code(  # type: ignore[no-untyped-def]
        wallet_node, server, client, keys) -> None:
    stored = await issue(client, keys, learner={"email": "tx@example.org", "name": "T"})
    cid = stored["id"].rsplit("/", 1)[1]
    offer = (await client.post(f"/api/v1/institutions/ucll/credentials/{cid}/offers",
                               headers=keys["ucll"])).json()
    wrong = f"{(int(offer['tx_code']) + 1) % 10**6:06d}"
    (got,) = wallet(wallet_node, server, offer["offer_uri"], tx_code=wrong)
    assert got["stage"] == "token" and got["body"]["error"] == "invalid_grant", got

    code = await pre_authorized_code(client, server, offer)
    for left in (3, 2, 1, 0):
        r = await redeem(client, code, wrong)
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
        assert (f"{left} attempt(s) left" if left else "now dead") in r.text
    r = await redeem(client, code, offer["tx_code"])  # the right code, after five wrong ones
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    assert "dead" in r.json()["error_description"]
    assert (await client.get(offer_url(offer).removeprefix(server.public))).status_code == 404


async def test_an_expired_offer_is_refused(wallet_node, server, client, keys) -> None:  # type: ignore[no-untyped-def]
    stored = await issue(client, keys, learner={"email": "late@example.org", "name": "L"})
    cid = stored["id"].rsplit("/", 1)[1]
    offer = (await client.post(f"/api/v1/institutions/ucll/credentials/{cid}/offers",
                               headers=keys["ucll"])).json()
    code = await pre_authorized_code(client, server, offer)
    engine = make_engine(server.database_url)
    try:  # the clock moves past the offer's expiry
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE credential_offer SET expires_at = now() - "
                                    "interval '1 second' WHERE credential_id = :c"), {"c": cid})
    finally:
        await engine.dispose()
    (got,) = wallet(wallet_node, server, offer["offer_uri"], tx_code=offer["tx_code"])
    assert got["stage"] == "offer" and "credential" not in got, got
    r = await redeem(client, code, offer["tx_code"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
    assert "expired" in r.json()["error_description"]


async def test_a_proof_for_another_audience_or_with_a_used_nonce_is_refused(  # type: ignore[no-untyped-def]
        wallet_node, server, client, keys) -> None:
    stored = await issue(client, keys, learner={"email": "aud@example.org", "name": "A"})
    cid = stored["id"].rsplit("/", 1)[1]

    async def offer() -> dict[str, str]:
        r = await client.post(f"/api/v1/institutions/ucll/credentials/{cid}/offers",
                              headers=keys["ucll"])
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    first = await offer()
    (got,) = wallet(wallet_node, server, first["offer_uri"], tx_code=first["tx_code"],
                    aud=f"{server.public}/institutions/kuleuven")
    assert got["stage"] == "credential" and got["body"]["error"] == "invalid_proof", got

    done = await offer()
    (ok,) = wallet(wallet_node, server, done["offer_uri"], tx_code=done["tx_code"])
    assert "credential" in ok, ok
    replay = await offer()
    (got,) = wallet(wallet_node, server, replay["offer_uri"], tx_code=replay["tx_code"],
                    nonce=ok["nonce"])
    assert got["stage"] == "credential" and got["body"]["error"] == "invalid_nonce", got
