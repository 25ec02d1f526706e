"""Single use under races: concurrent redemptions of one code, concurrent wrong tx_codes."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

from tests.client import AppClient
from tests.conftest import bearer
from tests.credentials.support import committed_issuer, request_body

PRE = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


async def offer(client, key: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    r = await client.post("/api/v1/institutions/ucll/credentials", json=request_body(),
                          headers=bearer(key))
    cid = r.json()["id"].rsplit("/", 1)[1]
    r = await client.post(f"/api/v1/institutions/ucll/credentials/{cid}/offers",
                          headers=bearer(key))
    assert r.status_code == 201, r.text
    made = r.json()
    url = parse_qs(urlsplit(made["offer_uri"]).query)["credential_offer_uri"][0]
    grant = (await client.get(urlsplit(url).path)).json()["grants"][PRE]
    return grant["pre-authorized_code"], made["tx_code"]


async def test_one_code_redeemed_by_twenty_at_once_gives_one_token(committed_app) -> None:  # type: ignore[no-untyped-def]
    async with AppClient(committed_app) as client:
        key = await committed_issuer(committed_app, client)
        code, tx_code = await offer(client, key)
        form = {"grant_type": PRE, "pre-authorized_code": code, "tx_code": tx_code}
        answers = await asyncio.gather(*(
            client.post("/institutions/ucll/oid4vci/token", data=form) for _ in range(20)))
        assert sorted(r.status_code for r in answers) == [200] + [400] * 19
        assert {r.json()["error"] for r in answers if r.status_code == 400} == {"invalid_grant"}


async def test_twenty_wrong_tx_codes_at_once_kill_the_code_after_five(committed_app) -> None:  # type: ignore[no-untyped-def]
    async with AppClient(committed_app) as client:
        key = await committed_issuer(committed_app, client)
        code, tx_code = await offer(client, key)
        wrong = [f"{(int(tx_code) + i) % 10**6:06d}" for i in range(1, 21)]
        answers = await asyncio.gather(*(client.post("/institutions/ucll/oid4vci/token", data={
            "grant_type": PRE, "pre-authorized_code": code, "tx_code": w}) for w in wrong))
        assert {r.status_code for r in answers} == {400}
        counted = [r for r in answers if "left" in r.text or "now dead" in r.text]
        assert len(counted) == 5  # the others found the code dead already
        r = await client.post("/institutions/ucll/oid4vci/token", data={
            "grant_type": PRE, "pre-authorized_code": code, "tx_code": tx_code})
        assert r.status_code == 400 and "dead" in r.json()["error_description"]


async def test_one_token_spent_by_two_deliveries_at_once_gives_one_credential(committed_app) -> None:  # type: ignore[no-untyped-def]
    """The credential endpoint reads, signs, then spends nonce and token in one conditional
    write: of two requests on one token, both signing, only one gets a credential."""
    from joserfc.jwk import OKPKey

    from tests.credentials.test_oid4vci_protocol import proof, request

    async with AppClient(committed_app) as client:
        key = await committed_issuer(committed_app, client)
        code, tx_code = await offer(client, key)
        r = await client.post("/institutions/ucll/oid4vci/token", data={
            "grant_type": PRE, "pre-authorized_code": code, "tx_code": tx_code})
        token = r.json()["access_token"]
        nonces = [(await client.post("/institutions/ucll/oid4vci/nonce")).json()["c_nonce"]
                  for _ in range(2)]
        holder = OKPKey.generate_key("Ed25519")
        answers = await asyncio.gather(*(client.post(
            "/institutions/ucll/oid4vci/credential", json=request(proof(holder, nonce=n)),
            headers=bearer(token)) for n in nonces))
        assert sorted(r.status_code for r in answers) == [200, 401], [r.text for r in answers]
        (refused,) = [r for r in answers if r.status_code == 401]
        assert refused.json()["error"] == "invalid_token"
