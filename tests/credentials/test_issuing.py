"""Partners issue microcredentials: the OB3 document, EU elements, bad input, idempotency, batches."""

from __future__ import annotations

import json

from credentials.fastschema import ob3_violations
from credentials.validation import validate_ob3
from tests.conftest import bearer
from tests.credentials import support
from tests.credentials.support import ISSUE, issue, request_body

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests


async def test_issue_returns_the_signed_credential_exactly_as_stored(client, ucll) -> None:  # type: ignore[no-untyped-def]
    r = await issue(client, ucll)
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    assert location.startswith("/api/v1/credentials/")
    credential = r.json()
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == "http://127.0.0.1:8000" + location
    assert credential["issuer"]["id"] == "did:web:127.0.0.1%3A8000:institutions:ucll"
    assert credential["issuer"]["address"]["addressCountryCode"] == "BE"
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    assert achievement["creditsAvailable"] == 4
    assert achievement["alignment"][0]["targetUrl"] == "http://data.europa.eu/snb/eqf/6"
    assert achievement["participationForm"] == "blended"
    assert achievement["qualityAssurance"]["en"].startswith("UCLL internal")
    assert credential["credentialSubject"]["result"][0]["value"] == "15"
    identity = credential["credentialSubject"]["identifier"][0]
    assert identity["hashed"] is True and identity["identityHash"].startswith("sha256$")
    assert "an.peeters" not in r.text
    entry = credential["credentialStatus"]
    assert isinstance(entry, dict) and entry["statusPurpose"] == "revocation"
    assert "statusSize" not in entry  # 1 bit, the default
    assert credential["@context"][:3] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"]
    assert isinstance(credential["@context"][3], dict)  # our terms, embedded: no URL of ours
    assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
    stored = await client.get(location, headers=ucll)  # the issuer reads it (#17)
    assert stored.status_code == 200 and stored.content == r.content


async def test_issued_credentials_meet_the_ob3_schema(client, ucll) -> None:  # type: ignore[no-untyped-def]
    """The official OB3 AchievementCredential schema as it is: zero violations, one by one
    and through the batch endpoint, with and without optional elements."""
    credentials = [(await issue(client, ucll)).json()]
    bare = request_body(learner={"email": "bare@example.org", "name": "Bare"})
    bare["assessment"] = {"type": bare["assessment"]["type"]}
    for key in ("prerequisites", "further_information", "stackability", "valid_until",
                "identity_verification"):
        bare.pop(key, None)
    credentials.append((await issue(client, ucll, bare)).json())
    bodies = [request_body(learner={"email": f"ob3-{i}@example.org", "name": f"OB3 {i}"})
              for i in range(6)]
    r = await client.post(ISSUE.format(slug="ucll") + "/batch", json=bodies, headers=ucll)
    assert r.status_code == 200, r.text
    credentials += [item["credential"] for item in r.json()["items"]]
    assert len(credentials) == 8
    for credential in credentials:
        assert validate_ob3(credential) == []
        assert ob3_violations(credential) == []
        assert isinstance(credential["credentialStatus"], dict)
    assert len({c["credentialStatus"]["statusListIndex"] for c in credentials}) == 8
    # Two entries (the old revocation + suspension pair) are what the schema refuses.
    pair = {**credentials[0], "credentialStatus": [credentials[0]["credentialStatus"]] * 2}
    assert [v.pointer for v in validate_ob3(pair)] == ["/credentialStatus"]
    assert ob3_violations(pair) == validate_ob3(pair)


async def test_missing_eu_element_is_named(client, ucll) -> None:  # type: ignore[no-untyped-def]
    body = request_body()
    del body["quality_assurance"]
    r = await issue(client, ucll, body)
    assert r.status_code == 422
    assert "type of quality assurance" in r.text


