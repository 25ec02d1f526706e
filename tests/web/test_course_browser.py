"""Looking for a course (#19) in Debian's Chromium, as a professional would: against a real
``academy serve`` with the demo catalogue, one course with sessions past, under way and to
come, and the demo's joint pathway approved by its partners. In Dutch and English, on a
desktop and a phone, and with JavaScript off. Screenshots go to ``test-artifacts/web/pro-*``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from bench._harness import Server
from tests.credentials.support import example
from tests.support import bearer
from tests.web.support import ARTIFACTS, launch_chromium, serving

TODAY = date.today()
PATHWAY = "/pathways/kuleuven/PG-INCLUSIEF-ONDERWIJS"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@pytest.fixture(scope="module")
def catalogue() -> Iterator[str]:
    """The server: demo catalogue, UCLL's MC-SESSIES, and the approved demo pathway."""
    with serving() as srv:
        srv.academy("demo", "load")
        keys = {slug: bearer(srv.key(slug, "publish,issue"))
                for slug in ("kuleuven", "thomasmore", "ucll")}
        course = example("course-ucll-microcredential.json")
        course.pop("code")
        base = {"mode": "blended", "city": "Leuven", "price_eur": 450, "language": "nl",
                "incentive_eligible": True}
        course["offerings"] = [
            {**base, "code": "PAST", "start_date": day(-120), "end_date": day(-60),
             "status": "open", "enrolment_url": "https://example.org/enrol/past"},
            {**base, "code": "NEXT", "start_date": day(40), "end_date": day(90),
             "status": "open", "enrolment_deadline": day(30),
             "enrolment_url": "https://example.org/enrol/next"},
        ]
        with httpx.Client(base_url=srv.base, timeout=30) as http:
            r = http.put("/api/v1/institutions/ucll/courses/MC-SESSIES", json=course,
                         headers=keys["ucll"])
            assert r.status_code == 201, r.text
            r = http.post("/api/v1/institutions/kuleuven/pathways", json=example("pathway.json"),
                          headers=keys["kuleuven"])
            assert r.status_code == 201, r.text
            for partner in ("thomasmore", "ucll"):
                r = http.post("/api/v1/institutions/kuleuven/pathways/PG-INCLUSIEF-ONDERWIJS/"
                              "approve", json={}, headers=keys[partner])
                assert r.status_code == 200, r.text
        yield srv.base


def _playwright() -> Any:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install playwright "
                    "(never `playwright install`: the browser is Debian's chromium)")
    return async_playwright()


def _shot(name: str) -> Any:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"pro-{name}.png"


async def test_from_search_to_a_pathway_and_its_course_in_dutch(catalogue: str) -> None:
    from playwright.async_api import expect

    async with _playwright() as playwright:
        browser = await launch_chromium(playwright)
        page = await browser.new_page(locale="nl-BE", viewport=DESKTOP)
        try:
            await page.goto(f"{catalogue}/?q=inclusief+lesgeven")
            pathways = page.locator("section.pathways")
            link = pathways.get_by_role("link", name="Inclusief lesgeven in het hoger onderwijs")
            await expect(link).to_have_attribute("href", PATHWAY)
            await page.screenshot(path=_shot("search-pathway-nl"), full_page=True)
            await link.click()
            await page.wait_for_url(f"**{PATHWAY}")
            await expect(page.locator("h1")).to_have_text("Inclusief lesgeven in het hoger onderwijs")
            main = page.locator("main")
            await expect(main).to_contain_text("Uitgereikt door")
            await expect(main).to_contain_text("Samen met")
            rules = page.locator("ul.rules")
            await expect(rules).to_contain_text("Behaal al deze onderdelen:")
            await expect(rules).to_contain_text("Eén van deze 2:")
            await expect(rules).to_contain_text("Minstens 4 ECTS uit deze:")
            await expect(page.locator("ul.limits")).to_contain_text("Minstens 12 ECTS in totaal.")
            await page.screenshot(path=_shot("pathway-nl"), full_page=True)
            unit = rules.locator("a[href='/courses/ucll/MC-UDL']")
            title = (await unit.inner_text()).strip()
            await unit.click()
            await page.wait_for_url("**/courses/ucll/MC-UDL")
            await expect(page.locator("h1")).to_have_text(title)
            await expect(page.locator(".course-pathways a[href='%s']" % PATHWAY)).to_be_visible()
            await page.screenshot(path=_shot("course-nl"), full_page=True)
        finally:
            await browser.close()


