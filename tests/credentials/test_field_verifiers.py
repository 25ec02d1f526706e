"""Our credentials as verifiers in the field judge them, against the real server on loopback.

Two independent verifiers run in `bench/node/field-verify.mjs`, each configured only as its
users configure it (pinned in bench/node/package-lock.json):

* DCC's `@digitalcredentials/verifier-core` (VerifierPlus, the Learner Credential Wallet):
  its own document loader, which ships the standard contexts and fetches the rest;
* Digital Bazaar's `@digitalbazaar/vc` + `data-integrity` (eddsa-rdfc-2022, jsonld safe
  mode) + `vc-bitstring-status-list`, with a loader of the standard contexts' npm packages
  that resolves did:web and fetches status lists.

Neither knows any context of ours. The one shim is test-only: fetches of the server's
public https URL go to its loopback http port. The server's public base URL is https, as
in production behind its TLS proxy, so ids, did:web and status list URLs are the real
shape. Every case is judged by both, and every URL either fetched is checked to be a DID
document or a status list.
"""

from __future__ import annotations

import json
import subprocess

from sqlalchemy.ext.asyncio import async_sessionmaker

from api.db import make_engine
from credentials.proofs.jsonld import MICROCREDENTIAL_CONTEXT_URL
from credentials.keys import KeyRing
from credentials.validation import validate_ob3
from tests.conftest import TEST_SECRET, bearer
from tests.credentials.field_support import (  # noqa: F401  (fixtures)
    FIELD_VERIFY,
    LEARNER,
    ROOT,
    change,
    client,
    issue,
    judge,
    keys,
    node_modules,
    server,
    verdicts,
)
from tests.credentials.pathway_support import active_pathway
from tests.credentials.support import legacy_in


async def test_fresh_tampered_revoked_and_suspended(node_modules, server, client, keys) -> None:  # type: ignore[no-untyped-def]
    fresh = await issue(client, keys)
    revoked = await issue(client, keys, learner={"email": "r@example.org", "name": "R"})
    suspended = await issue(client, keys, learner={"email": "s@example.org", "name": "S"})
    tampered = json.loads(json.dumps(fresh))
    tampered["credentialSubject"]["achievement"]["name"] = "Master of Everything"
    await change(client, keys, revoked, "revoke")
    await change(client, keys, suspended, "suspend")
    judged = verdicts(node_modules, server, [fresh, tampered, revoked, suspended])
    assert judged == [("valid", "valid"), ("invalid", "invalid"), ("revoked", "revoked"),
                      ("revoked", "revoked")]  # a suspension reads as revoked everywhere

    await change(client, keys, suspended, "unsuspend")
    assert verdicts(node_modules, server, [suspended]) == [("valid", "valid")]


async def test_stacked_award_across_three_institutions(node_modules, server, client, keys) -> None:  # type: ignore[no-untyped-def]
    learner = {"email": "stacker@example.org", "name": "Stacker"}
    await active_pathway(client, keys)
    udl = await issue(client, keys, "ucll", "MC-UDL", learner)
    await issue(client, keys, "thomasmore", "MC-DIVERSITEIT", learner)
    await issue(client, keys, "kuleuven", "MC-EVALUATIE", learner)
    r = await client.post("/api/v1/institutions/kuleuven/learners/tokens",  # the awarder
                          json={"email": learner["email"]}, headers=keys["kuleuven"])
    assert r.status_code == 201, r.text
    mine = (await client.get("/api/v1/me/credentials",
                             headers=bearer(r.json()["token"]))).json()["items"]
    (award,) = [c["credential"] for c in mine if c["course"].startswith("kuleuven/pathway:")]
    assert validate_ob3(award) == []
    assert len(award["hasPart"]) == 3
    assert verdicts(node_modules, server, [award]) == [("valid", "valid")]

    await change(client, keys, udl, "revoke")
    assert verdicts(node_modules, server, [award, udl]) == [("revoked", "revoked")] * 2


