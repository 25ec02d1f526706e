"""Share links that mean what they say (issue #17).

A credential is read by id only by its holder and its issuer; the public reach it through a
live share link only, and deleting the link hides it at once. A share link gives a browser
the credential page and a program the credential JSON. Verification stays public.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.conftest import bearer
from tests.credentials import support
from tests.credentials.support import issue, request_body

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # UCLL's issuing key, after publishing MC-TOETS (a microcredential)

AN = "an.peeters@example.org"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
           "Accept-Language": "en"}
MISSING = "00000000-0000-4000-8000-000000000000"


async def token_for(client, ucll, email: str = AN) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = await client.post("/api/v1/institutions/ucll/learners/tokens", json={"email": email},
                          headers=ucll)
    return bearer(r.json()["token"])


async def test_only_holder_and_issuer_read_a_credential_by_id(client, ucll, make_key) -> None:  # type: ignore[no-untyped-def]
    issued = await issue(client, ucll)
    cid = issued.json()["id"].rsplit("/", 1)[1]
    holder = await token_for(client, ucll)
    stranger = await token_for(client, ucll, "someone@example.org")
    other_partner = bearer(await make_key("thomasmore", "issue"))
    for path in (f"/api/v1/credentials/{cid}", f"/credentials/{cid}", f"/credentials/{cid}/json"):
        for who in (holder, ucll):
            r = await client.get(path, headers=who)
            assert r.status_code == 200, (path, r.text)
        for who in ({}, stranger, other_partner):  # exactly like an id that does not exist
            r = await client.get(path, headers=who)
            missing = await client.get(path.replace(cid, MISSING), headers=who)
            assert r.status_code == missing.status_code == 404, (path, who, r.status_code)
    anonymous = await client.get(f"/api/v1/credentials/{cid}")
    missing = await client.get(f"/api/v1/credentials/{MISSING}")
    assert anonymous.json()["detail"].replace(cid, MISSING) == missing.json()["detail"]
    assert (await client.get(f"/api/v1/credentials/{cid}", headers=holder)).content == \
        issued.content  # exact bytes
    r = await client.get(f"/api/v1/credentials/{cid}", headers=bearer("lrn_expired"))
    assert r.status_code == 401  # a broken token says so, rather than a 404


async def test_verification_stays_public(client, ucll) -> None:  # type: ignore[no-untyped-def]
    credential = (await issue(client, ucll)).json()
    status_url = credential["credentialStatus"]["statusListCredential"]
    assert (await client.get(status_url.removeprefix("http://127.0.0.1:8000"))).status_code == 200
    assert (await client.get("/institutions/ucll/did.json")).status_code == 200
    report = (await client.post("/api/v1/verify", json=credential)).json()
    assert report["verified"] is True


async def test_a_share_link_shows_a_page_to_browsers_and_json_to_programs(client, ucll) -> None:  # type: ignore[no-untyped-def]
    issued = await issue(client, ucll)
    cid = issued.json()["id"].rsplit("/", 1)[1]
    holder = await token_for(client, ucll)
    share = (await client.post(f"/api/v1/me/credentials/{cid}/shares", headers=holder)).json()
    url = share["url"].removeprefix("http://127.0.0.1:8000")
    page = await client.get(url, headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'data-verdict="valid"' in page.text and "An Peeters" in page.text
    assert share["url"] in page.text  # its QR code and link point at the share link
    for accept, media in (("application/json", "application/json"),
                          ("application/ld+json", "application/ld+json"),
                          ("*/*", "application/ld+json")):
        r = await client.get(url, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), accept
        assert r.content == issued.content
    download = await client.get(url, params={"format": "json"}, headers=BROWSER)
    assert download.content == issued.content and "attachment" in \
        download.headers["content-disposition"]

    assert (await client.delete(f"/api/v1/me/shares/{share['id']}", headers=holder)).status_code \
        == 204
    gone = await client.get(url, headers=BROWSER)
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("text/html")
    gone = await client.get(url, headers={"Accept": "application/json"})
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"/api/v1/credentials/{cid}")).status_code == 404


async def test_my_share_links_are_listed_page_by_page(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    cids = [(await issue(client, ucll)).json()["id"].rsplit("/", 1)[1] for _ in range(2)]
    await issue(client, ucll, request_body(learner={"email": "bob@example.org", "name": "Bob"}))
    holder = await token_for(client, ucll)
    made = [(await client.post(f"/api/v1/me/credentials/{c}/shares", headers=holder)).json()
            for c in (*cids, cids[0])]
    labelled = await client.post(f"/api/v1/me/credentials/{cids[1]}/shares",
                                 json={"label": "linkedin"}, headers=holder)
    assert labelled.status_code == 201 and labelled.json()["label"] == "linkedin"
    seen, cursor = [], None
    while True:
        page = (await client.get("/api/v1/me/shares", headers=holder,
                                 params={"limit": 2, **({"cursor": cursor} if cursor else {})}))
        assert page.status_code == 200
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert [s["id"] for s in seen] == [labelled.json()["id"], *[m["id"] for m in made[::-1]]]
    assert {s["url"] for s in seen[1:]} == {m["url"] for m in made}  # listed as made
    async with session_factory() as s:  # a copy of the table holds no usable link
        hashes = {r[0] for r in await s.execute(text("SELECT token_hash FROM credential_share"))}
    assert not any(m["token"] in h or h in m["token"] for m in made for h in hashes)
    bob = await token_for(client, ucll, "bob@example.org")
    assert (await client.get("/api/v1/me/shares", headers=bob)).json()["items"] == []
    r = await client.delete(f"/api/v1/me/shares/{made[0]['id']}", headers=bob)
    assert r.status_code == 404  # not Bob's
    bad = await client.get("/api/v1/me/shares", headers=holder, params={"cursor": "nope"})
    assert bad.status_code == 400  # #18: a parameter error is a 400


async def test_a_labelled_link_is_reused_while_it_lives(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    from api.sessions import share_key
    from credentials.learners import Learner
    from credentials.shares import labelled_share

    cid = (await issue(client, ucll)).json()["id"].rsplit("/", 1)[1]
    key = share_key(client.app.state.settings)
    async with session_factory() as s:
        first = await labelled_share(s, Learner(AN), uuid.UUID(cid), key, "certificate")
        again = await labelled_share(s, Learner(AN), first.credential_id, key, "certificate")
        assert again == first and first.token
        await s.execute(text("DELETE FROM credential_share WHERE id = :i"), {"i": first.id})
        fresh = await labelled_share(s, Learner(AN), first.credential_id, key, "certificate")
        assert fresh.id != first.id and fresh.token != first.token
