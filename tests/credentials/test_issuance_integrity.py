"""Issuance integrity: what a partner key could sign before, each tried as an attacker would.

VIVES issued for UCLL's course, inflated ECTS to 360, back-dated to 1990 and renamed the
course; the registry signed it and stacking counted the inflated ECTS toward another
partner's award. Now a partner issues only for its own courses or for courses of an active
joint pathway it is a named partner of; title, ECTS and learning outcomes come from the
course (a body may narrow them); ``issued_on`` lies between the course's first day and
today.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from tests.conftest import bearer
from tests.credentials import pathway_support as pathways
from tests.credentials.support import ISSUE, request_body
from tests.credentials.pathway_support import active_pathway

ROOT = Path(__file__).resolve().parents[2]
app, keys = pathways.app, pathways.keys  # the fixtures: three partners, the example's courses


def body(course: str, **changes):  # type: ignore[no-untyped-def]
    return request_body(course=course, issued_on="2026-06-30", **changes)


async def post(client, headers, slug: str, payload):  # type: ignore[no-untyped-def]
    return await client.post(ISSUE.format(slug=slug), json=payload, headers=headers)


def pointers(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["pointer"] for e in response.json()["errors"]}


async def test_another_partners_course_only_as_a_named_pathway_partner(client, keys, make_key) -> None:  # type: ignore[no-untyped-def]
    vives = bearer(await make_key("vives", "issue"))
    assert pointers(await post(client, vives, "vives", body("ucll/MC-UDL"))) == {"/course"}
    # thomasmore is a named partner of kuleuven's pathway counting ucll/MC-UDL only once
    # it is active
    assert pointers(await post(client, keys["thomasmore"], "thomasmore",
                               body("ucll/MC-UDL"))) == {"/course"}
    await active_pathway(client, keys)
    r = await post(client, keys["thomasmore"], "thomasmore", body("ucll/MC-UDL"))
    assert r.status_code == 201, r.text
    assert r.json()["issuer"]["id"].endswith(":institutions:thomasmore")
    assert pointers(await post(client, vives, "vives", body("ucll/MC-UDL"))) == {"/course"}


async def test_ects_title_and_outcomes_come_from_the_course(client, keys) -> None:  # type: ignore[no-untyped-def]
    ucll = keys["ucll"]
    assert pointers(await post(client, ucll, "ucll", body("MC-UDL", ects=360))) == {"/ects"}
    assert pointers(await post(client, ucll, "ucll", body("MC-UDL", ects=4.5))) == {"/ects"}
    assert pointers(await post(client, ucll, "ucll", body(
        "MC-UDL", title={"en": "Master of Medicine"}))) == {"/title"}
    assert pointers(await post(client, ucll, "ucll", body(
        "MC-UDL", learning_outcomes=[{"en": "Performs surgery"}]))) == {"/learning_outcomes/0"}

    course = (await client.get("/api/v1/institutions/ucll/courses/MC-UDL", headers=ucll)).json()
    narrowed = await post(client, ucll, "ucll", body(
        "MC-UDL", ects=2, title={"en": course["title"]["en"]},
        learning_outcomes=course["learning_outcomes"][:1]))
    assert narrowed.status_code == 201, narrowed.text
    achievement = narrowed.json()["credentialSubject"]["achievement"]
    assert achievement["creditsAvailable"] == 2
    assert achievement["criteria"]["narrative"].count("\n- ") == 1


async def test_issued_on_lies_between_the_course_and_today(client, keys) -> None:  # type: ignore[no-untyped-def]
    ucll = keys["ucll"]
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    future = await post(client, ucll, "ucll", request_body(course="MC-UDL", issued_on=tomorrow))
    assert pointers(future) == {"/issued_on"} and "future" in future.text
    # the course's earliest edition started on 2019-09-16 (tests/credentials/test_pathways.py)
    old = await post(client, ucll, "ucll", request_body(course="MC-UDL", issued_on="1990-01-01"))
    assert pointers(old) == {"/issued_on"} and "2019-09-16" in old.text
    first_day = await post(client, ucll, "ucll",
                           request_body(course="MC-UDL", issued_on="2019-09-16"))
    assert first_day.status_code == 201, first_day.text


async def test_stacking_counts_at_most_the_declared_ects(client, keys, session) -> None:  # type: ignore[no-untyped-def]
    """What stacking reads (``credential.ects``) never exceeds the course's ECTS, for new
    credentials (issuance refuses more) and those issued before (migration 0009 caps them)."""
    r = await post(client, keys["ucll"], "ucll", body("MC-UDL"))
    assert r.status_code == 201
    cid = r.json()["id"].rsplit("/", 1)[1]
    await session.execute(text("UPDATE credential SET ects = 360 WHERE id = :i"), {"i": cid})
    path = next((ROOT / "migrations" / "versions").glob("*0009_revocation_lists.py"))
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    await session.execute(text(migration.CAP_ECTS))
    assert float(await session.scalar(
        text("SELECT ects FROM credential WHERE id = :i"), {"i": cid})) == 4