async def test_signed_before_a_key_rotation_still_verifies(node_modules, server, client, keys) -> None:  # type: ignore[no-untyped-def]
    before = await issue(client, keys, "thomasmore", "MC-DIVERSITEIT")
    server.academy("keys", "rotate-signing", "--institution", "thomasmore")
    after = await issue(client, keys, "thomasmore", "MC-DIVERSITEIT",
                        {"email": "after@example.org", "name": "After"})
    assert before["proof"][0]["verificationMethod"] != after["proof"][0]["verificationMethod"]
    assert verdicts(node_modules, server, [before, after]) == [("valid", "valid")] * 2


async def test_a_reissued_pre_change_credential_verifies(node_modules, server, client, keys) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(server.database_url)
    try:
        legacy = await legacy_in(async_sessionmaker(engine, expire_on_commit=False),
                                 KeyRing(TEST_SECRET, server.public),
                                 await issue(client, keys, learner={"email": "old@example.org",
                                                                    "name": "Old"}))
    finally:
        await engine.dispose()
    # The old form: the registry verifies it; verifiers in the field cannot (the context
    # URL is nobody's, the 2-bit entry is read by nobody).
    report = (await client.post("/api/v1/verify", json=legacy)).json()
    assert report["verified"] is True, report
    old = verdicts(node_modules, server, [legacy], allow=(MICROCREDENTIAL_CONTEXT_URL,))
    assert old == [("invalid", "invalid")]

    r = await client.post("/api/v1/institutions/ucll/learners/tokens",
                          json={"email": "old@example.org"}, headers=keys["ucll"])
    me = bearer(r.json()["token"])
    cid = legacy["id"].rsplit("/", 1)[1]
    r = await client.post(f"/api/v1/me/credentials/{cid}/reissue", headers=me)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["id"] == legacy["id"] and new["credentialStatus"]["statusPurpose"] == "revocation"
    assert validate_ob3(new) == []
    assert verdicts(node_modules, server, [new]) == [("valid", "valid")]
    again = await client.post(f"/api/v1/me/credentials/{cid}/reissue", headers=me)
    assert again.status_code == 200 and again.json() == new
    assert (await client.post("/api/v1/verify", json=legacy)).json()["verified"] is True

    await change(client, keys, new, "revoke")  # the institution's revocation reaches both
    assert verdicts(node_modules, server, [new]) == [("revoked", "revoked")]
    report = (await client.post("/api/v1/verify", json=legacy)).json()
    assert not report["verified"] and {c["check"]: c for c in report["checks"]}[
        "status"]["reason"] == "revoked"


async def test_offline_with_the_did_document_and_the_status_list_only(  # type: ignore[no-untyped-def]
        node_modules, server, client, keys, tmp_path) -> None:
    """What the README shows a third party: the credential, the issuer's DID document and
    the status list, saved beforehand; no network at all."""
    credential = await issue(client, keys, "kuleuven", "MC-EVALUATIE")

    async def save(url: str, name: str) -> str:
        r = await client.get(url.removeprefix(server.public))
        assert r.status_code == 200, r.text
        (tmp_path / name).write_text(r.text)
        return str(tmp_path / name)

    did = await save(f"{server.public}/institutions/kuleuven/did.json", "did.json")
    (tmp_path / "credential.json").write_text(json.dumps(credential))

    def offline() -> tuple[str, str]:
        done = subprocess.run(
            [node_modules, str(FIELD_VERIFY), "--offline", did, "--offline",
             str(tmp_path / "status.json"), str(tmp_path / "credential.json")],
            capture_output=True, text=True, timeout=300, cwd=ROOT / "bench" / "node", check=False)
        assert done.returncode == 0, done.stderr
        line = json.loads(done.stdout.splitlines()[0])
        return line["dcc"]["verdict"], line["digitalbazaar"]["verdict"]

    status = credential["credentialStatus"]["statusListCredential"]
    await save(status, "status.json")
    assert offline() == ("valid", "valid")
    await change(client, keys, credential, "revoke")
    await save(status, "status.json")
    assert offline() == ("revoked", "revoked")
