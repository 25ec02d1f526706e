"""Every page is there to read with JavaScript off, and its forms still submit.

Each page of ``tests.web.site.PAGES`` in Chromium with ``java_script_enabled=False``, in
English on a desktop and in Dutch on a phone: the page's language, its main content, and
for pages behind a form (a verdict on /verify, a sign-in link asked for, a wallet offer)
the form submitted by a plain click. Search filters apply through the "Apply" button.
"""

from __future__ import annotations

import pytest

from tests.web.site import DESKTOP, LOCALES, PAGES, PHONE, Screen, Site, open_screen
from tests.web.support import ARTIFACTS, launch_chromium

COMBINATIONS = [("en", DESKTOP), ("nl", PHONE)]


@pytest.mark.parametrize("screen", PAGES, ids=[p.name for p in PAGES])
async def test_pages_read_without_javascript(site: Site, screen: Screen) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            for lang, viewport in COMBINATIONS:
                context = await browser.new_context(locale=LOCALES[lang], viewport=viewport,
                                                    java_script_enabled=False)
                if screen.signed_in:
                    await context.add_cookies(site.session)
                page = await open_screen(context, screen, site)
                await expect(page.locator("html")).to_have_attribute("lang", lang)
                shown = page.locator(screen.shows).first  # visible: open_screen checked
                if await shown.evaluate("e => !['INPUT', 'TEXTAREA', 'BUTTON'].includes(e.tagName)"):
                    await expect(shown).not_to_be_empty()
                await page.screenshot(path=ARTIFACTS / f"nojs-{screen.name}-{lang}.png",
                                      full_page=True)
                await context.close()
        finally:
            await browser.close()


async def test_search_filters_apply_without_javascript(site: Site) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(locale="en-GB", viewport=PHONE,
                                          java_script_enabled=False)
            await page.goto(f"{site.base}/")
            await page.get_by_label("What do you want to learn?").fill("management")
            facet = page.locator(".facet input[name=institution]").first
            value = await facet.get_attribute("value")
            await facet.check()
            assert page.url == f"{site.base}/", "without JavaScript nothing submits on change"
            async with page.expect_navigation():
                await page.get_by_role("button", name="Apply filters").click()
            assert f"institution={value}" in page.url and "q=management" in page.url
            await expect(page.locator(f".facet input[value='{value}']")).to_be_checked()
            cards = page.locator("#results > li")
            await expect(cards.first).to_be_visible()
            for href in await cards.locator("h3 a").evaluate_all("as => as.map(a => a.href)"):
                assert f"/courses/{value}/" in href
        finally:
            await browser.close()