async def test_past_sessions_fold_away_on_a_phone_in_english(catalogue: str) -> None:
    from playwright.async_api import expect

    async with _playwright() as playwright:
        browser = await launch_chromium(playwright)
        page = await browser.new_page(locale="en-GB", viewport=PHONE, is_mobile=True,
                                      has_touch=True)
        try:
            await page.goto(f"{catalogue}/?q=wondzorg&lang=en")
            card = page.locator("#results > li").filter(
                has=page.locator("a[href='/courses/ucll/MC-SESSIES']"))
            next_start = card.locator("dl.facts dd").first
            shown = (await next_start.inner_text()).strip()
            assert shown == _long_en(day(40)), shown
            await expect(card.locator(".snippet mark").first).to_be_visible()
            await expect(card.locator(".matched")).to_contain_text("Matches:")
            await page.screenshot(path=_shot("search-phone-en"), full_page=True)

            await card.locator("h3 a").click()
            await page.wait_for_url("**/courses/ucll/MC-SESSIES")
            glance = page.locator("section.glance")
            await expect(glance.locator(".next-start")).to_contain_text(shown)  # they agree
            await expect(glance).to_contain_text("Training incentives")
            await expect(glance).to_contain_text("KMO-portefeuille")
            enrol = page.get_by_role("link", name="Enrol")
            await expect(enrol).to_have_count(1)
            await expect(enrol).to_have_attribute("href", "https://example.org/enrol/next")
            earlier = page.locator("details.earlier")
            await expect(earlier.locator("summary")).to_have_text("Earlier sessions (1)")
            past = earlier.locator("tr.offering.past")
            await expect(past).to_be_hidden()  # folded away until asked for
            assert await page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"
            await page.screenshot(path=_shot("course-phone-en"), full_page=True)
            await earlier.locator("summary").focus()  # the keyboard opens it too
            await page.keyboard.press("Enter")
            await expect(past).to_be_visible()
            await expect(past.locator("td.status")).to_have_text("past")
            await expect(past.get_by_role("link", name="Enrol")).to_have_count(0)
            await page.screenshot(path=_shot("course-phone-en-earlier"), full_page=True)
        finally:
            await browser.close()


def _long_en(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"


async def test_search_course_and_pathway_read_without_javascript(catalogue: str) -> None:
    from playwright.async_api import expect

    async with _playwright() as playwright:
        browser = await launch_chromium(playwright)
        context = await browser.new_context(java_script_enabled=False, locale="nl-BE",
                                            viewport=DESKTOP)
        page = await context.new_page()
        try:
            await page.goto(f"{catalogue}/?q=wondzorg")
            await expect(page.locator("html")).to_have_attribute("lang", "nl")
            starts = page.get_by_label("Start na")
            await expect(starts).to_have_accessible_description(
                "Dag-maand-jaar, bijvoorbeeld 31-03-2026")
            when = date.fromisoformat(day(30))
            typed = f"{when.day}-{when.month}-{when.year}"  # as a Dutch speaker writes it
            await starts.fill(typed)
            await page.get_by_role("button", name="Filters toepassen").click()
            await page.wait_for_url(f"**starts_after={typed}*")
            card = page.locator("#results > li").filter(
                has=page.locator("a[href='/courses/ucll/MC-SESSIES']"))
            await expect(card).to_be_visible()
            await expect(card.locator(".snippet mark").first).to_be_visible()
            await expect(page.get_by_label("Start na")).to_have_value(
                f"{when.day:02d}-{when.month:02d}-{when.year}")
            await page.screenshot(path=_shot("search-nojs-nl"), full_page=True)

            await card.locator("h3 a").click()
            await page.wait_for_url("**/courses/ucll/MC-SESSIES")
            await expect(page.locator("section.glance")).to_contain_text("Volgende start")
            await expect(page.locator("details.earlier summary")).to_have_text("Eerdere edities (1)")
            await page.locator("details.earlier summary").click()  # <details> needs no script
            await expect(page.locator("tr.offering.past td.status")).to_have_text("voorbij")

            await page.goto(f"{catalogue}{PATHWAY}")
            await expect(page.locator("ul.rules")).to_contain_text("Eén van deze 2:")
            await page.screenshot(path=_shot("pathway-nojs-nl"), full_page=True)
            await page.goto(f"{catalogue}/pathways/kuleuven/NOPE")
            await expect(page.locator("h1")).to_have_text("Er loopt iets mis")
        finally:
            await context.close()
            await browser.close()


async def test_a_pathway_page_in_english_on_a_phone(catalogue: str) -> None:
    from playwright.async_api import expect

    async with _playwright() as playwright:
        browser = await launch_chromium(playwright)
        page = await browser.new_page(locale="en-GB", viewport=PHONE, is_mobile=True)
        try:
            await page.goto(f"{catalogue}{PATHWAY}?lang=en")
            await expect(page.locator("h1")).to_have_text("Inclusive teaching in higher education")
            rules = page.locator("ul.rules")
            await expect(rules).to_contain_text("Complete all of these:")
            await expect(rules).to_contain_text("One of these 2:")
            await expect(rules).to_contain_text("At least 4 ECTS from these:")
            await expect(page.locator("ul.limits")).to_contain_text(
                "A credential counts for 5 years after it was issued.")
            await expect(page.locator("dd.partners")).to_have_text("Thomas More, UCLL")
            assert await page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"
            await page.screenshot(path=_shot("pathway-phone-en"), full_page=True)
            # the language sticks: the next page opens in English without ?lang=
            await rules.locator("a[href='/courses/kuleuven/MC-EVALUATIE']").click()
            await page.wait_for_url("**/courses/kuleuven/MC-EVALUATIE")
            await expect(page.locator("html")).to_have_attribute("lang", "en")
            await expect(page.locator("section.glance h2")).to_have_text("At a glance")
        finally:
            await browser.close()