async def test_element_the_course_lacks_must_come_from_the_course(client, ucll) -> None:  # type: ignore[no-untyped-def]
    """ECTS and learning outcomes come from the course (a body may only narrow them): a
    course without them is published with them before anyone is issued a credential."""
    course = json.loads((await client.get("/api/v1/institutions/ucll/courses/MC-TOETS",
                                          headers=ucll)).text)
    doc = {k: course[k] for k in ("type", "title", "languages", "offerings") if course.get(k)}
    await client.put("/api/v1/institutions/ucll/courses/BARE", json=doc, headers=ucll)
    r = await issue(client, ucll, request_body(course="BARE"))
    assert r.status_code == 422
    pointers = {e["pointer"] for e in r.json()["errors"]}
    assert {"/ects", "/learning_outcomes", "/eqf_level"} <= pointers
    assert "notional workload in ECTS" in r.text
    r = await issue(client, ucll, request_body(
        course="BARE", ects=2, eqf_level=None, learning_outcomes=[{"en": "Does things"}]))
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {"/ects", "/learning_outcomes/0"}
    assert "publish the course with its ECTS first" in r.text
    doc |= {"ects": 2, "learning_outcomes": [{"en": "Does things"}]}
    await client.put("/api/v1/institutions/ucll/courses/BARE", json=doc, headers=ucll)
    fixed = await issue(client, ucll, request_body(course="BARE", eqf_level=None))
    assert fixed.status_code == 201, fixed.text
    assert "alignment" not in fixed.json()["credentialSubject"]["achievement"]


async def test_bad_courses_emails_and_grades(client, ucll) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "/course": request_body(course="NOPE"),
        "/learner/email": request_body(learner={"email": "not-an-email", "name": "X"}),
        "/assessment/grade": request_body(assessment={
            "type": "testing", "grade": 21,
            "grade_scale": {"type": "numeric", "min": 0, "max": 20, "pass": 10}}),
    }
    for pointer, body in cases.items():
        r = await issue(client, ucll, body)
        assert r.status_code == 422, (pointer, r.text)
        assert pointer in {e["pointer"] for e in r.json()["errors"]}, r.text


async def test_course_of_another_partner_needs_a_joint_pathway(client, ucll, make_key) -> None:  # type: ignore[no-untyped-def]
    """The course's ``joint_partners`` (VIVES) is what UCLL says of it, not a licence to
    issue: another partner issues only for courses of an active joint pathway it is a
    named partner of (tests/credentials/test_issuance_integrity.py)."""
    vives = bearer(await make_key("vives", "issue"))
    joint = await issue(client, vives, request_body(course="ucll/MC-TOETS"), slug="vives")
    assert joint.status_code == 422 and "joint pathway" in joint.text
    odisee = bearer(await make_key("odisee", "issue"))
    r = await issue(client, odisee, request_body(course="ucll/MC-TOETS"), slug="odisee")
    assert r.status_code == 422 and "joint pathway" in r.text
    own = await issue(client, odisee, request_body(), slug="odisee")
    assert own.status_code == 422  # odisee has no MC-TOETS


async def test_issuing_as_another_institution_is_forbidden(client, ucll) -> None:  # type: ignore[no-untyped-def]
    r = await issue(client, ucll, slug="kuleuven")
    assert r.status_code == 403


async def test_control_characters_are_refused(client, ucll) -> None:  # type: ignore[no-untyped-def]
    title = await issue(client, ucll, request_body(title={"en": "Wound\x07care"}))
    assert title.status_code == 422 and "/title/en" in title.text
    name = await issue(client, ucll, request_body(learner={"email": "a@b.be", "name": "An\x1bP"}))
    assert name.status_code == 422 and "/learner/name" in name.text


