"""A stacked award mails the learner like any credential: from the awarding institution,
in the pathway's language, listed among that institution's notifications."""

from __future__ import annotations

from tests.credentials import test_pathways as pathways
from tests.mail_support import bodies, delivered, outbox
from tests.credentials.pathway_support import EMAIL, active_pathway, issue, learner_headers, stacked

app, keys = pathways.app, pathways.keys  # the fixtures


async def test_the_stacked_award_is_mailed_by_the_awarding_institution(  # type: ignore[no-untyped-def]
        client, app, keys, session_factory, tmp_path) -> None:
    await active_pathway(client, keys)
    for slug, code in (("ucll", "MC-UDL"), ("thomasmore", "MC-DIVERSITEIT"),
                       ("kuleuven", "MC-EVALUATIE")):
        await issue(client, keys, slug, code)
    (award,) = await stacked(client, await learner_headers(client, keys))

    mails = await outbox(session_factory, EMAIL)
    assert [m["slug"] for m in mails] == ["ucll", "thomasmore", "kuleuven", "kuleuven"]
    mail = mails[-1]
    assert str(mail["credential_id"]) == award["id"]
    assert mail["kind"] == "award" and mail["language"] == "nl"
    assert mail["subject"] == "Je behaalde “Getuigschrift inclusief lesgeven” bij KU Leuven"
    message = (await delivered(app, tmp_path))[-1]
    assert message["Subject"] == mail["subject"]
    text_body, _ = bodies(message)
    assert "Beste Els Wouters," in text_body and "(12 studiepunten)" in text_body
    assert f"http://127.0.0.1:8000/credentials/{award['id']}" in text_body

    listed = await client.get("/api/v1/institutions/kuleuven/notifications",
                              headers=keys["kuleuven"])
    assert award["id"] in {m["credential_id"] for m in listed.json()["items"]}
    others = await client.get("/api/v1/institutions/ucll/notifications", headers=keys["ucll"])
    assert award["id"] not in {m["credential_id"] for m in others.json()["items"]}
