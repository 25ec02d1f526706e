"""Showing a credential to an employer (#19) in Debian's Chromium, against a real server.

The holder makes a QR code on their credential's page; the employer opens its share link
(English, desktop) and reads who earned what, from whom and when, with the verdict on top
and the checks folded away; the same link on a phone in Dutch, without JavaScript; the
link pasted into /verify; a revoked credential says so, with the day, in words. Screenshots
go to ``test-artifacts/web/employer-*.png``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from tests.credentials.support import request_body
from tests.web.support import ARTIFACTS, launch_chromium

NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def _playwright():  # type: ignore[no-untyped-def]
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install playwright "
                    "(never `playwright install`: the browser is Debian's chromium)")
    return async_playwright, expect


async def _learner_token(base: str, headers: dict[str, str], email: str) -> str:
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        r = await http.post("/api/v1/institutions/ucll/learners/tokens", json={"email": email})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


async def test_the_holder_makes_a_qr_code_and_an_employer_reads_it(live) -> None:  # type: ignore[no-untyped-def]
    async_playwright, expect = _playwright()
    _, base, headers, credential_id = live
    token = await _learner_token(base, headers, "an.peeters@example.org")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    host = urlsplit(base).hostname
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        holder = await browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
        await holder.add_cookies([{"name": "learner_token", "value": token, "domain": host,
                                   "path": "/"}])
        employer = await browser.new_context(locale="en-GB",
                                             viewport={"width": 1280, "height": 900})
        phone = await browser.new_context(locale="nl-BE", java_script_enabled=False,
                                          viewport={"width": 390, "height": 844})
        try:
            page = await holder.new_page()
            await page.goto(f"{base}/credentials/{credential_id}")
            await expect(page.locator(".qr svg")).to_have_count(0)  # nothing public yet
            await page.get_by_role("button", name="Make a QR code for an employer").click()
            qr = page.get_by_role("img", name="QR code that opens this credential's share link")
            await expect(qr).to_be_visible()
            link = await page.locator("#qr figcaption a").get_attribute("href")
            assert link and re.search(r"/s/shr_[A-Za-z0-9_-]+$", link), link
            await page.screenshot(path=ARTIFACTS / "employer-1-holder-qr.png", full_page=True)

            # The employer scans it: English, desktop.
            seen = await employer.new_page()
            await seen.goto(link)
            main = seen.locator("main")
            await expect(seen.get_by_role("heading", level=2, name="Valid")).to_be_visible()
            for fact in ("Earned by", "An Peeters", "UC Leuven-Limburg, Belgium",
                         "19 December 2025", "4 ECTS", "EQF level", "Learning outcomes",
                         "15 on a scale of 0 to 20 (pass mark 10)",
                         "UCLL internal quality assurance", "blended (campus and online)"):
                await expect(main).to_contain_text(fact)
            checks = seen.get_by_role("table", name="Checks behind the verdict")
            await expect(checks).to_be_hidden()  # folded under "How was this checked?"
            assert "did:" not in await main.inner_text()
            await seen.screenshot(path=ARTIFACTS / "employer-2-share-en.png", full_page=True)
            await seen.get_by_text("How was this checked?").click()
            await expect(checks).to_be_visible()
            await expect(checks).to_contain_text("The digital signature matches")
            assert "did:web:" in await main.inner_text()  # only now, inside the disclosure
            await seen.screenshot(path=ARTIFACTS / "employer-2-share-en-checks.png",
                                  full_page=True)

            # The same link on a phone, in Dutch, without JavaScript.
            small = await phone.new_page()
            await small.goto(link)
            await expect(small.locator("html")).to_have_attribute("lang", "nl")
            await expect(small.get_by_role("heading", level=2, name="Geldig")).to_be_visible()
            for fact in ("Behaald door", "19 december 2025", "Studiebelasting",
                         "gemengd (campus en online)", "Interne kwaliteitszorg van UCLL"):
                await expect(small.locator("main")).to_contain_text(fact)
            assert await small.evaluate(NO_SIDEWAYS), "no sideways scroll on a phone"
            await small.screenshot(path=ARTIFACTS / "employer-3-share-nl-phone.png",
                                   full_page=True)

            # /verify: the employer pastes the link instead (Dutch phone, no JavaScript).
            await small.goto(f"{base}/verify")
            await small.get_by_label("Credential (JSON) of de link ernaartoe").fill(link)
            await small.get_by_role("button", name="Verifiëren").click()
            await expect(small.get_by_role("heading", name="Geldig")).to_be_visible()
            await expect(small.locator("main")).to_contain_text("An Peeters")
            assert await small.evaluate(NO_SIDEWAYS)
            await small.screenshot(path=ARTIFACTS / "employer-4-verify-link-nl-phone.png",
                                   full_page=True)
            # ... and a link of another site, which is never opened
            await small.get_by_label("Credential (JSON) of de link ernaartoe").fill(
                "https://example.org/s/shr_abcdefghijklmnopqrstuvwxyz")
            await small.get_by_role("button", name="Verifiëren").click()
            alert = small.get_by_role("alert")
            await expect(alert).to_contain_text("Deze link is geen credential van dit register")
            await expect(alert).not_to_contain_text("JSON is")
        finally:
            await browser.close()


async def test_an_employer_sees_a_revocation_with_its_day(live) -> None:  # type: ignore[no-untyped-def]
    async_playwright, expect = _playwright()
    _, base, headers, _ = live
    email = "jan.jansen@example.org"
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        r = await http.post("/api/v1/institutions/ucll/credentials/", json=request_body(
            learner={"email": email, "name": "Jan Jansen"}))
        assert r.status_code == 201, r.text
        credential_id = r.json()["id"].rsplit("/", 1)[-1]
        learner = {"Authorization": f"Bearer {await _learner_token(base, headers, email)}"}
        r = await http.post(f"/api/v1/me/credentials/{credential_id}/shares", headers=learner)
        assert r.status_code == 201, r.text
        link = r.json()["url"]
        r = await http.post(f"/api/v1/institutions/ucll/credentials/{credential_id}/revoke",
                            json={"reason": "issued in error"})
        assert r.status_code == 200, r.text
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
            await page.goto(link)
            verdict = page.get_by_role("heading", level=2, name=re.compile(r"Revoked on \d+ \w+"))
            await expect(verdict).to_be_visible()
            await expect(page.locator("main")).to_contain_text(
                "UC Leuven-Limburg revoked this credential")
            await page.screenshot(path=ARTIFACTS / "employer-5-revoked-en.png", full_page=True)
            phone = await browser.new_page(locale="nl-BE", java_script_enabled=False,
                                           viewport={"width": 390, "height": 844})
            await phone.goto(link)
            await expect(phone.get_by_role("heading", level=2,
                                           name=re.compile(r"Ingetrokken op \d+ \w+"))).to_be_visible()
            assert await phone.evaluate(NO_SIDEWAYS)
            await phone.screenshot(path=ARTIFACTS / "employer-6-revoked-nl-phone.png",
                                   full_page=True)
        finally:
            await browser.close()
