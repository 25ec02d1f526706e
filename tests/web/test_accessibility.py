"""axe-core (npm, Deque's engine that browsers' own audits use) over every kind of page.

Each page of ``tests.web.site.PAGES`` in Dutch and English, on a desktop (1280 px) and a
phone (390 px), in Debian's Chromium: no critical or serious violation of WCAG 2.2 A/AA or
axe's best practices; on the phone nothing wider than the screen and touch targets of 44 px. A failure lists every
violation: page, language, width, rule, impact, the elements, and the rule's help page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.site import DESKTOP, LOCALES, PAGES, PHONE, Screen, Site, open_screen
from tests.web.support import ARTIFACTS, launch_chromium

AXE = Path(__file__).resolve().parents[2] / "bench" / "node" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = ("critical", "serious")
# What a thumb presses on a phone, each at least 44 px square (WCAG 2.5.5); a checkbox
# counts with its row, whose label takes the tap too.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, .button, header.site a, summary, select, input:not([type=hidden])')]
  .filter(e => e.getClientRects().length)
  .map(e => [e, (e.type === 'checkbox' || e.type === 'radio') ? e.closest('.check, label') || e : e])
  .filter(([e, box]) => { const r = box.getBoundingClientRect(); return r.width < 44 || r.height < 44; })
  .map(([e]) => e.outerHTML.slice(0, 80))"""


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The violations axe-core finds on ``page``, as axe reports them."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make node-deps` (npm ci --prefix bench/node) installs it")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})", TAGS)
    return result["violations"]  # type: ignore[no-any-return]


def describe(where: str, violations: list[dict[str, Any]]) -> list[str]:
    return [f"{where}: {v['id']} ({v['impact']}) on "
            f"{', '.join(str(n['target']) for n in v['nodes'][:5])}"
            f"{' …' if len(v['nodes']) > 5 else ''}: {v['help']} <{v['helpUrl']}>"
            for v in violations]


@pytest.mark.parametrize("screen", PAGES, ids=[p.name for p in PAGES])
async def test_no_serious_accessibility_violations(site: Site, screen: Screen) -> None:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    found: list[str] = []
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            for lang, locale in LOCALES.items():
                for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                    # bypass_csp: the app's CSP allows only its own scripts, not axe's
                    context = await browser.new_context(locale=locale, viewport=viewport,
                                                        bypass_csp=True)
                    if screen.signed_in:
                        await context.add_cookies(site.session)
                    page = await open_screen(context, screen, site)
                    where = f"{screen.name} {lang} {width}"
                    assert await page.locator("html").get_attribute("lang") == lang, where
                    violations = await axe_violations(page)
                    found += describe(where, [v for v in violations if v["impact"] in BLOCKING])
                    if width == "phone":
                        wide = await page.evaluate(
                            "document.documentElement.scrollWidth - window.innerWidth")
                        if wide > 0:
                            found.append(f"{where}: the page is {wide}px wider than the phone")
                        found += [f"{where}: a touch target under 44 px: {html}"
                                  for html in await page.evaluate(SMALL_TARGETS)]
                    await page.screenshot(path=ARTIFACTS / f"audit-{screen.name}-{lang}-{width}.png",
                                          full_page=True)
                    await context.close()
        finally:
            await browser.close()
    assert not found, "\n" + "\n".join(found)


async def test_keyboard_focus_is_visible_everywhere_it_goes(site: Site) -> None:
    """Tab through the search page and a credential's share link: the skip link comes into
    view first and leads to the content; every stop shows a ring of at least 2 px."""
    from playwright.async_api import async_playwright, expect

    ring = """() => { const e = document.activeElement, s = getComputedStyle(e);
        return [e.outerHTML.slice(0, 80), s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2];
    }"""
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page(locale="en-GB", viewport=DESKTOP)
            for path in ("/?q=management", site.share_valid):
                await page.goto(site.base + path)
                await page.keyboard.press("Tab")
                skip = page.get_by_role("link", name="Skip to content")
                await expect(skip).to_be_focused()
                assert await skip.evaluate("e => e.getBoundingClientRect().left >= 0")
                unringed = []
                for _ in range(40):
                    await page.keyboard.press("Tab")
                    element, shown = await page.evaluate(ring)
                    if element.startswith("<body"):
                        break  # past the last stop, out of the page
                    if not shown:
                        unringed.append(element)
                assert not unringed, f"{path}: focus without a visible ring: {unringed}"
                await page.goto(site.base + path)
                await page.keyboard.press("Tab")
                await page.keyboard.press("Enter")
                await expect(page.locator("main")).to_be_focused()
        finally:
            await browser.close()
