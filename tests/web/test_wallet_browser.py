"""'Add to wallet' in a real browser (Debian's headless Chromium, Playwright for Python).

The learner opens /me with their token, presses "Add to wallet" on a credential and gets
the offer's QR code with the tx_code beside it. The screenshot is the README's picture
(`docs/add-to-wallet.png` is copied from `test-artifacts/web/7-add-to-wallet.png`).
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.web.support import ARTIFACTS, launch_chromium


async def test_add_to_wallet_in_a_browser(live) -> None:  # type: ignore[no-untyped-def]
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
        page = await browser.new_page(locale="en-GB", viewport={"width": 900, "height": 760})
        try:
            await page.goto(f"{base}/me")
            # Issue #17: signing in by e-mail comes first; the institution's token is folded.
            await page.get_by_text("Have a learner token from your institution?").click()
            await page.get_by_label("Learner token").fill(token)
            await page.get_by_role("button", name="Open").click()
            await page.wait_for_url(f"{base}/me")
            await page.goto(f"{base}/credentials/{credential_id}")  # the holder sees the button
            await page.get_by_role("button", name="Add to wallet").click()
            await page.wait_for_url(f"**/me/credentials/{credential_id}/wallet")
            await expect(page.locator("h1")).to_have_text("Add to your wallet")
            await expect(page.locator(".qr svg")).to_be_visible()
            code = page.locator("output.code")
            await expect(code).to_have_text(re.compile(r"^\d{6}$"))
            href = await page.locator("a.offer").get_attribute("href")
            assert href and href.startswith("openid-credential-offer://?credential_offer_uri=")
            assert (await code.inner_text()) not in href
            await page.screenshot(path=ARTIFACTS / "7-add-to-wallet.png", full_page=True)
        finally:
            await browser.close()
