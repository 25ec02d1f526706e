"""A stacked award's page lists its parts (#19): through a share link of the award, what
each part is (title, issuer, day, ECTS, linking to its course), never the parts' own
credentials; for its holder, links to the parts they may read (their token's scope)."""

from __future__ import annotations

import re

from tests.credentials import pathway_support as pathways
from tests.credentials.pathway_support import active_pathway, issue, learner_headers, stacked

app, keys = pathways.app, pathways.keys  # the fixtures


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _parts(html: str) -> str:
    return html.partition('<ul class="parts">')[2].partition("</ul>")[0]


async def _award(client, keys):  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    me = await learner_headers(client, keys)
    parts = [await issue(client, keys, "ucll", "MC-UDL"),
             await issue(client, keys, "thomasmore", "MC-DIVERSITEIT", grade=14),
             await issue(client, keys, "kuleuven", "MC-EVALUATIE", grade=16)]
    (award,) = await stacked(client, me)
    return me, award, [p["id"].rsplit("/", 1)[-1] for p in parts]


async def test_a_shared_award_lists_its_parts_without_exposing_them(client, keys) -> None:  # type: ignore[no-untyped-def]
    me, award, parts = await _award(client, keys)
    r = await client.post(f"/api/v1/me/credentials/{award['id']}/shares", headers=me)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    page = await client.get(f"/api/v1/shares/{token}", params={"lang": "en"},
                            headers={"Accept": "text/html"})
    assert page.status_code == 200
    listed = _parts(page.text)
    text = _text(listed)
    assert "Made up of" in page.text and "12 ECTS of these count towards this award" in page.text
    for title, issuer in (("Microcredential MC-UDL", "UC Leuven-Limburg"),
                          ("Microcredential MC-DIVERSITEIT", "Thomas More"),
                          ("Microcredential MC-EVALUATIE", "KU Leuven")):
        assert re.search(rf"{title} ?: {issuer}[^,]*, 30 June 2026 ?, 4 ECTS", text), text
    assert 'href="/courses/ucll/MC-UDL"' in listed  # what the part is: its course
    assert "/credentials/" not in listed  # never the parts' own credentials
    assert "are not shared through this link" in _text(page.text)
    assert "Kind" not in text and "(certificate)" in _text(page.text)


async def test_the_holder_follows_the_parts_their_token_may_read(client, keys) -> None:  # type: ignore[no-untyped-def]
    me, award, parts = await _award(client, keys)
    client.cookies.set("learner_token", me["Authorization"].removeprefix("Bearer "))
    page = await client.get(f"/credentials/{award['id']}", params={"lang": "nl"})
    assert page.status_code == 200
    listed = _parts(page.text)
    # KU Leuven's token sees what KU Leuven issued: that part links to its page ...
    assert f'href="/credentials/{parts[2]}"' in listed
    opened = await client.get(f"/credentials/{parts[2]}")
    assert opened.status_code == 200
    # ... the other partners' parts link to their courses, as on the share page
    assert f"/credentials/{parts[0]}" not in listed and 'href="/courses/ucll/MC-UDL"' in listed
    assert "Samengesteld uit" in page.text and "30 juni 2026" in listed
