"""A learner signs in alone (issue #17): a one-time link by e-mail, a session, sign-out.

The mail is read where the app puts it, the outbox table (``credentials.notifications``),
in the test's transaction; the pages are driven as a browser would, cookies and forms.
"""

from __future__ import annotations


import msgspec
import pytest
from sqlalchemy import text

from api.app import create_app
from tests.client import AppClient
from tests.credentials import support
from tests.credentials.support import issue
from tests.forms import AN, ask_on_the_page, csrf_of, link_in, mails_to, signed_in

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # UCLL's issuing key, after publishing MC-TOETS (a microcredential)

SIGN_IN = "/api/v1/learners/sign-in"


async def test_a_learner_signs_in_with_a_link_and_sees_their_credentials(  # type: ignore[no-untyped-def]
        client, ucll, session_factory) -> None:
    cid = (await issue(client, ucll)).json()["id"].rsplit("/", 1)[1]
    r = await client.get("/me", headers={"Accept-Language": "en"})
    assert 'action="/me/sign-in"' in r.text and 'name="email"' in r.text
    r = await ask_on_the_page(client, "  An.Peeters@Example.org ", **{"Accept-Language": "en"})
    assert r.status_code == 202
    assert "If this address holds credentials, a link is on its way" in r.text
    (mail,) = await mails_to(session_factory, AN)
    assert mail.kind == "sign_in" and mail.sensitive and mail.language == "en"
    assert mail.subject == "Your sign-in link for Academy"
    assert "15 minutes" in mail.body_text and "only works in the browser" in mail.body_text
    assert (mail.expires_at - mail.created_at).total_seconds() == pytest.approx(900, abs=5)
    token = link_in(mail.body_text)
    async with session_factory() as s:  # stored as a hash only
        assert await s.scalar(text("SELECT count(*) FROM sign_in_link WHERE token_hash = :t"),
                              {"t": token}) == 0

    # A mail scanner fetching the link uses nothing: the page shows a button.
    for _ in range(2):
        r = await client.get(f"/me/sign-in/{token}", headers={"Accept-Language": "en"})
        assert r.status_code == 200 and "Sign in as an.peeters@example.org?" in r.text
    csrf = await csrf_of(client, f"/me/sign-in/{token}")
    r = await client.post(f"/me/sign-in/{token}", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/me"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("academy_session=ses_") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("samesite", "SameSite") and "Secure" not in cookie
    assert "Path=/" in cookie and "Max-Age=43200" in cookie  # 12 hours
    r = await client.get("/me", headers={"Accept-Language": "en"})
    assert r.status_code == 200 and f"/credentials/{cid}" in r.text and AN in r.text
    assert 'href="/api/v1/me/export"' in r.text
    assert (await client.get(f"/credentials/{cid}")).status_code == 200  # the holder reads it
    mine = (await client.get("/api/v1/me/credentials")).json()  # the API takes the cookie too
    assert [c["id"] for c in mine["items"]] == [cid] and mine["scope"]["institution"] is None


async def test_unknown_and_known_addresses_get_the_same_answer(  # type: ignore[no-untyped-def]
        client, ucll, session_factory) -> None:
    await issue(client, ucll)
    known = await client.post(SIGN_IN, json={"email": AN})
    unknown = await client.post(SIGN_IN, json={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json()["detail"] == unknown.json()["detail"]
    assert "If this address holds credentials" in known.json()["detail"]
    assert set(known.json()) == set(unknown.json())
    assert len(await mails_to(session_factory, AN)) == 1
    assert await mails_to(session_factory, "nobody@example.org") == []
    async with session_factory() as s:  # the same work was done: a link row for each request
        assert await s.scalar(text("SELECT count(*) FROM sign_in_link")) == 2
    page = await ask_on_the_page(client, "nobody@example.org", **{"Accept-Language": "en"})
    assert page.status_code == 202 and "If this address holds credentials" in page.text

    bad = await client.post(SIGN_IN, json={"email": "not an address"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/email"
    assert (await client.post(SIGN_IN, json={"mail": AN})).status_code == 422


async def test_a_link_works_once_and_for_fifteen_minutes(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    await issue(client, ucll)
    await signed_in(client, session_factory)
    used = link_in((await mails_to(session_factory, AN))[-1].body_text)
    client.cookies.clear()
    r = await client.get(f"/me/sign-in/{used}", headers={"Accept-Language": "en"})
    assert r.status_code == 410 and "already used" in r.text
    assert 'action="/me/sign-in"' in r.text  # and a way to ask for a new one right there

    await client.post(SIGN_IN, json={"email": AN})  # an API request: not bound to a browser
    late = link_in((await mails_to(session_factory, AN))[-1].body_text)
    async with session_factory() as s:
        await s.execute(text("UPDATE sign_in_link SET expires_at = now() - interval '1 second' "
                             "WHERE used_at IS NULL"))
        await s.commit()
    r = await client.get(f"/me/sign-in/{late}", headers={"Accept-Language": "en"})
    assert r.status_code == 410 and "has expired" in r.text and "15 minutes" in r.text
    csrf = await csrf_of(client, "/me")
    r = await client.post(f"/me/sign-in/{late}", data={"csrf_token": csrf})
    assert r.status_code == 410 and "academy_session" not in r.headers.get("set-cookie", "")

    r = await client.get("/me/sign-in/sgn_made-up", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and "not a sign-in link we sent" in r.text


async def test_a_link_opens_only_in_the_browser_that_asked(  # type: ignore[no-untyped-def]
        client, ucll, session_factory) -> None:
    await issue(client, ucll)
    await ask_on_the_page(client)
    token = link_in((await mails_to(session_factory, AN))[-1].body_text)
    laptop = dict(client.cookies)
    client.cookies.clear()  # another device: none of the first browser's cookies
    phone = client  # the same client, as another device
    r = await phone.get(f"/me/sign-in/{token}", headers={"Accept-Language": "en"})
    assert r.status_code == 403 and "asked for in another browser" in r.text
    assert 'action="/me/sign-in"' in r.text  # ask for a new link from here
    csrf = await csrf_of(phone, f"/me/sign-in/{token}")
    r = await phone.post(f"/me/sign-in/{token}", data={"csrf_token": csrf})
    assert r.status_code == 403 and "academy_session" not in r.headers.get("set-cookie", "")
    r = await ask_on_the_page(phone)  # a new link, bound to the phone
    assert r.status_code == 202
    mine = link_in((await mails_to(session_factory, AN))[-1].body_text)
    csrf = await csrf_of(phone, f"/me/sign-in/{mine}")
    r = await phone.post(f"/me/sign-in/{mine}", data={"csrf_token": csrf},
                         follow_redirects=False)
    assert r.status_code == 303
    # The first browser's link was not used by the refused attempts: it still works there.
    client.cookies.clear()
    for name, value in laptop.items():
        client.cookies.set(name, value)
    csrf = await csrf_of(client, f"/me/sign-in/{token}")
    r = await client.post(f"/me/sign-in/{token}", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert r.status_code == 303


async def test_forms_without_their_csrf_token_are_refused(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    await issue(client, ucll)
    await ask_on_the_page(client)
    token = link_in((await mails_to(session_factory, AN))[-1].body_text)
    r = await client.post(f"/me/sign-in/{token}", headers={"Accept-Language": "en"})
    assert r.status_code == 403 and "without its security token" in r.text
    r = await client.post(f"/me/sign-in/{token}", data={"csrf_token": "0" * 64})
    assert r.status_code == 403 and "not this browser" in r.text
    r = await client.post("/me/sign-in", data={"email": AN})
    assert r.status_code == 403
    session = await signed_in(client, session_factory)
    r = await client.post("/me/logout")  # no token: still signed in
    assert r.status_code == 403
    assert (await client.get("/api/v1/me/credentials")).status_code == 200
    # A cookie-authenticated API write needs X-CSRF-Token; a bearer token does not.
    r = await client.delete("/api/v1/me")
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert "security token" in r.json()["detail"]
    assert client.cookies.get("academy_session") == session


async def test_sign_out_ends_the_session_on_the_server(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    await issue(client, ucll)
    session = await signed_in(client, session_factory)
    r = await client.post("/me/logout", data={"csrf_token": await csrf_of(client)},
                          follow_redirects=False)
    assert r.status_code == 303 and 'academy_session=""' in r.headers["set-cookie"]
    r = await client.get(r.headers["location"], headers={"Accept-Language": "en"})
    assert r.status_code == 200 and "You are signed out." in r.text
    client.cookies.set("academy_session", session)  # a copy of the old cookie opens nothing
    r = await client.get("/api/v1/me/credentials")
    assert r.status_code == 401 and "session has ended" in r.json()["detail"]
    r = await client.get("/me", headers={"Accept-Language": "en"})
    assert r.status_code == 401 and "Your session has ended" in r.text


async def test_sign_out_through_the_api_with_the_cookie(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    await issue(client, ucll)
    await signed_in(client, session_factory)
    csrf = await csrf_of(client)
    session = client.cookies.get("academy_session")
    r = await client.delete("/api/v1/me/session", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204 and 'academy_session=""' in r.headers["set-cookie"]
    assert (await client.get("/api/v1/me/credentials")).status_code == 401
    client.cookies.set("academy_session", str(session))  # ended on the server, too
    assert (await client.get("/api/v1/me/credentials")).status_code == 401


@pytest.mark.parametrize("how", ["https base URL", "trusted proxy"])
async def test_the_cookie_is_secure_when_served_over_https(  # type: ignore[no-untyped-def]
        settings, session_factory, how) -> None:
    if how == "https base URL":
        configured = msgspec.structs.replace(settings, base_url="https://academy.example.org")
        headers: dict[str, str] = {}
    else:
        configured = msgspec.structs.replace(settings, trusted_proxies=("127.0.0.1/32",))
        headers = {"X-Forwarded-Proto": "https"}
    async with AppClient(support.with_registry(create_app(configured,
                                                          session_factory=session_factory)),
                         base_url="https://testserver.local") as c:
        r = await c.get("/me", headers=headers)
        assert "academy_browser=" in r.headers["set-cookie"]
        assert "Secure" in r.headers["set-cookie"]
    async with AppClient(support.with_registry(create_app(
            settings, session_factory=session_factory))) as c:
        r = await c.get("/me", headers={"X-Forwarded-Proto": "https"})  # not from a trusted proxy
        assert "Secure" not in r.headers["set-cookie"]


async def test_sign_in_requests_are_rate_limited_per_address_and_per_client(  # type: ignore[no-untyped-def]
        settings, session_factory) -> None:
    limited = msgspec.structs.replace(settings, signin_rate_per_minute=5)
    async with AppClient(support.with_registry(create_app(
            limited, session_factory=session_factory))) as c:
        for i in range(3):  # three for one address, from three clients
            c.from_address(f"192.0.2.{i + 1}")
            assert (await c.post(SIGN_IN, json={"email": AN})).status_code == 202
        c.from_address("192.0.2.9")
        r = await c.post(SIGN_IN, json={"email": AN})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        for i in range(3):  # alike for an address that holds nothing
            c.from_address(f"198.51.100.{i + 1}")
            assert (await c.post(SIGN_IN, json={"email": "nobody@example.org"})).status_code == 202
        assert (await c.post(SIGN_IN, json={"email": "nobody@example.org"})).status_code == 429
        c.from_address("203.0.113.7")
        for i in range(5):  # one client, many addresses: its own limit of 5 a minute
            assert (await c.post(SIGN_IN, json={"email": f"x{i}@example.org"})).status_code == 202
        r = await c.post(SIGN_IN, json={"email": "x9@example.org"})
        assert r.status_code == 429 and "retry" in r.json()["detail"]


async def test_institution_tokens_keep_working_for_api_clients(client, ucll) -> None:  # type: ignore[no-untyped-def]
    await issue(client, ucll)
    r = await client.post("/api/v1/institutions/ucll/learners/tokens", json={"email": AN},
                          headers=ucll)
    token = {"Authorization": f"Bearer {r.json()['token']}"}
    mine = await client.get("/api/v1/me/credentials", headers=token)
    assert mine.status_code == 200 and mine.json()["scope"]["institution"] == "ucll"
    # A bearer token's writes need no CSRF token: no browser sends it by itself.
    cid = mine.json()["items"][0]["id"]
    assert (await client.post(f"/api/v1/me/credentials/{cid}/shares",
                              headers=token)).status_code == 201
