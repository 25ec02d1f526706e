"""Learners get a token from their institution, see only their own credentials, export and share."""

from __future__ import annotations

from tests.conftest import bearer
from tests.credentials import support
from tests.credentials.support import issue, request_body

TOKENS = "/api/v1/institutions/ucll/learners/tokens"

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


async def _token(client, ucll, email):  # type: ignore[no-untyped-def]
    r = await client.post(TOKENS, json={"email": email}, headers=ucll)
    assert r.status_code == 201, r.text
    return bearer(r.json()["token"])


async def test_learner_sees_only_own_credentials(client, ucll) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        r = await issue(client, ucll, request_body(learner={"email": "An.Peeters@Example.org",
                                                            "name": "An Peeters"}))
        assert r.status_code == 201, r.text
    await issue(client, ucll, request_body(learner={"email": "bob@example.org", "name": "Bob"}))
    an = await _token(client, ucll, "an.peeters@example.org")
    bob = await _token(client, ucll, "BOB@example.org")
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/me/credentials", params=params, headers=an)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 3 and len({c["id"] for c in seen}) == 3
    assert all(c["credential"]["type"][1] == "OpenBadgeCredential" for c in seen)
    bobs = (await client.get("/api/v1/me/credentials", headers=bob)).json()["items"]
    assert len(bobs) == 1 and bobs[0]["id"] not in {c["id"] for c in seen}
    # Bob cannot share An's credential: it looks like a missing one.
    r = await client.post(f"/api/v1/me/credentials/{seen[0]['id']}/shares", headers=bob)
    assert r.status_code == 404


async def test_export_is_one_download_of_exact_credentials(client, ucll) -> None:  # type: ignore[no-untyped-def]
    issued = await issue(client, ucll)
    an = await _token(client, ucll, "an.peeters@example.org")
    r = await client.get("/api/v1/me/credentials/export", headers=an)
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment")
    assert issued.content in r.content  # embedded byte for byte
    assert r.json()["credentials"][0] == issued.json()


async def test_share_links(client, ucll) -> None:  # type: ignore[no-untyped-def]
    issued = await issue(client, ucll)
    an = await _token(client, ucll, "an.peeters@example.org")
    cid = issued.json()["id"].rsplit("/", 1)[1]
    r = await client.post(f"/api/v1/me/credentials/{cid}/shares", headers=an)
    assert r.status_code == 201, r.text
    share = r.json()
    assert share["url"] == f"http://127.0.0.1:8000/api/v1/shares/{share['token']}"
    assert len(share["token"]) > 40
    public = await client.get(f"/api/v1/shares/{share['token']}")
    assert public.status_code == 200 and public.content == issued.content
    assert (await client.delete(f"/api/v1/me/shares/{share['token']}", headers=an)).status_code == 204
    assert (await client.get(f"/api/v1/shares/{share['token']}")).status_code == 404
    assert (await client.delete(f"/api/v1/me/shares/{share['token']}", headers=an)).status_code == 404


async def test_tokens_are_required_and_checked(client, ucll) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/api/v1/me/credentials")).status_code == 401
    bad = await client.get("/api/v1/me/credentials", headers=bearer("lrn_nope"))
    assert bad.status_code == 401
    partner_key = await client.get("/api/v1/me/credentials", headers=ucll)
    assert partner_key.status_code == 401
    r = await client.post(TOKENS, json={"email": "nope"}, headers=ucll)
    assert r.status_code == 422
    assert (await client.post(TOKENS, json={"email": "a@b.be"})).status_code == 401
