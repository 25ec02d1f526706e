"""What JavaScript adds, and what sticks without it, in Debian's Chromium.

* The language a visitor picks sticks: English chosen on the search page stays English on
  a course, a credential's share link and /verify, though the browser asks for Dutch.
* Copy buttons (web/static/app.js) beside a credential's link and a wallet offer's code
  put exactly that text on the clipboard and say so; without JavaScript there is no button.
* Facets submit the search on change (with JavaScript; without it, "Apply filters" does:
  tests/web/test_without_js.py).
"""

from __future__ import annotations

from tests.web.site import PHONE, Site
from tests.web.support import ARTIFACTS, launch_chromium


async def test_the_chosen_language_sticks_across_pages(site: Site) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(locale="nl-BE", viewport={"width": 1280, "height": 900})
            await page.goto(f"{site.base}/?q=management")
            html = page.locator("html")
            await expect(html).to_have_attribute("lang", "nl")
            await page.get_by_role("link", name="Language: English").click()
            await expect(html).to_have_attribute("lang", "en")
            assert "q=management" in page.url  # the same search, in English
            await expect(page.get_by_label("What do you want to learn?")).to_have_value("management")

            await page.locator("#results > li h3 a").first.click()
            await page.wait_for_url("**/courses/**")
            await expect(html).to_have_attribute("lang", "en")
            nav = page.get_by_role("navigation")
            await expect(nav.get_by_role("link", name="Search", exact=True)).to_be_visible()

            await page.goto(site.base + site.share_valid)
            await expect(html).to_have_attribute("lang", "en")
            await expect(page.locator("[data-verdict=valid]")).to_contain_text("Valid")

            await page.get_by_role("navigation").get_by_role("link", name="Verify").click()
            await page.wait_for_url("**/verify")
            await expect(html).to_have_attribute("lang", "en")
            await expect(page.locator("h1")).to_have_text("Verify a credential")

            await page.get_by_role("link", name="Taal: Nederlands").click()  # and back
            await expect(page.locator("h1")).to_have_text("Een credential verifiëren")
            await page.goto(f"{site.base}/")
            await expect(html).to_have_attribute("lang", "nl")
        finally:
            await browser.close()


async def test_copy_buttons_copy_the_share_link_and_the_wallet_code(site: Site) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            context = await browser.new_context(locale="en-GB", viewport=PHONE)
            await context.grant_permissions(["clipboard-read", "clipboard-write"],
                                            origin=site.base)
            page = await context.new_page()
            await page.goto(site.base + site.share_valid)
            await page.get_by_role("button", name="Copy link").click()
            await expect(page.get_by_role("status")).to_have_text("Link copied")
            assert await page.evaluate("navigator.clipboard.readText()") == page.url
            await page.screenshot(path=ARTIFACTS / "copy-link.png", full_page=True)

            await context.add_cookies(site.session)
            await page.goto(f"{site.base}/me")
            await page.get_by_role("button", name="Add to wallet").first.click()
            await page.wait_for_url("**/wallet")
            await page.get_by_role("button", name="Copy code").click()
            await expect(page.locator(".copy-said")).to_have_text("Code copied")
            code = await page.locator("output.code").inner_text()
            assert await page.evaluate("navigator.clipboard.readText()") == code.strip()

            off = await browser.new_context(locale="en-GB", java_script_enabled=False)
            bare = await off.new_page()
            await bare.goto(site.base + site.share_valid)
            await expect(bare.locator("a[data-copy]")).to_be_visible()  # the link, to select
            await expect(bare.get_by_role("button", name="Copy link")).to_have_count(0)
        finally:
            await browser.close()


async def test_facets_submit_the_search_on_change(site: Site) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(locale="nl-BE", viewport=PHONE)
            await page.goto(f"{site.base}/?q=management")
            # On a phone the filters start folded, so the results come first.
            panel = page.locator("#filter-panel")
            await expect(panel).not_to_have_attribute("open", "")
            await panel.locator("summary").click()
            facet = page.locator(".facet input[name=mode]").first
            value = await facet.get_attribute("value")
            await facet.check()
            await page.wait_for_url(f"**mode={value}*")
            assert "q=management" in page.url
            await expect(page.locator(f".facet input[name=mode][value='{value}']")).to_be_checked()
            assert "starts_after=" not in page.url  # empty fields stay out of the URL
        finally:
            await browser.close()
