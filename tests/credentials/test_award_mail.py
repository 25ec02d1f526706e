"""The award mail: queued with the credential, in the course's language, visible to its
institution only, and never a reason for an issuance to fail."""

from __future__ import annotations



from tests.mail_support import bodies, delivered, outbox
from tests.conftest import bearer
from tests.credentials.support import ISSUE, app, example, issue, request_body, ucll  # noqa: F401

NOTIFICATIONS = "/api/v1/institutions/{slug}/notifications"


async def publish_english(client, headers) -> None:  # type: ignore[no-untyped-def]
    course = example("course-ucll-microcredential.json")
    course.pop("code")
    course["languages"] = ["en"]
    for offering in course.get("offerings", []):
        offering["language"] = "en"
    r = await client.put("/api/v1/institutions/ucll/courses/MC-EN", json=course, headers=headers)
    assert r.status_code == 201, r.text


async def test_an_issued_credential_mails_the_learner_in_dutch(  # type: ignore[no-untyped-def]
        client, app, ucll, session_factory, tmp_path) -> None:  # noqa: F811
    r = await issue(client, ucll)
    assert r.status_code == 201, r.text
    credential_id = r.json()["id"].rsplit("/", 1)[1]

    (mail,) = await outbox(session_factory)
    assert mail["recipient"] == "an.peeters@example.org"
    assert mail["slug"] == "ucll" and mail["kind"] == "award" and mail["state"] == "queued"
    assert str(mail["credential_id"]) == credential_id
    assert mail["language"] == "nl"
    assert mail["subject"] == ("Je behaalde “Microcredential Wondzorg in de thuisverpleging” "
                               "bij UC Leuven-Limburg")
    assert mail["body_text"] is None  # rendered by the sender, off the issuing request
    (message,) = await delivered(app, tmp_path)
    assert message["Subject"] == mail["subject"] and message["Content-Language"] == "nl"
    text_body, html_body = bodies(message)
    assert text_body.startswith("Beste An Peeters,")
    assert "http://127.0.0.1:8000/me" in text_body
    assert f"http://127.0.0.1:8000/credentials/{credential_id}" in text_body
    assert "studiepunten" in text_body and "op 2025-12-19" in text_body
    assert '<a href="http://127.0.0.1:8000/me">' in html_body and 'lang="nl"' in html_body
    assert f'<a href="http://127.0.0.1:8000/credentials/{credential_id}">' in html_body


async def test_an_english_course_mails_in_english(  # type: ignore[no-untyped-def]
        client, app, ucll, session_factory, tmp_path) -> None:  # noqa: F811
    await publish_english(client, ucll)
    r = await issue(client, ucll, request_body(course="MC-EN"))
    assert r.status_code == 201, r.text

    (mail,) = await outbox(session_factory)
    assert mail["language"] == "en"
    assert mail["subject"] == ("You earned “Micro-credential Wound Care in Home Nursing” "
                               "from UC Leuven-Limburg")
    (message,) = await delivered(app, tmp_path)
    text_body, html_body = bodies(message)
    assert text_body.startswith("Dear An Peeters,")
    assert "sign in with this e-mail address at http://127.0.0.1:8000/me" in text_body
    assert 'lang="en"' in html_body and "See your credential" in html_body


async def test_the_learners_name_is_escaped_in_the_html_mail(  # type: ignore[no-untyped-def]
        client, app, ucll, tmp_path) -> None:  # noqa: F811
    body = request_body(learner={"email": "eve@example.org", "name": "<b>Eve</b> & co"})
    assert (await issue(client, ucll, body)).status_code == 201
    text_body, html_body = bodies((await delivered(app, tmp_path))[0])
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; co" in html_body
    assert "<b>Eve</b>" not in html_body
    assert text_body.startswith("Beste <b>Eve</b> & co,")  # plain text stays plain


