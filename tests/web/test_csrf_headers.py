"""Pages defend themselves in the browser (issue #13, Low): no cross-site form posts, and
security headers on every page.

The attack: another site's page auto-submits a form to ``POST /me`` (planting its own
learner token in the victim's cookie) or ``POST /me/logout``; before, both were accepted.
"""

from __future__ import annotations

import msgspec

from api.app import create_app
from tests.client import AppClient
from tests.forms import csrf_of

EVIL = "https://evil.example"


async def test_a_foreign_page_cannot_post_our_forms(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/me", "/me/logout"):
        for headers in ({"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site", "Origin": EVIL},
                        {"Sec-Fetch-Site": "same-site"}, {"Origin": "null"},
                        {"Referer": f"{EVIL}/page"}):
            r = await client.post(path, data={"token": "lrn_planted"}, headers=headers,
                                  follow_redirects=False)
            assert r.status_code == 403, (path, headers, r.status_code)
            assert "set-cookie" not in r.headers or "lrn_planted" not in r.headers["set-cookie"]
            assert r.headers["content-type"].startswith("text/html")


async def test_our_own_pages_and_non_browsers_still_post(client) -> None:  # type: ignore[no-untyped-def]
    # Issue #17: every state-changing form also carries this browser's CSRF token.
    csrf = await csrf_of(client)
    for headers in ({"Origin": "http://127.0.0.1:8000"}, {"Sec-Fetch-Site": "same-origin"},
                    {"Origin": "http://testserver.local"}, {}):
        r = await client.post("/me", data={"token": "lrn_x", "csrf_token": csrf},
                              headers=headers, follow_redirects=False)
        assert r.status_code == 303, (headers, r.text)
    # verifying changes nothing: other sites may post a credential to be checked here
    r = await client.post("/verify", data={"credential": "{}"}, headers={"Origin": EVIL})
    assert r.status_code == 200


async def test_pages_carry_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in page.headers  # http: HSTS would be ignored
    api = await client.get("/api/v1/institutions")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    missing = await client.get("/no-such-page")
    assert missing.headers["x-content-type-options"] == "nosniff"
    docs = await client.get("/schema/swagger")  # Swagger UI from /static (#18), no CDN
    assert "script-src 'self' 'unsafe-inline'" in docs.headers["content-security-policy"]
    assert "http" not in docs.headers["content-security-policy"]


async def test_hsts_when_served_over_https(settings, session_factory) -> None:  # type: ignore[no-untyped-def]
    https = msgspec.structs.replace(settings, base_url="https://academy.example.org")
    async with AppClient(create_app(https, session_factory=session_factory),
                         base_url="https://testserver.local") as c:  # Secure cookies go back
        r = await c.get("/")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        r = await c.post("/me", data={"token": "lrn_x", "csrf_token": await csrf_of(c)},
                         follow_redirects=False, headers={"Origin": "https://academy.example.org"})
        assert r.status_code == 303
