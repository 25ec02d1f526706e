"""The learner's page (/me, #19): each credential says its state in words and carries its
actions (share, export, PDF, wallet); share links are made, shown and ended from the page;
pathway progress reads per rule, options as options, ECTS as "required" and "earned".

Through the real app and PostgreSQL, signed in through the sign-in mail as a learner is.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import httpx

from tests.credentials import pathway_support as pathways
from tests.forms import csrf_of, signed_in
from web.locale import Formatter

app = pathways.app
keys = pathways.keys

EN = {"Accept-Language": "en"}
NL = {"Accept-Language": "nl"}
CREDENTIALS = "/api/v1/institutions/{slug}/credentials/{id}/{action}"


def words(page: str) -> str:
    """The page's text as a reader gets it: no tags, one space between words."""
    body = page.split("<main", 1)[-1]
    body = re.sub(r"</?(?:a|strong|span|time|em)\b[^>]*>", "", body)  # inline: no break
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def card(page: str, credential_id: str) -> str:
    """The text of one credential's card on /me."""
    found = re.search(rf'<li class="card held[^"]*" id="credential-{credential_id}">(.*?)</li>\s*'
                      r'(?=<li class="card|</ul>\s*(?:<p><a class="more"|<h2))', page, re.S)
    assert found, page
    return found.group(1)


