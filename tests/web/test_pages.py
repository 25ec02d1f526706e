"""The pages people open: search, a course, a credential, verification and their own page."""

from __future__ import annotations

import json
import re

from tests.credentials import support
from tests.credentials.support import ISSUE, example, issue, request_body, resign
from tests.forms import csrf_of

ucll = support.ucll  # UCLL's issuing key, after publishing MC-TOETS (a microcredential)

HTML = "text/html; charset=utf-8"
TOKENS = "/api/v1/institutions/ucll/learners/tokens"


async def _publish(client, headers, code: str = "MC-WONDZORG", **changes) -> None:  # type: ignore[no-untyped-def]
    course = example("course-ucll-microcredential.json")
    course.pop("code")
    for offering in course["offerings"]:  # upcoming, whatever day the tests run
        offering["start_date"] = "2099" + offering["start_date"][4:]
        offering["end_date"] = offering["end_date"] and "2099" + offering["end_date"][4:]
        offering["enrolment_deadline"] = None
    course.update(changes)
    r = await client.put(f"/api/v1/institutions/ucll/courses/{code}", json=course, headers=headers)
    assert r.status_code in (200, 201), r.text


async def _credential(client, headers) -> str:  # type: ignore[no-untyped-def]
    r = await issue(client, headers, request_body())
    assert r.status_code == 201, r.text
    return r.json()["id"].rsplit("/", 1)[-1]


async def _as_holder(client, headers, email: str = "an.peeters@example.org") -> None:  # type: ignore[no-untyped-def]
    """The browser of the credential's holder (issue #17: only they and the issuer read it by
    id): it carries the learner token their institution minted."""
    r = await client.post(TOKENS, json={"email": email}, headers=headers)
    client.cookies.set("learner_token", r.json()["token"])


def _card(html: str, code: str) -> str:
    """The result card of course ``code``."""
    return next(c for c in html.split('<li class="card">') if f"/{code}\"" in c)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_search_page_shows_cards_facets_and_reflects_the_url(client, ucll) -> None:  # type: ignore[no-untyped-def]
    await _publish(client, ucll)
    r = await client.get("/", params={"q": "wondzorg"}, headers={"Accept-Language": "en"})
    assert r.status_code == 200 and r.headers["content-type"] == HTML
    assert '<html lang="en">' in r.text
    text = _text(_card(r.text, "MC-WONDZORG"))
    assert "Micro-credential Wound Care in Home Nursing" in text
    assert "Microcredential" in text and "UCLL" in text and "Diepenbeek" in text
    # #19: dates, prices and modes in the page's language (web.locale)
    assert "€450.00" in text and "16 February 2099" in text and "blended (campus and online)" in text
    assert 'value="wondzorg"' in r.text  # the query box keeps the search
    assert re.search(r'name="institution" value="ucll"', r.text)  # a facet checkbox
    assert re.search(r"\(\d+\)", _text(r.text))  # with its count
    r = await client.get("/", params={"q": "wondzorg", "institution": "ucll", "mode": "blended"})
    assert r.status_code == 200
    assert re.search(r'name="institution" value="ucll"\s+checked', r.text)
    assert "/courses/ucll/MC-WONDZORG" in r.text


async def test_search_page_says_when_not_every_word_matched(client, ucll) -> None:  # type: ignore[no-untyped-def]
    await _publish(client, ucll)
    r = await client.get("/", params={"q": "wondzorg"}, headers={"Accept-Language": "en"})
    assert "Not every word" not in r.text and "Partial match" not in r.text
    # a word no course has: the wound care course still shows, marked as a partial match (#15)
    r = await client.get("/", params={"q": "wondzorg qqqxzv"}, headers={"Accept-Language": "en"})
    assert "Not every word of your search matched" in _text(r.text)
    assert "Partial match" in _text(_card(r.text, "MC-WONDZORG"))
    r = await client.get("/", params={"q": "wondzorg qqqxzv"}, headers={"Accept-Language": "nl"})
    assert "Niet elk woord van je zoekopdracht is gevonden" in _text(r.text)
    assert "Deels overeenkomend" in _text(_card(r.text, "MC-WONDZORG"))


async def test_search_load_more_follows_the_cursor(client, ucll) -> None:  # type: ignore[no-untyped-def]
    for i in range(22):
        await _publish(client, ucll, code=f"MC-W{i:02d}")
    r = await client.get("/", params={"institution": "ucll"})
    more = re.search(r'id="more" class="button" href="([^"]+)"', r.text)
    assert more, "a 'load more' link when there is a next page"
    url = more.group(1).replace("&amp;", "&")
    assert "institution=ucll" in url and "cursor=" in url
    r = await client.get(url)
    assert r.status_code == 200 and "/courses/ucll/" in r.text


