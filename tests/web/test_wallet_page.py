"""'Add to wallet' on the learner's pages: a QR code of the offer, the tx_code beside it."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from tests.credentials import support
from tests.credentials.support import issue, request_body
from tests.forms import csrf_of
from web.views import qr_svg

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # UCLL's issuing key, after publishing MC-TOETS (a microcredential)

BUTTON = 'action="/me/credentials/{}/wallet"'


async def login(client, ucll, email: str) -> None:  # type: ignore[no-untyped-def]
    r = await client.post("/api/v1/institutions/ucll/learners/tokens", json={"email": email},
                          headers=ucll)
    assert r.status_code == 201, r.text
    r = await client.post("/me", data={"token": r.json()["token"], "csrf_token": await csrf_of(
        client)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "Path=/;" in cookie and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    client.cookies.set("learner_token", re.search(r"learner_token=([^;]+)", cookie)[1])


async def test_the_holder_adds_a_credential_to_a_wallet(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid = (await issue(client, ucll)).json()["id"].rsplit("/", 1)[1]
    other = (await issue(client, ucll, request_body(
        learner={"email": "other@example.org", "name": "Other"}))).json()["id"].rsplit("/", 1)[1]

    r = await client.get(f"/credentials/{cid}", headers={"Accept-Language": "en"})
    assert BUTTON.format(cid) not in r.text  # anonymous: no button
    await login(client, ucll, "an.peeters@example.org")
    r = await client.get("/me", headers={"Accept-Language": "en"})
    assert BUTTON.format(cid) in r.text and "Add to wallet" in r.text
    r = await client.get(f"/credentials/{cid}", headers={"Accept-Language": "en"})
    assert BUTTON.format(cid) in r.text
    r = await client.get(f"/credentials/{other}", headers={"Accept-Language": "en"})
    assert BUTTON.format(other) not in r.text  # someone else's credential

    csrf = await csrf_of(client)  # issue #17: the button's form carries its CSRF token
    r = await client.post(f"/me/credentials/{cid}/wallet", headers={"Accept-Language": "nl"},
                          data={"csrf_token": csrf})
    assert r.status_code == 200, r.text
    tx_code = re.search(r'<output [^>]*class="code"[^>]*>(\d{6})</output>', r.text)[1]
    uri = html.unescape(re.search(r'<a class="offer" href="([^"]+)"', r.text)[1])
    assert uri.startswith("openid-credential-offer://?credential_offer_uri=")
    assert str(qr_svg(uri)) in r.text  # the QR code is of the offer URI ...
    assert tx_code not in uri  # ... which never holds the tx_code
    offer_url = parse_qs(urlsplit(uri).query)["credential_offer_uri"][0]
    grant = (await client.get(urlsplit(offer_url).path)).json()["grants"][
        "urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    r = await client.post("/institutions/ucll/oid4vci/token", data={
        "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        "pre-authorized_code": grant["pre-authorized_code"], "tx_code": tx_code})
    assert r.status_code == 200, r.text  # the code beside the QR is the offer's

    r = await client.post(f"/me/credentials/{other}/wallet", headers={"Accept-Language": "en"},
                          data={"csrf_token": csrf})
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
