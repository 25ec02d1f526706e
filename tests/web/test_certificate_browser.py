"""The holder's credential page in a real browser: the badge image, the certificate, LinkedIn.

Debian's headless Chromium through Playwright, against the real server (``tests.web.
conftest.live``). The screenshot lands in ``test-artifacts/web/8-credential-holder.png``.
"""

from __future__ import annotations

import httpx
import pytest

from tests.web.support import ARTIFACTS, launch_chromium


async def test_holder_sees_badge_certificate_and_linkedin(live) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install playwright "
                    "(never `playwright install`: the browser is Debian's chromium)")
    _, base, headers, credential_id = live
    async with httpx.AsyncClient(base_url=base, headers=headers) as http:
        r = await http.post("/api/v1/institutions/ucll/learners/tokens",
                            json={"email": "an.peeters@example.org"})
        assert r.status_code == 201, r.text
        token = r.json()["token"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        page = await browser.new_page(locale="en-GB", viewport={"width": 1000, "height": 900})
        stranger = await browser.new_page(locale="en-GB")
        try:
            await page.goto(f"{base}/me")
            await page.get_by_text("Have a learner token from your institution?").click()
            await page.get_by_label("Learner token").fill(token)
            await page.get_by_role("button", name="Open").click()
            await page.wait_for_url(f"{base}/me")
            await page.goto(f"{base}/credentials/{credential_id}")
            badge = page.locator("img.badge-image")
            await expect(badge).to_be_visible()
            assert await badge.evaluate("img => img.complete && img.naturalWidth > 0")
            linkedin = page.get_by_role("link", name="Add to LinkedIn profile")
            await expect(linkedin).to_be_visible()
            hop = await page.request.get(base + await linkedin.get_attribute("href"),
                                         max_redirects=0)
            assert hop.status == 303
            assert hop.headers["location"].startswith(
                "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&")
            pdf_link = page.get_by_role("link", name="Certificate to print (PDF)")
            pdf = await page.request.get(base + await pdf_link.get_attribute("href"))
            assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
            assert (await pdf.body()).startswith(b"%PDF-")
            await page.screenshot(path=ARTIFACTS / "8-credential-holder.png", full_page=True)
            # Someone else: the badge image is public, the credential (holder and issuer
            # only, #17's share model) and its links are not.
            image = await stranger.request.get(base + await badge.get_attribute("src"))
            assert image.status == 200 and image.headers["content-type"].startswith("image/svg")
            page_for_stranger = await stranger.goto(f"{base}/credentials/{credential_id}")
            assert page_for_stranger is not None and page_for_stranger.status == 404
            await expect(stranger.get_by_role("link", name="Add to LinkedIn profile")).to_have_count(0)
            denied = await stranger.request.get(f"{base}/credentials/{credential_id}.pdf")
            assert denied.status == 404
        finally:
            await browser.close()
