"""OpenID4VCI's rules one by one, through the app on the test's transaction.

The whole flow with a real wallet library is `test_wallet_oid4vci.py`; here a client
writes its own requests (proofs signed with joserfc) to reach every refusal: metadata,
offers, the token endpoint's OAuth errors, the credential endpoint's §8.3.1.2 errors,
hashed state, the offer lifetime setting and the rate limit.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OKPKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from api.app import create_app
from api.settings import Settings, load_settings
from credentials.proofs.holder_proof import ProofRejected, check_proof, did_jwk
from credentials.proofs.multikey import ED25519_PUB_PREFIX, b58encode
from tests.client import AppClient
from tests.conftest import TEST_SECRET, bearer
from tests.conftest_secrets import LogCapture
from tests.credentials import support
from tests.credentials.support import issue

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests

PRE = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
BASE = "http://127.0.0.1:8000"
ISSUER = f"{BASE}/institutions/ucll"
TTL = 123


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(env={"ACADEMY_OFFER_TTL_SECONDS": str(TTL)}, data_dir=tmp_path,
                         database_url=database_url, secret_key=TEST_SECRET,
                         harvest_in_background=False)


def proof(key: OKPKey | ECKey, *, header: dict[str, Any] | None = None, **claims: Any) -> str:
    """A proof JWT; by default EdDSA, kid = the key's did:key, aud = UCLL, iat = now."""
    raw = base64.urlsafe_b64decode(key.as_dict()["x"] + "==")
    did = "did:key:z" + b58encode(ED25519_PUB_PREFIX + raw)
    head = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": f"{did}#{did[8:]}",
            **(header or {})}
    body = {"aud": ISSUER, "iat": int(time.time()), **claims}
    with warnings.catch_warnings():  # "EdDSA" is what wallets send (RFC 9864 renames it)
        warnings.filterwarnings("ignore", "EdDSA is deprecated", SecurityWarning)
        return jwt.encode({k: v for k, v in head.items() if v is not None},
                          {k: v for k, v in body.items() if v is not None}, key,
                          algorithms=[head["alg"]])


async def learner_token(client: AsyncTestClient[Litestar], ucll: dict[str, str],
                        email: str = "an.peeters@example.org") -> dict[str, str]:
    r = await client.post("/api/v1/institutions/ucll/learners/tokens", json={"email": email},
                          headers=ucll)
    assert r.status_code == 201, r.text
    return bearer(r.json()["token"])


async def offered(client: AsyncTestClient[Litestar], ucll: dict[str, str]) -> dict[str, Any]:
    """A fresh credential offered by its learner: the 201 body plus its pre-authorised code."""
    r = await issue(client, ucll)
    assert r.status_code == 201, r.text
    cid = r.json()["id"].rsplit("/", 1)[1]
    r = await client.post(f"/api/v1/me/credentials/{cid}/offers",
                          headers=await learner_token(client, ucll))
    assert r.status_code == 201, r.text
    out = r.json()
    url = parse_qs(urlsplit(out["offer_uri"]).query)["credential_offer_uri"][0]
    r = await client.get(url.removeprefix(BASE))
    assert r.status_code == 200, r.text
    out |= {"credential_id": cid, "offer": r.json(),
            "code": r.json()["grants"][PRE]["pre-authorized_code"]}
    return out


async def access_token(client: AsyncTestClient[Litestar], ucll: dict[str, str]
                       ) -> tuple[dict[str, Any], str]:
    out = await offered(client, ucll)
    r = await client.post("/institutions/ucll/oid4vci/token", data={
        "grant_type": PRE, "pre-authorized_code": out["code"], "tx_code": out["tx_code"]})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store" and r.json()["token_type"] == "Bearer"
    return out, r.json()["access_token"]


async def nonce(client: AsyncTestClient[Litestar]) -> str:
    r = await client.post("/institutions/ucll/oid4vci/nonce")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store", r.text
    return r.json()["c_nonce"]  # type: ignore[no-any-return]


async def ask(client: AsyncTestClient[Litestar], token: str | None, body: Any) -> Any:
    headers = bearer(token) if token else {}
    return await client.post("/institutions/ucll/oid4vci/credential", json=body, headers=headers)


