"""The learner's page (/me, #19) in Debian's Chromium, against a real `academy serve` whose
mail goes to a real SMTP server on loopback.

Three partners' credentials stack toward the README's pathway; one is revoked and one
suspended. Signed in through the sign-in mail, in English on a desktop: the states read in
words, the actions sit on each credential, Share makes a link that the copy button copies
and a stranger can open, Stop sharing ends it, and the pathway reads per rule. Then in
Dutch on a phone with JavaScript off: the same page is readable, the share link is a field
to select by hand, and the forms still work. Screenshots go to
``test-artifacts/web/me-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.credentials.support import example, request_body
from tests.forms import AN
from tests.mail_support import FROM, Inbox, free_port, smtp_server
from tests.support import bearer
from tests.web.support import ARTIFACTS, launch_chromium, serving

SIGN_IN_LINK = re.compile(r"https?://\S+/me/sign-in/sgn_[A-Za-z0-9_\-]+")
PATHWAY = "/api/v1/institutions/kuleuven/pathways"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def mailbox() -> Iterator[tuple[Inbox, str]]:
    box, port = Inbox(), free_port()
    controller = smtp_server(box, port)
    yield box, f"smtp://mailer:s%40cret@127.0.0.1:{port}"
    controller.stop()


def _issue(http: httpx.Client, key: str, slug: str, code: str) -> str:
    body = request_body(course=code, issued_on="2026-06-30", assessment={
        "type": "portfolio", "grade": 15,
        "grade_scale": {"type": "numeric", "min": 0, "max": 20, "pass": 10}},
        quality_assurance={"en": f"{slug} internal quality assurance"})
    r = http.post(f"/api/v1/institutions/{slug}/credentials/", json=body, headers=bearer(key))
    assert r.status_code == 201, r.text
    return str(r.json()["id"]).rsplit("/", 1)[-1]


def _prepare(base: str, keys: dict[str, str]) -> dict[str, str]:
    """The active pathway, and An's credentials: two that count, one revoked, one suspended."""
    with httpx.Client(base_url=base, timeout=60) as http:
        r = http.post(PATHWAY, json=example("pathway.json"), headers=bearer(keys["kuleuven"]))
        assert r.status_code == 201, r.text
        for partner in ("thomasmore", "ucll"):
            r = http.post(f"{PATHWAY}/PG-INCLUSIEF-ONDERWIJS/approve", json={},
                          headers=bearer(keys[partner]))
            assert r.status_code == 200, r.text
        ids = {code: _issue(http, keys[slug], slug, code) for slug, code in (
            ("ucll", "MC-UDL"), ("thomasmore", "MC-DIVERSITEIT"), ("ucll", "MC-TOETS"),
            ("kuleuven", "MC-EVALUATIE"))}
        for slug, code, action in (("ucll", "MC-TOETS", "revoke"),
                                   ("kuleuven", "MC-EVALUATIE", "suspend")):
            r = http.post(f"/api/v1/institutions/{slug}/credentials/{ids[code]}/{action}",
                          json={"reason": "checked again"}, headers=bearer(keys[slug]))
            assert r.status_code == 200, r.text
    return ids


