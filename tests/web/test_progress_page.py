"""A learner's page shows pathway progress, with the missing units linking to their courses.

Uses the pathway tests' fixtures: the app with the pathway routes and the awarding hook,
the three partners' keys and the example pathway's courses.
"""

from __future__ import annotations

import re

from tests.credentials import pathway_support as pathways
from tests.credentials.support import issue, request_body

app = pathways.app
keys = pathways.keys

TOKENS = "/api/v1/institutions/ucll/learners/tokens"


async def test_me_shows_progress_bars_and_missing_units(client, keys) -> None:  # type: ignore[no-untyped-def]
    await pathways.active_pathway(client, keys)
    r = await issue(client, keys["ucll"], request_body(course="MC-UDL"))
    assert r.status_code == 201, r.text
    r = await client.post(TOKENS, json={"email": "an.peeters@example.org"}, headers=keys["ucll"])
    client.cookies.set("learner_token", r.json()["token"])
    r = await client.get("/me", headers={"Accept-Language": "en"})
    assert r.status_code == 200, r.text
    assert "Inclusive teaching in higher education" in r.text
    bar = re.search(r'<progress id="pw-1" max="([0-9.]+)" value="([0-9.]+)"', r.text)
    assert bar and float(bar.group(1)) > 0 and float(bar.group(2)) == 4
    # #19: the units not earned yet stay in their rule (an option reads as an option, not as
    # a flat "still to do" list), each linking to its course page.
    rules = r.text.split("What counts", 1)[1]
    assert "Choose 1 of these 2" in rules and "Option, not earned yet" in rules
    assert '<a href="/courses/thomasmore/MC-DIVERSITEIT">' in rules