async def test_idempotency_key(client, ucll) -> None:  # type: ignore[no-untyped-def]
    first = await issue(client, ucll, None, **{"Idempotency-Key": "k-1"})
    again = await issue(client, ucll, None, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    other = await issue(client, ucll, request_body(participation="online"),
                        **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409


async def test_batch_gives_a_result_per_item(client, ucll) -> None:  # type: ignore[no-untyped-def]
    bodies = [request_body(learner={"email": f"l{i}@example.org", "name": f"L {i}"})
              for i in range(5)]
    bodies.insert(2, request_body(course="NOPE"))
    r = await client.post(ISSUE.format(slug="ucll") + "/batch", json=bodies, headers=ucll)
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["created"], result["invalid"]) == (5, 1)
    assert [i["status"] for i in result["items"]][:3] == ["created", "created", "invalid"]
    first = result["items"][0]
    fetched = await client.get(first["location"], headers=ucll)
    assert fetched.json() == first["credential"]
    indexes = {i["credential"]["credentialStatus"]["statusListIndex"]
               for i in result["items"] if i["status"] == "created"}
    assert len(indexes) == 5
    assert sorted(int(x) for x in indexes) != list(range(min(map(int, indexes)),
                                                         min(map(int, indexes)) + 5))
    too_many = await client.post(ISSUE.format(slug="ucll") + "/batch",
                                 json=[{}] * 1001, headers=ucll)
    assert too_many.status_code == 422


async def test_unknown_credential_is_404(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/api/v1/credentials/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404
    assert (await client.get("/api/v1/credentials/nope")).status_code == 404


async def test_concurrent_retries_with_one_key_give_one_credential(engine) -> None:  # type: ignore[no-untyped-def]
    """Two transactions race with the same Idempotency-Key: one inserts, the other answers
    with the winner's credential (the unique constraint decides, not a read before write)."""
    import asyncio
    import uuid

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from catalogue.service import publish_one
    from credentials.issuing import issue
    from credentials.keys import KeyRing
    from tests.conftest import TEST_SECRET
    from tests.credentials.support import example

    factory = async_sessionmaker(engine, expire_on_commit=False)
    code = f"RACE-{uuid.uuid4().hex[:8]}"
    course = example("course-ucll-microcredential.json")
    course.pop("code")
    async with factory() as s:
        await publish_one(s, "ucll", code, course, if_match=None)
        last_key = await s.scalar(text("SELECT coalesce(max(id), 0) FROM issuer_key"))
        last_list = await s.scalar(text("SELECT coalesce(max(id), 0) FROM status_list"))
        await s.commit()
    keyring = KeyRing(TEST_SECRET, "http://127.0.0.1:8000")
    body = request_body(course=code)
    key = f"race-{code}"
    try:
        async with factory() as first, factory() as second:
            one = await issue(first, keyring, "ucll", [body], idempotency_key=key)
            racing = asyncio.create_task(issue(second, keyring, "ucll", [body],
                                               idempotency_key=key))
            await asyncio.sleep(0.2)  # the second insert now waits on the first's unique key
            await first.commit()
            two = await racing
            await second.commit()
        assert one[0].status == "created" and two[0].status == "existing"
        assert two[0].document == one[0].document
        async with factory() as s:
            count = await s.scalar(text("SELECT count(*) FROM credential WHERE course_code = :c"),
                                   {"c": code})
            leaked = await s.scalar(text(
                "SELECT count(*) FROM status_allocation a WHERE NOT EXISTS (SELECT 1 FROM "
                "credential c WHERE c.status_list_id = a.list_id AND c.status_index = a.idx)"))
        assert count == 1 and leaked == 0
    finally:
        async with factory() as s:
            await s.execute(text("DELETE FROM credential WHERE course_code = :c"), {"c": code})
            await s.execute(text("DELETE FROM status_allocation a WHERE NOT EXISTS (SELECT 1 FROM "
                                 "credential c WHERE c.status_list_id = a.list_id AND "
                                 "c.status_index = a.idx)"))
            await s.execute(text("DELETE FROM offering WHERE course_id IN (SELECT id FROM course "
                                 "WHERE code = :c)"), {"c": code})
            await s.execute(text("DELETE FROM course WHERE code = :c"), {"c": code})
            await s.execute(text("DELETE FROM status_list WHERE id > :i"), {"i": last_list})
            await s.execute(text("DELETE FROM issuer_key WHERE id > :i"), {"i": last_key})
            await s.commit()