async def test_a_credential_revoked_before_its_mail_left_is_not_announced(  # type: ignore[no-untyped-def]
        client, app, ucll, tmp_path) -> None:  # noqa: F811
    r = await issue(client, ucll)
    credential_id = r.json()['id'].rsplit('/', 1)[1]
    revoked = await client.post(f"{ISSUE.format(slug='ucll')}/{credential_id}/revoke",
                                json={"reason": "issued to the wrong learner"}, headers=ucll)
    assert revoked.status_code == 200, revoked.text
    assert await delivered(app, tmp_path) == []
    (row,) = (await client.get(NOTIFICATIONS.format(slug="ucll"), headers=ucll)).json()["items"]
    assert row["state"] == "failed" and "revoked before its mail left" in row["last_error"]


async def test_a_batch_mails_every_learner_it_issued_to_and_nobody_else(  # type: ignore[no-untyped-def]
        client, ucll, session_factory) -> None:  # noqa: F811
    bodies = [request_body(learner={"email": f"learner{i}@example.org", "name": f"L {i}"})
              for i in range(3)]
    bodies.insert(1, request_body(course="NO-SUCH-COURSE"))
    r = await client.post(ISSUE.format(slug="ucll") + "/batch", json=bodies, headers=ucll)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3 and r.json()["invalid"] == 1

    mails = await outbox(session_factory)
    assert sorted(m["recipient"] for m in mails) == [f"learner{i}@example.org" for i in range(3)]
    ids = {i["id"] for i in r.json()["items"] if i["status"] == "created"}
    assert {str(m["credential_id"]) for m in mails} == ids


async def test_a_replayed_issuance_mails_once(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for _ in range(2):
        r = await issue(client, ucll, **{"Idempotency-Key": "award-once"})
        assert r.status_code in (200, 201), r.text
    assert len(await outbox(session_factory)) == 1


async def test_a_refused_issuance_queues_no_mail(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    r = await issue(client, ucll, request_body(issued_on="not a date"))
    assert r.status_code == 422
    assert await outbox(session_factory) == []


async def test_an_institution_lists_its_mails_and_only_its_own(  # type: ignore[no-untyped-def]
        client, ucll, make_key, session_factory) -> None:  # noqa: F811
    for i in range(3):
        body = request_body(learner={"email": f"p{i}@example.org", "name": f"P {i}"})
        assert (await issue(client, ucll, body)).status_code == 201
    vives = bearer(await make_key("vives", "publish,issue"))

    r = await client.get(NOTIFICATIONS.format(slug="ucll") + "?limit=2", headers=ucll)
    assert r.status_code == 200, r.text
    page = r.json()
    assert [m["recipient"] for m in page["items"]] == ["p2@example.org", "p1@example.org"]
    assert {m["state"] for m in page["items"]} == {"queued"}
    assert "body_text" not in page["items"][0] and page["items"][0]["attempts"] == 0
    rest = await client.get(NOTIFICATIONS.format(slug="ucll"),
                            params={"limit": 2, "cursor": page["next_cursor"]}, headers=ucll)
    assert [m["recipient"] for m in rest.json()["items"]] == ["p0@example.org"]
    assert rest.json()["next_cursor"] is None

    # Another partner sees none of them, through either door.
    assert (await client.get(NOTIFICATIONS.format(slug="ucll"), headers=vives)).status_code == 403
    own = await client.get(NOTIFICATIONS.format(slug="vives"), headers=vives)
    assert own.status_code == 200 and own.json()["items"] == []
    assert (await client.get(NOTIFICATIONS.format(slug="ucll"))).status_code == 401


async def test_the_state_filter_and_bad_queries(client, ucll) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    assert (await issue(client, ucll)).status_code == 201
    url = NOTIFICATIONS.format(slug="ucll")
    queued = await client.get(url, params={"state": "queued"}, headers=ucll)
    assert len(queued.json()["items"]) == 1
    sent = await client.get(url, params={"state": "sent"}, headers=ucll)
    assert sent.json()["items"] == []

    bad = await client.get(url, params={"state": "lost"}, headers=ucll)
    assert bad.status_code in (400, 422)
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "?state" in bad.text and "queued, sending, sent, failed" in bad.text
    assert (await client.get(url, params={"cursor": "zz"}, headers=ucll)).status_code in (400, 422)
    assert (await client.get(url, params={"limit": 0}, headers=ucll)).status_code in (400, 422)
