"""The pages in a real browser: Debian's headless Chromium, driven by Playwright for Python.

Against a real ``academy serve`` (``bench._harness``) with the demo catalogue loaded: search
and apply a facet, open a course, open a credential and see "valid", revoke it through the
API and see "revoked". Screenshots go to ``test-artifacts/web/``. Without
``/usr/bin/chromium`` (``make test`` installs it) the test fails, saying so.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.web.support import ARTIFACTS, launch_chromium


async def test_search_course_credential_and_revocation_in_a_browser(live) -> None:  # type: ignore[no-untyped-def]
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install playwright "
                    "(never `playwright install`: the browser is Debian's chromium)")
    _, base, headers, credential_id = live
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        page = await browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
        try:
            await page.goto(f"{base}/")
            await expect(page.locator("html")).to_have_attribute("lang", "en")
            box = page.get_by_label("What do you want to learn?")
            await box.press_sequentially("manag")  # autocomplete from /api/v1/suggest
            await expect(page.locator("#suggestions option").first).to_be_attached()
            await box.fill("management")
            await page.get_by_role("button", name="Search", exact=True).click()
            await page.wait_for_url("**/?q=management*")
            cards = page.locator("#results > li")
            await expect(cards.first).to_be_visible()
            await page.screenshot(path=ARTIFACTS / "1-search.png", full_page=True)

            facet = page.locator(".facet input[name=institution]").first
            value = await facet.get_attribute("value")
            await facet.check()  # the page submits itself; the URL carries the facet
            await page.wait_for_url(f"**institution={value}*")
            await expect(page.locator(f".facet input[value='{value}']")).to_be_checked()
            await expect(cards.first).to_be_visible()
            assert "q=management" in page.url
            await page.screenshot(path=ARTIFACTS / "2-facet.png", full_page=True)

            title = (await cards.first.locator("h3 a").inner_text()).strip()
            await cards.first.locator("h3 a").click()
            await page.wait_for_url(f"**/courses/{value}/**")
            await expect(page.locator("h1")).to_have_text(title)
            assert await page.locator("script[type='application/ld+json']").count() == 1
            await page.screenshot(path=ARTIFACTS / "3-course.png", full_page=True)

            await page.goto(f"{base}/?sort=title")  # "load more" appends the next page
            await expect(cards).to_have_count(20)
            await page.get_by_role("link", name="Load more").click()
            await expect(cards.nth(20)).to_be_attached()
            assert page.url.endswith("/?sort=title")  # the next page joins this one

            # Issue #17: the public see a credential through its holder's share link.
            async with httpx.AsyncClient(base_url=base, headers=headers) as http:
                r = await http.post("/api/v1/institutions/ucll/learners/tokens",
                                    json={"email": "an.peeters@example.org"})
                learner = {"Authorization": f"Bearer {r.json()['token']}"}
                r = await http.post(f"/api/v1/me/credentials/{credential_id}/shares",
                                    headers=learner)
                assert r.status_code == 201, r.text
            await page.goto(r.json()["url"])
            verdict = page.locator(".verdict-word")
            await expect(verdict).to_have_text("Valid")  # #19: in plain words
            await expect(page.locator(".qr svg")).to_be_visible()
            await page.screenshot(path=ARTIFACTS / "4-credential-valid.png", full_page=True)

            async with httpx.AsyncClient(base_url=base, headers=headers) as http:
                r = await http.post(f"/api/v1/institutions/ucll/credentials/{credential_id}/revoke",
                                    json={"reason": "issued in error"})
                assert r.status_code == 200, r.text
            await page.reload()
            await expect(verdict).to_have_text(re.compile(r"^Revoked on \d+ \w+ \d{4}$"))
            await page.screenshot(path=ARTIFACTS / "5-credential-revoked.png", full_page=True)

            await page.get_by_role("link", name="Nederlands").click()
            await expect(page.locator("html")).to_have_attribute("lang", "nl")
            await expect(verdict).to_have_text(re.compile(r"^Ingetrokken op \d+ \w+ \d{4}$"))

            phone = await browser.new_page(locale="nl-BE", viewport={"width": 390, "height": 844})
            await phone.goto(f"{base}/?q=management")
            await expect(phone.locator("#results > li").first).to_be_visible()
            assert await phone.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"
            await phone.screenshot(path=ARTIFACTS / "6-phone.png", full_page=True)
        finally:
            await browser.close()
