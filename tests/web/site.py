"""Every kind of page a visitor meets, in one list, and a site that has something on each.

``PAGES`` is the list the quality checks walk (tests/web/test_accessibility.py: axe-core in
Chromium; tests/web/test_without_js.py: reading and forms with JavaScript off). A new page
is one line here. A page behind a form names the step that gets there (``reach``), written
with plain clicks so it works with and without JavaScript.

``site()`` is a real ``academy serve`` with the demo catalogue, mail to an SMTP server on
loopback, and the records those pages show: the joint pathway of the demo's six
microcredentials (approved by its partners), a valid credential counting toward it, a
revoked one, a share link of each, a signed-in learner (through the real e-mail link) and
an unused sign-in link.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import httpx

from tests.credentials.support import example, request_body
from tests.forms import AN
from tests.mail_support import FROM, Inbox, free_port, smtp_server
from tests.web.support import serving

__all__ = ["DESKTOP", "LOCALES", "PAGES", "PHONE", "Screen", "Site", "open_screen", "site"]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LOCALES = {"nl": "nl-BE", "en": "en-GB"}

PATHWAY = "PG-INCLUSIEF-ONDERWIJS"  # schemas/examples/pathway.json, awarded by KU Leuven
_LINK = re.compile(r"https?://\S+/me/sign-in/(sgn_[A-Za-z0-9_\-]+)")


@dataclass
class Site:
    base: str
    valid_id: str  # counts toward the pathway; held by the signed-in learner
    revoked_id: str
    share_valid: str  # paths of live share links
    share_revoked: str
    unused_link: str  # a sign-in link token nobody has used
    document: str  # the valid credential, as its holder downloads it
    session: list[dict[str, Any]]  # the signed-in learner's cookies, for Playwright
    visitors: Iterator[int] = field(default_factory=count)  # fresh addresses for sign-in forms


Reach = Callable[[Any, Site], Awaitable[Any]]


@dataclass(frozen=True)
class Screen:
    """One kind of page: where it is, what must be on it, and who looks at it."""

    name: str
    path: str  # formatted with the Site's fields: "/credentials/{valid_id}"
    shows: str  # a CSS selector of the page's main content, present with or without JS
    signed_in: bool = False
    reach: Reach | None = None  # the form step from ``path`` to the page (its response)
    status: int = 200


async def _paste_credential(page: Any, s: Site) -> Any:
    await page.locator("form.verify textarea").fill(s.document)
    async with page.expect_navigation() as sent:
        await page.locator("form.verify button[type=submit]").click()
    return await sent.value


async def _ask_for_link(page: Any, s: Site) -> Any:
    # A fresh address each time: the per-address limit would answer 429 to the fourth ask.
    await page.locator("form.signin input[name=email]").fill(f"visitor{next(s.visitors)}@example.org")
    async with page.expect_navigation() as sent:
        await page.locator("form.signin button[type=submit]").click()
    return await sent.value


async def _add_to_wallet(page: Any, s: Site) -> Any:
    async with page.expect_navigation() as sent:
        await page.locator("form.wallet button[type=submit]").first.click()
    return await sent.value


VALID, REVOKED = "[data-verdict=valid]", "[data-verdict=revoked]"
PAGES = [
    Screen("search", "/?q=management", "#results > li h3 a"),
    Screen("search-partial", "/?q=management+qqqxzv", ".partial-note"),
    Screen("search-empty", "/?q=qqqxzvw+wwqqxz", "#results-title"),
    Screen("course", "/courses/ucll/MC-UDL", "h1"),
    Screen("pathway", f"/pathways/kuleuven/{PATHWAY}", "h1"),
    Screen("credential-holder", "/credentials/{valid_id}", VALID, signed_in=True),
    Screen("credential-share", "{share_valid}", VALID),
    Screen("credential-revoked", "{share_revoked}", REVOKED),
    Screen("credential-revoked-holder", "/credentials/{revoked_id}", REVOKED, signed_in=True),
    Screen("verify", "/verify", "form.verify textarea"),
    Screen("verify-verdict", "/verify", VALID, reach=_paste_credential),
    Screen("me", "/me", ".cards .card h3 a", signed_in=True),
    Screen("me-signed-out", "/me", "form.signin input[name=email]"),
    Screen("signin-sent", "/me", "[role=status]", reach=_ask_for_link, status=202),
    Screen("signin-confirm", "/me/sign-in/{unused_link}", "form button[type=submit]"),
    Screen("signin-problem", "/me/sign-in/sgn_no-such-link", ".error h2", status=404),
    Screen("error", "/courses/ucll/NO-SUCH-COURSE", ".error h1", status=404),
    Screen("wallet", "/me", "output.code", signed_in=True, reach=_add_to_wallet),
]


async def open_screen(context: Any, screen: Screen, s: Site) -> Any:
    """A new tab of ``context`` on ``screen``, its status and content checked."""
    from playwright.async_api import expect

    page = await context.new_page()
    response = await page.goto(s.base + screen.path.format(**vars(s)))
    if screen.reach is not None:
        response = await screen.reach(page, s)
    assert response.status == screen.status, f"{screen.name}: {response.status}"
    await expect(page.locator(screen.shows).first).to_be_visible()
    return page


def _sign_in_link(box: Inbox, n: int) -> str:
    mail = box.wait_for("sign-in link", n)
    found = _LINK.search(mail.get_body(("plain",)).get_content())
    assert found, mail
    return found.group(1)


@contextmanager
def site() -> Iterator[Site]:
    box, port = Inbox(), free_port()
    smtp = smtp_server(box, port)
    env = {"ACADEMY_SMTP_URL": f"smtp://mailer:s%40cret@127.0.0.1:{port}",
           "ACADEMY_MAIL_FROM": FROM, "ACADEMY_SIGNIN_RATE_PER_MINUTE": "100000"}
    try:
        with serving(env=env) as srv:
            srv.academy("demo", "load")
            keys = {slug: {"Authorization": f"Bearer {srv.key(slug, 'publish,issue')}"}
                    for slug in ("kuleuven", "thomasmore", "ucll")}
            yield _populate(srv.base, keys, box)
    finally:
        smtp.stop()


def _populate(base: str, keys: dict[str, dict[str, str]], box: Inbox) -> Site:
    with httpx.Client(base_url=base, timeout=30) as http:
        def ok(r: httpx.Response) -> dict[str, Any]:
            assert r.status_code in (200, 201, 202), r.text
            return r.json() if r.content else {}

        pathways = "/api/v1/institutions/kuleuven/pathways"
        ok(http.post(f"{pathways}/", json=example("pathway.json"), headers=keys["kuleuven"]))
        for partner in ("thomasmore", "ucll"):
            ok(http.post(f"{pathways}/{PATHWAY}/approve", json={}, headers=keys[partner]))
        issue = "/api/v1/institutions/ucll/credentials/"
        valid = ok(http.post(issue, json=request_body(course="MC-UDL"), headers=keys["ucll"]))
        revoked = ok(http.post(issue, json=request_body(), headers=keys["ucll"]))
        ids = [c["id"].rsplit("/", 1)[-1] for c in (valid, revoked)]
        token = ok(http.post("/api/v1/institutions/ucll/learners/tokens", json={"email": AN},
                             headers=keys["ucll"]))["token"]
        learner = {"Authorization": f"Bearer {token}"}
        shares = [ok(http.post(f"/api/v1/me/credentials/{i}/shares", headers=learner))["url"]
                  for i in ids]
        ok(http.post(f"{issue}{ids[1]}/revoke", json={"reason": "issued in error"},
                     headers=keys["ucll"]))
        for _ in range(2):
            ok(http.post("/api/v1/learners/sign-in", json={"email": AN},
                         headers={"Accept-Language": "en"}))
        used, unused = _sign_in_link(box, 1), _sign_in_link(box, 2)
        form = http.get(f"/me/sign-in/{used}")
        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text)
        assert csrf, form.text
        r = http.post(f"/me/sign-in/{used}", data={"csrf_token": csrf.group(1)})
        assert r.status_code == 303 and "academy_session" in http.cookies, r.text
        document = http.get(f"/credentials/{ids[0]}/json")
        assert document.status_code == 200, document.text
        session = [{"name": c.name, "value": c.value, "url": base} for c in http.cookies.jar]
    return Site(base=base, valid_id=ids[0], revoked_id=ids[1],
                share_valid=httpx.URL(shares[0]).path, share_revoked=httpx.URL(shares[1]).path,
                unused_link=unused, document=document.text, session=session)