def stranger_of(app) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    """Someone else's browser: no cookies, the same running app."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://testserver.local")


def ident(issued: dict) -> str:  # type: ignore[type-arg]
    return str(issued["id"]).rsplit("/", 1)[-1]


async def sign_in(client, session_factory) -> None:  # type: ignore[no-untyped-def]
    await signed_in(client, session_factory, pathways.EMAIL)


async def test_progress_reads_per_rule_and_options_stay_options(client, keys,  # type: ignore[no-untyped-def]
                                                                session_factory) -> None:
    await pathways.active_pathway(client, keys)
    await pathways.issue(client, keys, "ucll", "MC-UDL")
    await sign_in(client, session_factory)

    en = words((await client.get("/me", headers=EN)).text)
    assert "12 ECTS required, 4 earned: 8 more ECTS to go" in en
    assert "In progress" in en and "Complete" not in en
    assert ("One module on diversity: Choose 1 of these 2 — 0 of 1 done: 1 more to go"
            in en)
    assert ("Electives: at least 4 ECTS: At least 4 ECTS from these 3 — 4 ECTS required, "
            "0 earned: 4 more ECTS to go" in en)
    assert "All 3 of these — 1 of 3 done: 2 more to go" in en
    # The unit earned, with its credential; the five options as options, none a must.
    assert re.search(r"Universal Design for Learning \(UCLL, 4 ECTS\) · Earned · your credential",
                     en), en
    assert en.count("Option, not earned yet") == 5 and "Still to do" not in en
    assert "Micro-credential MC-DIVERSITEIT (Thomas More, 4 ECTS) · Option, not earned yet · " \
           "next start 1 February 2027" in en
    assert "15 of 12" not in en and "4 of 12" not in en

    nl = words((await client.get("/me", headers=NL)).text)
    assert "12 ECTS vereist, 4 behaald: nog 8 ECTS te gaan" in nl
    assert "Eén module diversiteit: Kies 1 van deze 2 — 0 van 1 behaald: nog 1 te gaan" in nl
    assert "Minstens 4 ECTS uit deze 3" in nl
    assert nl.count("Keuzemogelijkheid, nog niet behaald") == 5
    assert "volgende start 1 februari 2027" in nl


async def test_more_earned_than_required_says_both(client, keys, session_factory) -> None:  # type: ignore[no-untyped-def]
    await pathways.active_pathway(client, keys)
    for slug, code in (("ucll", "MC-UDL"), ("thomasmore", "MC-DIVERSITEIT"),
                       ("thomasmore", "MC-TAALBELEID"), ("kuleuven", "MC-EVALUATIE")):
        await pathways.issue(client, keys, slug, code)
    await sign_in(client, session_factory)

    r = await client.get("/me", headers=EN)
    en = words(r.text)
    assert "12 ECTS required, 15 earned" in en and "more ECTS to go" not in en
    assert "15 of 12" not in en
    assert "Complete: every rule is met." in en and "Your award" in en
    bar = re.search(r'<progress id="pw-1" max="([0-9.]+)" value="([0-9.]+)"', r.text)
    assert bar and float(bar[1]) == 12 and float(bar[2]) == 12  # a full bar, not an overflow
    # Once the electives are met, the other electives are not needed: not "to do".
    assert "Done (4 ECTS required, 4 earned)" in en
    assert en.count("Not needed any more") == 2 and "Option, not earned yet" not in en
    nl = words((await client.get("/me", headers=NL)).text)
    assert "12 ECTS vereist, 15 behaald" in nl and "Voltooid" in nl


async def test_revoked_and_suspended_say_so_in_words(client, keys, session_factory) -> None:  # type: ignore[no-untyped-def]
    ids = {}
    for code in ("MC-UDL", "MC-TOETS"):
        ids[code] = ident(await pathways.issue(client, keys, "ucll", code))
    valid = ident(await pathways.issue(client, keys, "kuleuven", "MC-EVALUATIE"))
    r = await client.post(CREDENTIALS.format(slug="ucll", id=ids["MC-UDL"], action="revoke"),
                          json={"reason": "issued in error"}, headers=keys["ucll"])
    assert r.status_code == 200, r.text
    r = await client.post(CREDENTIALS.format(slug="ucll", id=ids["MC-TOETS"], action="suspend"),
                          json={"reason": "under review"}, headers=keys["ucll"])
    assert r.status_code == 200, r.text
    await sign_in(client, session_factory)

    page = (await client.get("/me", headers=EN)).text
    today = datetime.now(UTC).date()
    revoked = card(page, ids["MC-UDL"])
    assert f"Revoked on {Formatter('en').date(today)}" in words("<main>" + revoked)
    assert "no longer counts" in revoked
    assert "/shares" not in revoked and "/wallet" not in revoked  # nothing to share any more
    assert f'href="/credentials/{ids["MC-UDL"]}/json"' in revoked  # still the learner's record
    suspended = card(page, ids["MC-TOETS"])
    assert f"Suspended since {Formatter('en').date(today)}" in words("<main>" + suspended)
    ok = card(page, valid)
    assert "Valid" in ok and "Revoked" not in ok and "Suspended" not in ok
    for action in (f'action="/me/credentials/{valid}/shares"', f'href="/credentials/{valid}/json"',
                   f'href="/credentials/{valid}.pdf?lang=en"',
                   f'action="/me/credentials/{valid}/wallet"'):
        assert action in ok, action
    assert 'class="card held held-revoked"' in page  # the look differs too, not only the words

    nl = (await client.get("/me", headers=NL)).text
    assert f"Ingetrokken op {Formatter('nl').date(today)}" in words(nl)
    assert f"Geschorst sinds {Formatter('nl').date(today)}" in words(nl)
    assert "Exporteren (JSON)" in nl and "Certificaat (PDF)" in nl


async def test_share_from_me_shows_the_link_and_stop_sharing_ends_it(  # type: ignore[no-untyped-def]
        app, client, keys, session_factory) -> None:
    mine = ident(await pathways.issue(client, keys, "ucll", "MC-UDL"))
    theirs = ident(await pathways.issue(client, keys, "ucll", "MC-TOETS", learner={
        "email": "someone.else@example.org", "name": "Someone Else"}))
    await sign_in(client, session_factory)
    csrf = await csrf_of(client)

    r = await client.post(f"/me/credentials/{mine}/shares", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert r.status_code == 303, r.text
    assert re.fullmatch(rf"/me\?shared=[0-9a-f-]{{36}}#credential-{mine}", r.headers["location"])
    page = (await client.get(r.headers["location"].split("#")[0], headers=EN)).text
    shown = card(page, mine)
    url = re.search(r'<input id="share-[0-9a-f-]+" class="share-url" type="text" readonly '
                    r'value="([^"]+)" autofocus>', shown)
    assert url, shown  # a field to select and copy, even without JavaScript
    assert "Your new share link is ready" in shown and 'class="copy"' in shown
    token = url[1].rsplit("/s/", 1)[1]

    async with stranger_of(app) as stranger:  # anyone with the link sees the credential
        r = await stranger.get(f"/s/{token}", follow_redirects=True,
                               headers={"Accept": "application/json"})
        assert r.status_code == 200 and r.json()["id"].endswith(mine)

    # The page refuses a post without this browser's token, and another's credential.
    r = await client.post(f"/me/credentials/{mine}/shares", data={}, follow_redirects=False)
    assert r.status_code == 403
    r = await client.post(f"/me/credentials/{theirs}/shares", data={"csrf_token": csrf},
                          follow_redirects=False, headers=EN)
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]

    share_id = re.search(r'action="/me/shares/([0-9a-f-]+)/delete"', shown)[1]
    r = await client.post(f"/me/shares/{share_id}/delete", follow_redirects=False,
                          data={"csrf_token": csrf, "credential": mine})
    assert r.status_code == 303 and r.headers["location"] == f"/me?unshared=1#credential-{mine}"
    page = (await client.get("/me?unshared=1", headers=EN)).text
    assert "no longer works" in page and token not in page
    async with stranger_of(app) as stranger:
        r = await stranger.get(f"/api/v1/shares/{token}", headers={"Accept": "application/json"})
        assert r.status_code == 404  # the link is dead at once
    r = await client.post(f"/me/shares/{share_id}/delete", follow_redirects=False,
                          data={"csrf_token": csrf})
    assert r.status_code == 404  # already gone: nothing to end


async def test_the_certificate_and_linkedin_links_are_listed_as_what_they_are(  # type: ignore[no-untyped-def]
        client, keys, session_factory) -> None:
    mine = ident(await pathways.issue(client, keys, "ucll", "MC-UDL"))
    await sign_in(client, session_factory)
    r = await client.get(f"/credentials/{mine}.pdf?lang=en")
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    shown = card((await client.get("/me", headers=EN)).text, mine)
    assert "Link printed on the certificate" in shown and "Stop sharing" in shown


async def test_a_unit_held_but_not_counting_says_why(client, keys, session_factory) -> None:  # type: ignore[no-untyped-def]
    await pathways.active_pathway(client, keys)
    await pathways.issue(client, keys, "ucll", "MC-UDL", grade=11)  # the pathway asks 12
    diversity = ident(await pathways.issue(client, keys, "thomasmore", "MC-DIVERSITEIT"))
    evaluation = ident(await pathways.issue(client, keys, "kuleuven", "MC-EVALUATIE"))
    for slug, cid, action in (("thomasmore", diversity, "revoke"),
                              ("kuleuven", evaluation, "suspend")):
        r = await client.post(CREDENTIALS.format(slug=slug, id=cid, action=action),
                              json={"reason": "checking"}, headers=keys[slug])
        assert r.status_code == 200, r.text
    await sign_in(client, session_factory)

    en = words((await client.get("/me", headers=EN)).text)
    assert ("Universal Design for Learning (UCLL, 4 ECTS) · Still to do · you hold it, but your "
            "grade is below the 12 out of 20 this pathway asks") in en
    assert ("MC-DIVERSITEIT (Thomas More, 4 ECTS) · Option, not earned yet · you hold it, but "
            "your credential was revoked, so it does not count") in en
    assert "you hold it, but your credential is suspended, so it does not count for now" in en
    assert "12 ECTS required, 0 earned: 12 more ECTS to go" in en
    nl = words((await client.get("/me", headers=NL)).text)
    assert "je cijfer ligt onder de 12 op 20 die dit leertraject vraagt" in nl
    assert "je credential werd ingetrokken" in nl and "je credential is geschorst" in nl


async def test_every_rule_met_but_the_total_short_keeps_the_options_open(  # type: ignore[no-untyped-def]
        client, keys, session_factory) -> None:
    await pathways.active_pathway(client, keys)
    for slug, code in (("ucll", "MC-UDL"), ("thomasmore", "MC-TAALBELEID"),
                       ("kuleuven", "MC-EVALUATIE")):
        await pathways.issue(client, keys, slug, code)
    await sign_in(client, session_factory)

    en = words((await client.get("/me", headers=EN)).text)
    assert "12 ECTS required, 11 earned: 1 more ECTS to go" in en and "In progress" in en
    assert "All 3 of these — ✔ Done" in en
    # Any unit now helps reach the total: none is "not needed", none a must.
    assert "Not needed any more" not in en and "Still to do" not in en
    assert en.count("Option, not earned yet") == 3


async def test_an_expired_credential_says_since_when(client, keys, session_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.credentials.support import ISSUE, request_body

    body = request_body(course="MC-UDL", learner=pathways.LEARNER, issued_on="2024-01-10",
                        valid_until="2025-01-10")
    r = await client.post(ISSUE.format(slug="ucll"), json=body, headers=keys["ucll"])
    assert r.status_code == 201, r.text
    await sign_in(client, session_factory)
    shown = words("<main>" + card((await client.get("/me", headers=EN)).text, ident(r.json())))
    assert "Expired on 10 January 2025" in shown and "Valid" not in shown
    assert "Its validity period has ended" in shown