async def test_language_follows_switch_then_cookie_then_browser(client, ucll) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/", headers={"Accept-Language": "fr, en;q=0.8, nl;q=0.5"})
    assert '<html lang="en">' in r.text and "Find a course" in r.text
    r = await client.get("/", headers={"Accept-Language": "nl-BE,nl;q=0.9"})
    assert '<html lang="nl">' in r.text and "Vind een opleiding" in r.text
    assert "?lang=en" in r.text  # the switch
    r = await client.get("/", params={"lang": "en"}, headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in r.text and r.cookies.get("lang") == "en"
    r = await client.get("/verify", headers={"Accept-Language": "nl"})  # the cookie wins
    assert '<html lang="en">' in r.text and "Verify a credential" in r.text


async def test_bad_search_input_is_a_friendly_page(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/", params={"ects_min": "lots", "lang": "en"})
    assert r.status_code == 422 and r.headers["content-type"] == HTML
    assert "Something is not right" in r.text and "ects_min" in r.text
    r = await client.get("/", params={"mode": "teleport", "lang": "nl"})
    assert r.status_code == 422 and "Er loopt iets mis" in r.text
    r = await client.get("/", params={"ects_min": "5", "ects_max": "1"})
    assert r.status_code == 422 and "ects_min is above ects_max" in r.text


async def test_course_page_lists_offerings_with_enrolment_and_json_ld(client, ucll) -> None:  # type: ignore[no-untyped-def]
    await _publish(client, ucll)
    r = await client.get("/courses/ucll/MC-WONDZORG", params={"lang": "nl"})
    assert r.status_code == 200
    assert "Microcredential Wondzorg in de thuisverpleging" in r.text
    assert r.text.count('class="offering') == 2 and "Diepenbeek" in r.text
    assert "https://www.ucll.be/nl/inschrijven/mc-wondzorg-2025-nj" in r.text
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', r.text, re.DOTALL)
    assert found
    data = json.loads(found.group(1))
    assert data["@type"] == "Course" and data["courseCode"] == "MC-WONDZORG"
    assert data["provider"]["name"] == "UCLL"
    assert [i["@type"] for i in data["hasCourseInstance"]] == ["CourseInstance"] * 2
    assert data["hasCourseInstance"][0]["startDate"] == "2099-10-06"
    assert data["hasCourseInstance"][0]["offers"]["price"] == 450


async def test_unknown_course_is_a_friendly_404(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/courses/ucll/NOPE", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and r.headers["content-type"] == HTML
    assert "We could not find this page." in r.text and "NOPE" in r.text


async def test_credential_page_shows_facts_verdict_download_and_qr(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid = await _credential(client, ucll)
    await _as_holder(client, ucll)
    r = await client.get(f"/credentials/{cid}", params={"lang": "en"})
    assert r.status_code == 200
    text = _text(r.text)
    # #19: the verdict in plain words on top, the checks behind "How was this checked?"
    assert 'data-verdict="valid"' in r.text and "✔ Valid UC Leuven-Limburg issued" in text
    how = r.text.split('<details class="how">')[1].split("</details>")[0]
    for check in ("Signature", "Issuer", "Status", "Validity period", "Format"):
        assert check in _text(how)
    assert "UC Leuven-Limburg" in text and "19 December 2025" in text and "An Peeters" in text
    assert "Workload 4 ECTS" in text and "EQF level 6" in text
    # the holder's page offers a QR code (a share link), never one of this holder-only page
    assert "Make a QR code for an employer" in text and "<svg" not in r.text
    download = await client.get(f"/credentials/{cid}/json")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    exact = await client.get(f"/api/v1/credentials/{cid}", headers=ucll)
    assert download.content == exact.content  # the bytes as issued


async def test_credential_page_follows_revocation_and_suspension(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cid = await _credential(client, ucll)
    await _as_holder(client, ucll)
    r = await client.post(f"{ISSUE.format(slug='ucll')}/{cid}/suspend", json={}, headers=ucll)
    assert r.status_code == 200, r.text
    r = await client.get(f"/credentials/{cid}", params={"lang": "nl"})
    assert 'data-verdict="suspended"' in r.text and "geschorst" in r.text
    r = await client.post(f"{ISSUE.format(slug='ucll')}/{cid}/revoke", json={"reason": "fraud"},
                          headers=ucll)
    assert r.status_code == 200, r.text
    r = await client.get(f"/credentials/{cid}", params={"lang": "en"})
    assert 'data-verdict="revoked"' in r.text and "revoked" in _text(r.text)


async def test_unknown_credential_is_a_friendly_404(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/credentials/not-a-uuid", headers={"Accept-Language": "nl"})
    assert r.status_code == 404 and "We vonden deze pagina niet." in r.text
    r = await client.get("/credentials/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and r.headers["content-type"] == HTML


async def test_verify_by_paste_and_by_upload(client, ucll) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/verify")
    assert r.status_code == 200 and 'name="credential"' in r.text and 'type="file"' in r.text
    cid = await _credential(client, ucll)
    document = (await client.get(f"/api/v1/credentials/{cid}", headers=ucll)).content
    r = await client.post("/verify", data={"credential": document.decode(), "lang": "en"},
                          params={"lang": "en"})
    assert r.status_code == 200 and 'data-verdict="valid"' in r.text
    r = await client.post("/verify", files={"file": ("c.json", document, "application/json")})
    assert r.status_code == 200 and 'data-verdict="valid"' in r.text
    tampered = json.loads(document)
    tampered["name"] = "Something else"
    r = await client.post("/verify", data={"credential": json.dumps(tampered)})
    assert r.status_code == 200 and 'data-verdict="invalid"' in r.text


async def test_a_status_nobody_can_read_is_unknown_never_valid(app, client, ucll) -> None:  # type: ignore[no-untyped-def]
    """A genuine credential whose status list we cannot read (another host) says "status
    unknown"; a forged one says "not valid", whatever its status entry."""
    cid = await _credential(client, ucll)
    document = (await client.get(f"/api/v1/credentials/{cid}", headers=ucll)).json()
    elsewhere = {**document["credentialStatus"],
                 "statusListCredential": "https://status.example.org/lists/1"}
    unreadable = await resign(app, document, credentialStatus=elsewhere)
    r = await client.post("/verify", data={"credential": json.dumps(unreadable)},
                          params={"lang": "en"})
    assert r.status_code == 200 and 'data-verdict="unknown"' in r.text
    assert "status unknown" in r.text
    report = (await client.post("/api/v1/verify", json=unreadable)).json()
    assert report["verified"] is False
    assert {c["check"]: c["ok"] for c in report["checks"]}["status"] is None
    forged = {**unreadable, "name": "Something else"}
    r = await client.post("/verify", data={"credential": json.dumps(forged)})
    assert r.status_code == 200 and 'data-verdict="invalid"' in r.text


async def test_verify_bad_input_is_a_friendly_page(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.post("/verify", data={"credential": "{not json"}, params={"lang": "en"})
    assert r.status_code == 422 and "This is not a credential we can read" in r.text
    assert "{not json" in r.text  # shown back, escaped, to correct it
    r = await client.post("/verify", data={"credential": "  "}, params={"lang": "en"})
    assert r.status_code == 422 and "Paste a credential or choose its file." in r.text
    r = await client.post("/verify", data={"credential": "<script>alert(1)</script>"})
    assert r.status_code == 422 and "<script>alert(1)" not in r.text


async def test_me_with_a_token_shows_credentials(client, ucll) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/me", params={"lang": "en"})
    assert r.status_code == 200 and 'name="token"' in r.text  # the form
    cid = await _credential(client, ucll)
    r = await client.post(TOKENS, json={"email": "an.peeters@example.org"}, headers=ucll)
    token = r.json()["token"]
    r = await client.post("/me", data={"token": token, "csrf_token": await csrf_of(client)},
                          follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/me"  # never in a URL
    assert "httponly" in r.headers["set-cookie"].lower()
    client.cookies.set("learner_token", token)
    r = await client.get("/me", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    assert f"/credentials/{cid}" in r.text and "Pathways" in r.text
    r = await client.post("/me", data={"token": token, "csrf_token": await csrf_of(client)},
                          follow_redirects=False)
    assert r.status_code == 303
    r = await client.post("/me/logout", data={"csrf_token": await csrf_of(client)},
                          follow_redirects=False)
    assert r.status_code == 303 and 'learner_token=""' in r.headers["set-cookie"]


async def test_me_with_a_bad_token_asks_again(client) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("learner_token", "lrn_nope")
    r = await client.get("/me", headers={"Accept-Language": "en"})
    assert r.status_code == 401 and "This token is unknown or has expired." in r.text
    assert 'name="token"' in r.text


async def test_static_files_are_served(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/static/app.css")
    assert r.status_code == 200 and "text/css" in r.headers["content-type"]
    assert (await client.get("/static/app.js")).status_code == 200




def test_both_languages_have_every_string() -> None:
    from web.i18n import MESSAGES

    assert MESSAGES["nl"].keys() == MESSAGES["en"].keys()


async def test_pages_that_search_or_verify_share_the_public_rate_limit(app, client) -> None:  # type: ignore[no-untyped-def]
    from api.ratelimit import RateLimiter

    app.state.rate_limiter = RateLimiter({"public": 2})
    assert (await client.get("/")).status_code == 200
    assert (await client.get("/api/v1/courses")).status_code == 200
    r = await client.get("/", headers={"Accept-Language": "en"})
    assert r.status_code == 429 and r.headers["retry-after"]
    assert r.headers["content-type"].startswith("text/html") and "Something is not right" in r.text