async def _sign_in(page, box: Inbox, base: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.async_api import expect

    await page.goto(f"{base}/me")
    await page.get_by_label("Your e-mail address").fill(AN)
    await page.get_by_role("button", name=re.compile("sign-in link", re.I)).click()
    await expect(page.get_by_role("status")).to_contain_text("link")
    link = SIGN_IN_LINK.search(box.wait_for("sign-in link", 1).get_body(("plain",)).get_content())
    assert link
    await page.goto(link.group(0))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/me")


async def test_me_in_english_on_a_desktop_and_in_dutch_on_a_phone_without_javascript(  # type: ignore[no-untyped-def]
        mailbox) -> None:
    from playwright.async_api import async_playwright, expect

    box, smtp_url = mailbox
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = lambda name: ARTIFACTS / f"me-{name}.png"  # noqa: E731
    with serving(env={"ACADEMY_SMTP_URL": smtp_url, "ACADEMY_MAIL_FROM": FROM}) as srv:
        srv.academy("demo", "load")
        base = srv.base
        ids = _prepare(base, {slug: srv.key(slug, "publish,issue")
                              for slug in ("kuleuven", "thomasmore", "ucll")})

        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright)
            try:
                desktop = await browser.new_context(locale="en-GB",
                                                    viewport={"width": 1100, "height": 900})
                await desktop.grant_permissions(["clipboard-read", "clipboard-write"],
                                                origin=base)
                page = await desktop.new_page()
                await _sign_in(page, box, base)

                revoked = page.locator(f"#credential-{ids['MC-TOETS']}")
                await expect(revoked).to_contain_text(re.compile(r"Revoked on \d+ \w+ 2026"))
                await expect(revoked.get_by_role("button", name="Share")).to_have_count(0)
                await expect(revoked.get_by_role("button", name="Add to wallet")).to_have_count(0)
                suspended = page.locator(f"#credential-{ids['MC-EVALUATIE']}")
                await expect(suspended).to_contain_text(re.compile(r"Suspended since \d+ \w+ 2026"))
                valid = page.locator(f"#credential-{ids['MC-UDL']}")
                await expect(valid).to_contain_text("Valid")
                for name in ("Share", "Add to wallet"):
                    await expect(valid.get_by_role("button", name=name)).to_be_visible()
                for name in ("Export (JSON)", "Certificate (PDF)"):
                    await expect(valid.get_by_role("link", name=name)).to_be_visible()

                pathway = page.locator("section.pathway")
                await expect(pathway).to_contain_text("12 ECTS required, 8 earned: 4 more ECTS to go")
                await expect(pathway).to_contain_text(
                    "One module on diversity: Choose 1 of these 2 — ✔ Done")
                # the other diversity module is an option (it would add to the total), no must
                await expect(pathway.locator("li.unit", has_text="Language-aware teaching")
                             ).to_contain_text("Option, not earned yet")
                await expect(pathway).not_to_contain_text("Still to do")
                await expect(pathway.locator("li.unit", has_text="Evaluating teaching quality")
                             ).to_contain_text("your credential is suspended")
                await expect(pathway).not_to_contain_text("15 of 12")
                # awarded while all three counted; the suspension suspended the award too
                await expect(pathway).to_contain_text("Your award (suspended for now)")
                await page.screenshot(path=shot("en-desktop"), full_page=True)

                await valid.get_by_role("button", name="Share").click()
                await page.wait_for_url(re.compile(r"/me\?shared="))
                valid = page.locator(f"#credential-{ids['MC-UDL']}")
                field = valid.get_by_label(re.compile("^Share link"))
                url = await field.input_value()
                assert url.startswith(f"{base}/s/shr_")
                await expect(valid.get_by_role("status").filter(has_text="new share link")
                             ).to_be_visible()
                await valid.get_by_role("button", name="Copy link").click()
                await expect(valid.locator("button.copy + [role=status]")).to_have_text("Copied")
                assert await page.evaluate("navigator.clipboard.readText()") == url
                await page.screenshot(path=shot("en-shared"), full_page=True)

                stranger = await browser.new_context(locale="en-GB")
                other = await stranger.new_page()
                await other.goto(url)
                await expect(other.get_by_role("heading", level=1)).to_contain_text(
                    "Universal Design")

                await valid.get_by_role("button", name=re.compile("^Stop sharing this link")
                                        ).click()
                await expect(page.get_by_role("status").filter(has_text="no longer works")
                             ).to_be_visible()
                response = await other.goto(url)
                assert response is not None and response.status == 404
                await stranger.close()

                # Dutch, on a phone, JavaScript off: readable, and the forms still work.
                phone = await browser.new_context(
                    storage_state=await desktop.storage_state(), java_script_enabled=False,
                    locale="nl-BE", viewport=PHONE, is_mobile=True)
                mobile = await phone.new_page()
                await mobile.goto(f"{base}/me?lang=nl")
                await expect(mobile.locator(f"#credential-{ids['MC-TOETS']}")).to_contain_text(
                    re.compile(r"Ingetrokken op \d+ \w+ 2026"))
                await expect(mobile.locator(f"#credential-{ids['MC-EVALUATIE']}")
                             ).to_contain_text("Geschorst sinds")
                mine = mobile.locator(f"#credential-{ids['MC-UDL']}")
                await mine.get_by_role("button", name="Delen").click()
                await mobile.wait_for_url(re.compile(r"/me\?shared="))
                mine = mobile.locator(f"#credential-{ids['MC-UDL']}")
                field = mine.get_by_label(re.compile("^Deellink"))
                await expect(field).to_be_visible()
                assert (await field.input_value()).startswith(f"{base}/s/shr_")
                assert await field.get_attribute("readonly") is not None
                await expect(mine.get_by_role("button", name="Link kopiëren")).to_be_hidden()
                pathway = mobile.locator("section.pathway")
                await expect(pathway).to_contain_text("12 ECTS vereist, 8 behaald: nog 4 ECTS te gaan")
                await expect(pathway).to_contain_text("Kies 1 van deze 2")
                await expect(pathway).to_contain_text("Minstens 4 ECTS uit deze 3")
                width = await mobile.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"the page scrolls sideways ({width}px)"
                await mobile.screenshot(path=shot("nl-phone-no-js"), full_page=True)
                await phone.close()
                await desktop.close()
            finally:
                await browser.close()
