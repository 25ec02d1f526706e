"""A stacked award has a badge image too: the pathway's, in the awarding institution's colour."""

from __future__ import annotations

from defusedxml import ElementTree

from tests.credentials import test_pathways as pathways
from tests.credentials.pathway_support import active_pathway, issue, learner_headers, stacked

app, keys = pathways.app, pathways.keys  # the fixtures
BASE = "http://127.0.0.1:8000"


async def test_a_stacked_award_shows_the_pathways_badge(client, keys) -> None:  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    me = await learner_headers(client, keys)
    await issue(client, keys, "ucll", "MC-UDL")
    await issue(client, keys, "thomasmore", "MC-DIVERSITEIT", grade=14)
    await issue(client, keys, "kuleuven", "MC-EVALUATIE", grade=16)
    (award,) = await stacked(client, me)
    achievement = award["credential"]["credentialSubject"]["achievement"]
    image = achievement["image"]
    assert image["id"] == achievement["id"] + "/image.svg" and image["type"] == "Image"
    r = await client.get(image["id"].removeprefix(BASE))
    assert r.status_code == 200, r.text
    root = ElementTree.fromstring(r.content)
    assert root.find("{http://www.w3.org/2000/svg}title").text == achievement["name"]
    assert 'fill="#00407a"' in r.text  # KU Leuven awards it
    assert (await client.get("/api/v1/pathways/not-a-uuid/image.svg")).status_code == 404
    assert (await client.get("/api/v1/pathways/00000000-0000-0000-0000-000000000000/image.svg")
            ).status_code == 404
    # The holder's certificate of the award is one more PDF.
    pdf = await client.get(f"/credentials/{award['id']}.pdf", headers=me)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