def request(jwt_text: str) -> dict[str, Any]:
    return {"credential_configuration_id": "OpenBadgeCredential", "proofs": {"jwt": [jwt_text]}}


async def test_issuer_and_authorisation_server_metadata(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/.well-known/openid-credential-issuer/institutions/ucll")
    assert r.status_code == 200, r.text
    meta = r.json()
    assert meta["credential_issuer"] == ISSUER
    assert meta["credential_endpoint"] == f"{ISSUER}/oid4vci/credential"
    assert meta["nonce_endpoint"] == f"{ISSUER}/oid4vci/nonce"
    assert {d["locale"] for d in meta["display"]} == {"nl", "en"}
    assert all(d["name"] and d["logo"]["uri"] == f"{ISSUER}/logo.svg" for d in meta["display"])
    config = meta["credential_configurations_supported"]["OpenBadgeCredential"]
    assert config["format"] == "ldp_vc"
    assert config["credential_definition"]["type"] == ["VerifiableCredential",
                                                       "OpenBadgeCredential"]
    assert "https://www.w3.org/ns/credentials/v2" in config["credential_definition"]["@context"]
    assert {"did:key", "did:jwk"} <= set(config["cryptographic_binding_methods_supported"])
    assert config["credential_signing_alg_values_supported"] == ["eddsa-rdfc-2022"]
    assert {"EdDSA", "ES256"} <= set(
        config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"])
    assert {d["locale"] for d in config["display"]} == {"nl", "en"}
    logo = await client.get("/institutions/ucll/logo.svg")
    assert logo.status_code == 200 and logo.headers["content-type"].startswith("image/svg+xml")

    r = await client.get("/.well-known/oauth-authorization-server/institutions/ucll")
    assert r.status_code == 200, r.text
    assert r.json()["issuer"] == ISSUER
    assert r.json()["token_endpoint"] == f"{ISSUER}/oid4vci/token"
    assert r.json()["pre-authorized_grant_anonymous_access_supported"] is True
    r = await client.get("/.well-known/openid-credential-issuer/institutions/nowhere")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


async def test_an_offer_is_hashed_at_rest_and_lives_as_configured(client, ucll, session) -> None:  # type: ignore[no-untyped-def]
    before = datetime.now(UTC)
    capture = LogCapture()
    logging.getLogger().addHandler(capture)
    try:
        out = await offered(client, ucll)
    finally:
        logging.getLogger().removeHandler(capture)
    offer_token = out["offer_uri"].rsplit("%2F", 1)[1]
    logged = " ".join(text for name, text in capture.texts if name.startswith("academy"))
    assert "/oid4vci/offers/[redacted]" in logged and offer_token not in logged
    expires = datetime.fromisoformat(out["expires_at"].replace("Z", "+00:00"))
    assert abs((expires - before).total_seconds() - TTL) < 30
    assert out["offer"]["credential_issuer"] == ISSUER
    assert out["offer"]["credential_configuration_ids"] == ["OpenBadgeCredential"]
    tx = out["offer"]["grants"][PRE]["tx_code"]
    assert tx["length"] == 6 and tx["input_mode"] == "numeric"
    assert "cijfers" in tx["description"] and "digit" in tx["description"]
    r = await client.post("/institutions/ucll/oid4vci/token", data={
        "grant_type": PRE, "pre-authorized_code": out["code"], "tx_code": out["tx_code"]})
    token = r.json()["access_token"]
    c_nonce = await nonce(client)
    stored = json.dumps([list(map(str, row)) for table in (
        "credential_offer", "oid4vci_token", "oid4vci_nonce") for row in (
        await session.execute(text(f"SELECT * FROM {table}"))).all()])  # noqa: S608
    for secret in (out["code"], token, c_nonce, offer_token):
        assert secret not in stored
    assert f"'{out['tx_code']}'" not in stored and f'"{out["tx_code"]}"' not in stored


def test_the_offer_lifetime_comes_from_the_environment(tmp_path: Path) -> None:
    found = load_settings(env={"ACADEMY_OFFER_TTL_SECONDS": "90"}, data_dir=tmp_path,
                          secret_key="x")
    assert found.offer_ttl_seconds == 90
    assert load_settings(env={}, data_dir=tmp_path, secret_key="x").offer_ttl_seconds == 600


async def test_only_the_holder_or_the_issuer_may_offer(client, ucll, make_key) -> None:  # type: ignore[no-untyped-def]
    r = await issue(client, ucll)
    cid = r.json()["id"].rsplit("/", 1)[1]
    other = await learner_token(client, ucll, "someone.else@example.org")
    r = await client.post(f"/api/v1/me/credentials/{cid}/offers", headers=other)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    kuleuven = bearer(await make_key("kuleuven", "issue"))
    r = await client.post(f"/api/v1/institutions/kuleuven/credentials/{cid}/offers",
                          headers=kuleuven)
    assert r.status_code == 404, r.text
    r = await client.post(f"/api/v1/institutions/ucll/credentials/{cid}/offers", headers=ucll)
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store", r.text
    r = await client.post("/api/v1/me/credentials/not-a-uuid/offers",
                          headers=await learner_token(client, ucll))
    assert r.status_code in (404, 422), r.text


async def test_a_pre_revocation_list_credential_must_be_reissued_first(app, client, ucll) -> None:  # type: ignore[no-untyped-def]
    r = await issue(client, ucll)
    legacy = await support.as_legacy(app, r.json())
    cid = legacy["id"].rsplit("/", 1)[1]
    r = await client.post(f"/api/v1/me/credentials/{cid}/offers",
                          headers=await learner_token(client, ucll))
    assert r.status_code == 409 and "reissue" in r.json()["detail"], r.text


async def test_token_endpoint_errors_are_rfc6749_json(client, ucll) -> None:  # type: ignore[no-untyped-def]
    out = await offered(client, ucll)
    cases = [
        ({"json": {"grant_type": PRE, "pre-authorized_code": out["code"]}}, "invalid_request"),
        ({"data": {"grant_type": "authorization_code", "code": "x"}}, "unsupported_grant_type"),
        ({"data": {"grant_type": PRE}}, "invalid_request"),
        ({"data": {"grant_type": PRE, "pre-authorized_code": "nope", "tx_code": "123456"}},
         "invalid_grant"),
        ({"data": {"grant_type": PRE, "pre-authorized_code": out["code"]}}, "invalid_request"),
    ]
    for kwargs, error in cases:
        r = await client.post("/institutions/ucll/oid4vci/token", **kwargs)
        assert r.status_code == 400, r.text
        assert r.headers["content-type"] == "application/json"
        assert r.json()["error"] == error and r.json()["error_description"], (kwargs, r.text)
    r = await client.post("/institutions/kuleuven/oid4vci/token", data={
        "grant_type": PRE, "pre-authorized_code": out["code"], "tx_code": out["tx_code"]})
    assert r.json()["error"] == "invalid_grant"  # another issuer's code
    r = await client.post("/institutions/ucll/oid4vci/token", data={
        "grant_type": PRE, "pre-authorized_code": out["code"], "tx_code": out["tx_code"]})
    assert r.status_code == 200, r.text  # a missing tx_code was not a counted attempt


async def test_the_credential_endpoint_binds_and_refuses_per_8_3_1(client, ucll) -> None:  # type: ignore[no-untyped-def]
    out, token = await access_token(client, ucll)
    key = OKPKey.generate_key("Ed25519")

    r = await ask(client, None, request(proof(key, nonce=await nonce(client))))
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = await ask(client, "forged", request(proof(key, nonce=await nonce(client))))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    refusals = [
        ({"credential_configuration_id": "Diploma", "proofs": {"jwt": ["x"]}},
         "unknown_credential_configuration"),
        ({"credential_configuration_id": "OpenBadgeCredential"}, "invalid_credential_request"),
        (request(proof(key, header={"typ": "JWT"}, nonce=await nonce(client))), "invalid_proof"),
        (request(proof(key, iat=int(time.time()) - 3600, nonce=await nonce(client))),
         "invalid_proof"),
        (request(proof(key, aud=f"{BASE}/institutions/kuleuven", nonce=await nonce(client))),
         "invalid_proof"),
        (request(proof(key)), "invalid_proof"),  # no nonce at all
        (request(proof(key, nonce="never-issued")), "invalid_nonce"),
        (request(proof(key, header={"kid": None, "jwk": key.as_dict(private=True)},
                       nonce=await nonce(client))), "invalid_proof"),  # a private key
        (request(proof(OKPKey.generate_key("Ed25519"), header={"kid": proof_kid(key)},
                       nonce=await nonce(client))), "invalid_proof"),  # signed by another key
    ]
    for body, error in refusals:
        r = await ask(client, token, body)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == error, (error, r.text)

    c_nonce = await nonce(client)
    ec = ECKey.generate_key("P-256")
    public = {k: v for k, v in ec.as_dict().items() if k in ("kty", "crv", "x", "y")}
    r = await ask(client, token, request(proof(ec, header={"alg": "ES256", "kid": None,
                                                           "jwk": public}, nonce=c_nonce)))
    assert r.status_code == 200, r.text
    (item,) = r.json()["credentials"]
    assert item["credential"]["credentialSubject"]["id"] == did_jwk(public)
    assert item["credential"]["credentialStatus"]["statusPurpose"] == "revocation"

    r = await ask(client, token, request(proof(key, nonce=await nonce(client))))
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"  # one credential
    _, other = await access_token(client, ucll)
    r = await ask(client, other, request(proof(key, nonce=c_nonce)))  # the nonce is spent
    assert r.status_code == 400 and r.json()["error"] == "invalid_nonce"


def proof_kid(key: OKPKey) -> str:
    raw = base64.urlsafe_b64decode(key.as_dict()["x"] + "==")
    multibase = "z" + b58encode(ED25519_PUB_PREFIX + raw)
    return f"did:key:{multibase}#{multibase}"


async def test_a_revoked_credential_is_not_delivered(client, ucll) -> None:  # type: ignore[no-untyped-def]
    out, token = await access_token(client, ucll)
    r = await client.post(f"/api/v1/institutions/ucll/credentials/{out['credential_id']}/revoke",
                          json={"reason": "fraud"}, headers=ucll)
    assert r.status_code == 200, r.text
    key = OKPKey.generate_key("Ed25519")
    r = await ask(client, token, request(proof(key, nonce=await nonce(client))))
    assert r.status_code == 400 and r.json()["error"] == "credential_request_denied", r.text


def test_check_proof_names_the_holder() -> None:
    key = OKPKey.generate_key("Ed25519")
    holder = check_proof(proof(key, nonce="n"), audience=ISSUER, now=int(time.time()))
    assert holder.did == proof_kid(key).split("#")[0] and holder.nonce == "n"
    with pytest.raises(ProofRejected, match="kid"):
        check_proof(proof(key, header={"kid": "did:web:example.org#k"}, nonce="n"),
                    audience=ISSUER, now=int(time.time()))
    with pytest.raises(ProofRejected, match="alg"):
        check_proof(_unsigned_alg_none(key), audience=ISSUER, now=int(time.time()))


def test_an_over_long_did_key_is_refused_before_base58_decoding() -> None:
    """base58 decoding is quadratic: a did:key longer than any key is refused on its length,
    before decoding (joserfc's 512-byte header bound is not what this module relies on)."""
    key = OKPKey.generate_key("Ed25519")
    multibase = "z" + "2" * 100
    with pytest.raises(ProofRejected, match="longer than 64"):
        check_proof(proof(key, header={"kid": f"did:key:{multibase}#{multibase}"}, nonce="n"),
                    audience=ISSUER, now=int(time.time()))


def _unsigned_alg_none(key: OKPKey) -> str:
    header = {"typ": "openid4vci-proof+jwt", "alg": "none", "kid": proof_kid(key)}
    payload = {"aud": ISSUER, "iat": int(time.time()), "nonce": "n"}
    enc = [base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode()
           for p in (header, payload)]
    return f"{enc[0]}.{enc[1]}."


async def test_public_oauth_endpoints_are_rate_limited(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    limited = support.with_registry(create_app(
        Settings(**{**{f: getattr(settings, f) for f in settings.__struct_fields__},
                    "search_rate_per_minute": 3}), session_factory=session_factory))
    async with AppClient(limited) as client:
        codes = [(await client.post("/institutions/ucll/oid4vci/nonce")).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = await client.post("/institutions/ucll/oid4vci/token", data={"grant_type": PRE})
        assert r.status_code == 429 and "retry-after" in r.headers
