"""Looking for a course (#19): sessions that tell the truth, the facts a professional decides
on, highlighted results, dates in the page's language, and the pathways a course counts
toward. Pages rendered by the real app on the test database; dates relative to today, so
"past" and "upcoming" hold whatever day the suite runs."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from tests.credentials.support import example
from tests.support import bearer

TODAY = date.today()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" ,", ",")


def _card(html: str, code: str) -> str:
    return next(c for c in html.split('<li class="card">') if f"/{code}\"" in c)


def _section(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def _offering(**fields: Any) -> dict[str, Any]:
    return {"mode": "blended", "city": "Leuven", "price_eur": 450, "language": "nl",
            "incentive_eligible": True, **fields}


async def _publish(client, headers, code: str, offerings: list[dict[str, Any]],  # type: ignore[no-untyped-def]
                   **changes: Any) -> None:
    course = example("course-ucll-microcredential.json")
    course.pop("code")
    course["offerings"] = offerings
    course.update(changes)
    r = await client.put(f"/api/v1/institutions/ucll/courses/{code}", json=course, headers=headers)
    assert r.status_code in (200, 201), r.text


async def _key(make_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(await make_key("ucll", "publish"))


PAST = _offering(code="PAST", start_date=day(-120), end_date=day(-60), status="open",
                 enrolment_url="https://example.org/enrol/past")
ENDED_UNDATED = _offering(code="GONE", end_date=day(-10), status="open",
                          enrolment_url="https://example.org/enrol/gone")


async def test_past_sessions_are_past_and_never_open_or_enrollable(client, make_key) -> None:  # type: ignore[no-untyped-def]
    ucll = await _key(make_key)
    await _publish(client, ucll, "MC-MIX", [
        PAST,
        _offering(code="RUN", start_date=day(-5), end_date=day(30), status="open",
                  enrolment_url="https://example.org/enrol/running"),
        _offering(code="LATE", start_date=day(20), status="open", enrolment_deadline=day(-1),
                  enrolment_url="https://example.org/enrol/late"),
        _offering(code="NEXT", start_date=day(40), end_date=day(90), status="open",
                  enrolment_deadline=day(30), enrolment_url="https://example.org/enrol/next"),
        _offering(code="OFF", start_date=day(50), status="cancelled",
                  enrolment_url="https://example.org/enrol/off"),
    ])
    r = await client.get("/courses/ucll/MC-MIX", params={"lang": "en"})
    assert r.status_code == 200
    # search engines are offered only sessions that have not ended
    ld = json.loads(_section(r.text, '<script type="application/ld+json">', "</script>"))
    assert {i["startDate"] for i in ld["hasCourseInstance"]} == {day(-5), day(20), day(40)}
    page = re.sub(r'<script type="application/ld\+json">.*?</script>', "", r.text, flags=re.S)
    current, earlier = page.split('<details class="earlier">', 1)
    # the past session sits behind "Earlier sessions", says "past", and offers no enrolment
    assert "Earlier sessions (1)" in _text(earlier)
    past_row = _section(earlier, '<tr class="offering past', "</tr>")
    assert "past" in _text(past_row) and "open for enrolment" not in _text(past_row)
    assert "https://example.org/enrol/past" not in r.text
    # under way without a deadline: no "Enrol"; deadline passed: "Enrolment closed on ..."
    assert "https://example.org/enrol/running" not in page and "under way" in _text(current)
    late = _section(current, '<tr class="offering upcoming', "</tr>")
    assert "enrolment closed" in _text(late)
    assert f"Enrolment closed on {_long_en(day(-1))}" in _text(late)
    assert "https://example.org/enrol/late" not in page
    assert "https://example.org/enrol/off" not in r.text and "cancelled" in _text(current)
    # the one to enrol in
    assert page.count('class="button enrol"') == 1 and "https://example.org/enrol/next" in page
    assert f"Enrol by {_long_en(day(30))}" in _text(current)
    # card, page and API agree on the next start: the first session still to come (whose
    # enrolment closed, which the page says)
    glance = _text(_section(r.text, 'id="glance"', "</section>"))
    assert f"Next start {_long_en(day(20))}" in glance
    assert f"Enrolment deadline Enrolment closed on {_long_en(day(-1))}" in glance
    r = await client.get("/", params={"q": "wondzorg", "lang": "en"})
    assert f"Next start {_long_en(day(20))}" in _text(_card(r.text, "MC-MIX"))
    hit = next(i for i in (await client.get("/api/v1/courses", params={"q": "wondzorg"})).json()
               ["items"] if i["code"] == "MC-MIX")
    assert hit["next_offering"]["code"] == "LATE"


def _long_en(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"


async def test_a_course_without_an_upcoming_start_says_so_once(client, make_key) -> None:  # type: ignore[no-untyped-def]
    ucll = await _key(make_key)
    # an ended session without a start date is past too: the API's next_offering was it
    await _publish(client, ucll, "MC-OLD", [PAST, ENDED_UNDATED])
    hit = next(i for i in (await client.get("/api/v1/courses", params={"q": "wondzorg"})).json()
               ["items"] if i["code"] == "MC-OLD")
    assert hit["next_offering"] is None
    for lang, none in (("en", "No upcoming start announced"),
                       ("nl", "Nog geen volgende start aangekondigd")):
        r = await client.get("/", params={"q": "wondzorg", "lang": lang})
        assert none in _text(_card(r.text, "MC-OLD"))
        r = await client.get("/courses/ucll/MC-OLD", params={"lang": lang})
        assert _text(r.text).count(none) == 1
        assert 'class="button enrol"' not in r.text
        assert "open for enrolment" not in r.text and "inschrijvingen open" not in r.text
        assert r.text.count('<tr class="offering past') == 2  # both behind the disclosure
        assert r.text.index('<details class="earlier">') < r.text.index('<tr class="offering')


async def test_the_course_page_shows_what_a_professional_decides_on(client, make_key) -> None:  # type: ignore[no-untyped-def]
    ucll = await _key(make_key)
    await _publish(client, ucll, "MC-FACTS", [
        _offering(code="A", start_date=day(30), enrolment_deadline=day(20), price_eur=1250.5,
                  status="open", incentive_eligible=True),
    ], target_group={"nl": "Verpleegkundigen in de thuiszorg.", "en": "Home care nurses."},
       prerequisites={"nl": "Een diploma verpleegkunde.", "en": "A nursing degree."},
       joint_partners=["vives", "odisee"], languages=["nl", "en"])
    r = await client.get("/courses/ucll/MC-FACTS", params={"lang": "nl"})
    text = _text(r.text)
    assert "Voor wie Verpleegkundigen in de thuiszorg." in text
    assert "Wat je nodig hebt om te starten Een diploma verpleegkunde." in text
    assert "€ 1.250,50" in text.replace("\u00a0", " ")
    assert f"Inschrijven tot {_long_nl(day(20))}" in text
    assert "KMO-portefeuille" in text and "Vlaams opleidingsverlof" in text
    assert "Komt in aanmerking voor opleidingsincentives" in text
    assert "Soort microcredential" in text and "Taal Nederlands, Engels" in text
    assert re.search(r'<a href="/\?institution=vives"[^>]*>VIVES</a>', r.text)
    assert re.search(r'<a href="/\?institution=odisee"[^>]*>Odisee</a>', r.text)
    r = await client.get("/courses/ucll/MC-FACTS", params={"lang": "en"})
    text = _text(r.text)
    assert "Who it is for Home care nurses." in text and "€1,250.50" in text
    assert "paid educational leave" in text and "Taught in Dutch, English" in text
    assert "Together with VIVES, Odisee" in text
    # text the partner wrote in Dutch only says so, for screen readers on an English page
    assert '<p class="description" lang="nl">' in r.text
    assert '<p class="target-group">' in r.text  # this one has English
    # not eligible, and eligible for one session but not the other, are said as such
    await _publish(client, ucll, "MC-NOINC", [_offering(start_date=day(30),
                                                        incentive_eligible=False)])
    r = await client.get("/courses/ucll/MC-NOINC", params={"lang": "en"})
    assert "Not eligible for training incentives" in _text(r.text)
    await _publish(client, ucll, "MC-MIXED", [
        _offering(code="A", start_date=day(30), incentive_eligible=False),
        _offering(code="B", start_date=day(60), incentive_eligible=True)])
    r = await client.get("/courses/ucll/MC-MIXED", params={"lang": "nl"})
    assert "Verschilt per editie" in _text(r.text)


def _long_nl(iso: str) -> str:
    from web.locale import Formatter

    return Formatter("nl").date(iso)


async def test_search_results_show_a_safe_highlighted_snippet_and_the_matched_terms(  # type: ignore[no-untyped-def]
        client, make_key) -> None:
    ucll = await _key(make_key)
    await _publish(client, ucll, "MC-XSS", [_offering(start_date=day(30))],
                   description={"nl": "Wondzorg <script>alert(1)</script> & <b>verband</b> thuis."})
    r = await client.get("/", params={"q": "wondzorg verband", "lang": "nl"})
    card = _card(r.text, "MC-XSS")
    snippet = _section(card, '<p class="snippet">', "</p>")  # Dutch, on a Dutch page
    assert "<mark>Wondzorg</mark>" in snippet and "<mark>verband</mark>" in snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in snippet
    assert "<script>" not in card and "<b>" not in card
    assert set(re.findall(r"<mark>([^<]+)</mark>", snippet)) == {"Wondzorg", "verband"}
    assert "Gevonden:" in _text(card)
    r = await client.get("/", params={"q": "wondzorg verband", "lang": "en"})
    assert '<p class="snippet" lang="nl">' in _card(r.text, "MC-XSS")  # said in Dutch
    matched = _section(card, '<p class="matched">', "</p>")
    assert {"Wondzorg", "verband"} <= set(re.findall(r"<mark>([^<]+)</mark>", matched))


def test_a_highlight_is_escaped_then_marked() -> None:
    from web.course_view import marked, matched_terms

    assert str(marked("a &lt;b&gt; <mark>c</mark> d")) == "a &lt;b&gt; <mark>c</mark> d"
    # whatever the highlight holds, only <mark> survives as markup
    assert str(marked('<img src=x onerror=alert(1)> <mark>x</mark>')) == \
        "&lt;img src=x onerror=alert(1)&gt; <mark>x</mark>"
    assert str(marked("<mark>open")) == "<mark>open</mark>"  # never left unbalanced
    assert str(marked("</mark>x")) == "x"
    assert matched_terms("<mark>Zorg</mark> en <mark>zorg</mark>", "<mark>wond</mark>") == \
        ["Zorg", "wond"]


async def test_every_enum_price_and_number_on_the_search_page_is_in_words(client, make_key) -> None:  # type: ignore[no-untyped-def]
    ucll = await _key(make_key)
    await _publish(client, ucll, "MC-WORDS", [_offering(start_date=day(30), mode="presential",
                                                        price_eur=1450, language="en")],
                   type="short_course", microcredential=False, ects=7.5, mode="presential",
                   languages=["nl", "en"])
    r = await client.get("/", params={"q": "wondzorg", "lang": "nl"})
    facets = _text(_section(r.text, 'class="filters"', "</aside>"))
    assert "op de campus" in facets and "korte opleiding" in facets and "Engels" in facets
    assert "presential" not in facets and "short_course" not in facets
    card = _text(_card(r.text, "MC-WORDS"))
    assert "7,5 ECTS" in card and "korte opleiding" in card and "op de campus" in card
    assert "€ 1.450,00" in card.replace("\u00a0", " ")
    r = await client.get("/", params={"q": "wondzorg", "lang": "en"})
    card = _text(_card(r.text, "MC-WORDS"))
    assert "7.5 ECTS" in card and "short course" in card and "€1,450.00" in card


async def test_date_filters_read_what_the_page_sends_in_either_language(client, make_key) -> None:  # type: ignore[no-untyped-def]
    ucll = await _key(make_key)
    start = TODAY + timedelta(days=45)
    await _publish(client, ucll, "MC-DATE", [_offering(start_date=start.isoformat())])
    iso = (start - timedelta(days=1)).isoformat()
    after = start - timedelta(days=1)
    typed = {
        "iso": iso,  # links and other systems
        "nl": f"{after.day:02d}-{after.month:02d}-{after.year}",
        "en": f"{after.day}/{after.month}/{after.year}",
        "nl words": _long_nl(iso),
        "en words": _long_en(iso),
    }
    for how, value in typed.items():
        r = await client.get("/", params={"starts_after": value, "q": "wondzorg", "lang": "nl"})
        assert r.status_code == 200, (how, r.text)
        assert "/courses/ucll/MC-DATE" in r.text, how
        shown = f"{after.day:02d}-{after.month:02d}-{after.year}"  # as the Dutch page writes it
        assert re.search(rf'id="starts_after" name="starts_after" type="text"[^>]* value="{shown}"',
                         r.text), how
    later = start + timedelta(days=1)
    r = await client.get("/", params={"starts_after": later.isoformat(), "q": "wondzorg"})
    assert "/courses/ucll/MC-DATE" not in r.text
    r = await client.get("/", params={"lang": "en", "starts_before": iso})
    assert 'id="date-hint"' in r.text and "Day/month/year, for example 31/03/2026" in r.text
    assert f'value="{after.day:02d}/{after.month:02d}/{after.year}"' in r.text
    for lang, words in (("nl", "Start na: “32-13-2026” is geen datum"),
                        ("en", "Starts after: “32-13-2026” is not a date we can read")):
        r = await client.get("/", params={"starts_after": "32-13-2026", "lang": lang})
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
        assert words in r.text


def test_typed_dates_in_both_languages() -> None:
    from web.date_input import parse_date_input

    for typed in ("2026-03-31", "31-03-2026", "31/3/2026", "31.03.2026", "31 maart 2026",
                  "31 March 2026", "31 mrt. 2026", "31 Mar 2026"):
        assert parse_date_input(typed) == date(2026, 3, 31), typed
    for bad in ("", "31-13-2026", "2026", "31 brumaire 2026", "03/31/2026"):
        try:
            parse_date_input(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} read as a date")
