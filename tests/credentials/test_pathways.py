"""Pathways: defined by an awarding institution, approved by its partners, versioned, retired.

The fixtures here (three partners' courses and keys, the app with the registry and the
pathway routes, the stacking hook wired to ``credentials.awarding``) are shared by the
awarding tests.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from api.app import create_app
from api.state import keyring_of
from api.routes.pathways import pathway_handlers
from credentials import awarding, issuing, service
from credentials.stacked import STACKED_ACHIEVEMENT_TYPE
from tests.conftest import bearer
from tests.credentials.support import example, with_registry

PATHWAYS = "/api/v1/institutions/{slug}/pathways"
COURSES = {  # slug/CODE -> ECTS; the units of the example pathway
    "ucll/MC-UDL": 4, "ucll/MC-TOETS": 3,
    "thomasmore/MC-DIVERSITEIT": 4, "thomasmore/MC-TAALBELEID": 3,
    "kuleuven/MC-EVALUATIE": 4, "kuleuven/MC-DIGITAAL": 3,
}


def pathway_body(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(example("pathway.json"))
    body.update(changes)
    return body


def wire_hook(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``credentials.stacking_hook`` will do once wired: re-evaluate through awarding."""

    async def hook(session, credential_row):  # type: ignore[no-untyped-def]
        await awarding.on_credential_change(session, credential_row, keyring=keyring_of(app))

    monkeypatch.setattr(issuing, "on_credential_change", hook)
    monkeypatch.setattr(service, "on_credential_change", hook)


def with_pathways(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> Litestar:
    with_registry(app)
    if "/api/v1/pathways" not in {route.path for route in app.routes}:
        for handler in pathway_handlers():
            app.register(handler)
    wire_hook(app, monkeypatch)
    return app


@pytest.fixture
def app(settings, session_factory, monkeypatch) -> Litestar:  # type: ignore[no-untyped-def]
    return with_pathways(create_app(settings, session_factory=session_factory), monkeypatch)


def course_doc(slug: str, code: str, ects: float) -> dict[str, Any]:
    doc = example("course-ucll-microcredential.json")
    doc.pop("code")
    doc.pop("joint_partners")
    doc["title"] = {"nl": f"Microcredential {code}", "en": f"Micro-credential {code}"}
    doc["ects"] = ects
    doc["offerings"][0]["start_date"] = "2027-02-01"
    doc["offerings"][0]["end_date"] = "2027-04-01"
    doc["offerings"][0]["enrolment_deadline"] = "2027-01-15"
    doc["offerings"][1]["status"] = "cancelled"
    doc["offerings"][1]["start_date"] = "2027-03-01"
    doc["offerings"][1]["end_date"] = "2027-05-01"
    # An edition that ran years ago: credentials are never dated before a course existed.
    doc["offerings"].append({**doc["offerings"][0], "code": "2019-NJ", "status": None,
                             "start_date": "2019-09-16", "end_date": "2019-12-16",
                             "enrolment_deadline": None})
    return doc


async def publish_courses(client, keys: dict[str, dict[str, str]],  # type: ignore[no-untyped-def]
                          courses: Mapping[str, float] = COURSES) -> None:
    for course, ects in courses.items():
        slug, code = course.split("/")
        r = await client.put(f"/api/v1/institutions/{slug}/courses/{code}",
                             json=course_doc(slug, code, ects), headers=keys[slug])
        assert r.status_code in (200, 201), r.text


@pytest.fixture
async def keys(client, make_key) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Publish-and-issue keys of the three partners, after publishing the example's courses."""
    found = {slug: bearer(await make_key(slug, "publish,issue"))
             for slug in ("kuleuven", "thomasmore", "ucll")}
    await publish_courses(client, found)
    return found


async def define(client, keys, body=None, slug="kuleuven"):  # type: ignore[no-untyped-def]
    return await client.post(PATHWAYS.format(slug=slug), json=body or pathway_body(),
                             headers=keys[slug])


async def approve(client, keys, partner, code="PG-INCLUSIEF-ONDERWIJS", owner="kuleuven",  # type: ignore[no-untyped-def]
                  **body):
    """``partner`` approves ``owner``'s pathway ``code`` with its own key."""
    return await client.post(f"{PATHWAYS.format(slug=owner)}/{code}/approve", json=body,
                             headers=keys[partner])


async def active_pathway(client, keys, body=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Define the (joint) pathway and have both partners approve it."""
    r = await define(client, keys, body)
    assert r.status_code == 201, r.text
    for partner in ("thomasmore", "ucll"):
        r = await approve(client, keys, partner, code=(body or pathway_body())["code"])
        assert r.status_code == 200, r.text
    return r.json()


# --- defining ---------------------------------------------------------------------------


async def test_a_joint_pathway_waits_for_every_partner(client, keys) -> None:  # type: ignore[no-untyped-def]
    r = await define(client, keys)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == "/api/v1/institutions/kuleuven/pathways/PG-INCLUSIEF-ONDERWIJS"
    assert created["active_version"] is None
    assert created["versions"][0]["state"] == "pending"
    assert created["versions"][0]["approvals"] == {"thomasmore": None, "ucll": None}
    public = f"/api/v1/pathways/{created['id']}"
    assert (await client.get(public)).status_code == 404

    r = await approve(client, keys, "ucll")
    assert r.status_code == 200, r.text
    assert r.json()["active_version"] is None
    assert r.json()["versions"][0]["approvals"]["ucll"] is not None
    r = await approve(client, keys, "thomasmore", version=1)
    assert r.status_code == 200, r.text
    assert r.json()["active_version"] == 1

    item = (await client.get(public)).json()
    assert item["type"] == "pathway" and item["state"] == "active" and item["version"] == 1
    assert item["title"]["en"] == "Inclusive teaching in higher education"
    assert {u["course"]: u["ects"] for u in item["units"]} == {
        c: e for c, e in COURSES.items()}
    assert item["units"][0]["title"] == {"nl": "Microcredential MC-UDL",
                                         "en": "Micro-credential MC-UDL"}


async def test_only_named_partners_approve_and_only_the_pending_version(client, keys, make_key) -> None:  # type: ignore[no-untyped-def]
    await define(client, keys)
    url = f"{PATHWAYS.format(slug='kuleuven')}/PG-INCLUSIEF-ONDERWIJS/approve"
    for key in (bearer(await make_key("vives", "issue")), bearer(await make_key("vives", "admin"))):
        r = await client.post(url, headers=key)
        assert r.status_code == 403, r.text  # not a partner of the pathway, admin or not
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "vives, which is not a partner" in r.json()["detail"]
    r = await approve(client, keys, "kuleuven")
    assert r.status_code == 403  # the awarding institution is not asked to approve
    assert "only its partners approve it (thomasmore, ucll)" in r.json()["detail"]
    r = await client.post(url, headers=bearer(await make_key("ucll", "publish")))
    assert r.status_code == 403  # approving needs the issue scope
    r = await approve(client, keys, "ucll", owner="thomasmore")
    assert r.status_code == 404  # the path names the awarding institution's pathway
    r = await approve(client, keys, "ucll", code="PG-ONBEKEND")
    assert r.status_code == 404
    r = await approve(client, keys, "ucll", version=7)
    assert r.status_code == 409
    r = await client.post(url, json={"institution": "kuleuven"}, headers=keys["ucll"])
    assert r.status_code == 422  # the awarding institution is the path's, not the body's
    r = await client.post(url, headers=keys["ucll"])  # no body at all
    assert r.status_code == 200, r.text
    assert r.json()["versions"][0]["approvals"]["ucll"] is not None
    assert r.json()["versions"][0]["approvals"]["thomasmore"] is None


async def test_a_pathway_of_one_institution_is_active_at_once(client, keys) -> None:  # type: ignore[no-untyped-def]
    body = pathway_body(code="PG-KUL", partners=["kuleuven"], min_total_ects=4,
                        rules={"min_ects": 4, "of": [{"course": "kuleuven/MC-EVALUATIE"},
                                                     {"course": "kuleuven/MC-DIGITAAL"}]})
    r = await define(client, keys, body)
    assert r.status_code == 201, r.text
    assert r.json()["active_version"] == 1


async def test_a_change_makes_a_new_version_and_the_same_body_none(client, keys) -> None:  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    r = await define(client, keys)
    assert r.status_code == 200 and r.json()["latest_version"] == 1
    changed = pathway_body(min_total_ects=11)
    r = await define(client, keys, changed)
    assert r.status_code == 200, r.text
    pathway = r.json()
    assert pathway["latest_version"] == 2
    assert [v["state"] for v in pathway["versions"]] == ["active", "pending"]
    assert pathway["active_version"] == 1  # until the partners approve version 2
    await approve(client, keys, "ucll")
    r = await approve(client, keys, "thomasmore")
    assert [v["state"] for v in r.json()["versions"]] == ["superseded", "active"]
    public = (await client.get(f"/api/v1/pathways/{pathway['id']}")).json()
    assert public["version"] == 2 and public["min_total_ects"] == 11
    old = (await client.get(f"/api/v1/pathways/{pathway['id']}?version=1")).json()
    assert old["version"] == 1 and old["state"] == "superseded" and old["min_total_ects"] == 12


async def test_retired_pathways_award_nothing_and_cannot_change(client, keys) -> None:  # type: ignore[no-untyped-def]
    pathway = await active_pathway(client, keys)
    url = f"{PATHWAYS.format(slug='kuleuven')}/PG-INCLUSIEF-ONDERWIJS/retire"
    r = await client.post(url, headers=keys["kuleuven"])
    assert r.status_code == 200, r.text
    assert r.json()["retired"] is True and r.json()["active_version"] is None
    assert (await client.post(url, headers=keys["kuleuven"])).status_code == 409
    assert (await define(client, keys)).status_code == 409
    listed = (await client.get("/api/v1/pathways")).json()
    assert pathway["id"] not in [p["id"] for p in listed["items"]]
    assert (await client.get(f"/api/v1/pathways/{pathway['id']}")).json()["state"] == "retired"


async def test_lists_are_paginated(client, keys) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        body = pathway_body(code=f"PG-KUL-{i}", partners=["kuleuven"], min_total_ects=None,
                            rules={"course": "kuleuven/MC-EVALUATIE"})
        body.pop("min_total_ects")
        assert (await define(client, keys, body)).status_code == 201
    own = PATHWAYS.format(slug="kuleuven")
    first = (await client.get(f"{own}?limit=2", headers=keys["kuleuven"])).json()
    assert [p["code"] for p in first["items"]] == ["PG-KUL-0", "PG-KUL-1"]
    rest = (await client.get(f"{own}?limit=2&cursor={first['next_cursor']}",
                             headers=keys["kuleuven"])).json()
    assert [p["code"] for p in rest["items"]] == ["PG-KUL-2"] and rest["next_cursor"] is None

    seen: list[str] = []
    cursor = None
    while True:
        page = (await client.get("/api/v1/pathways", params={
            "limit": 2, "institution": "kuleuven", **({"cursor": cursor} if cursor else {})})).json()
        seen += [p["code"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["PG-KUL-0", "PG-KUL-1", "PG-KUL-2"]


async def test_professionals_find_pathways_by_words_and_by_course(client, keys) -> None:  # type: ignore[no-untyped-def]
    pathway = await active_pathway(client, keys)
    for query in ({"q": "inclusive teaching"}, {"q": "INCLUSIEF lesgeven"},
                  {"course": "thomasmore/MC-TAALBELEID"}):
        found = (await client.get("/api/v1/pathways", params=query)).json()
        assert [p["id"] for p in found["items"]] == [pathway["id"]], query
    for query in ({"q": "wound care"}, {"course": "ucll/MC-WONDZORG"}, {"institution": "ucll"}):
        assert (await client.get("/api/v1/pathways", params=query)).json()["items"] == [], query


# --- refusing what can never be satisfied -------------------------------------------------


def _errors(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    return {e["pointer"]: e["message"] for e in response.json()["errors"]}


async def test_unknown_courses_are_refused_with_the_reason(client, keys) -> None:  # type: ignore[no-untyped-def]
    body = pathway_body()
    body["rules"]["all"][0] = {"course": "ucll/MC-BESTAAT-NIET"}
    errors = _errors(await define(client, keys, body))
    assert "does not exist" in errors["/rules/all/0/course"]


async def test_min_ects_above_what_units_provide_is_refused(client, keys) -> None:  # type: ignore[no-untyped-def]
    body = pathway_body()
    body["rules"]["all"][2]["min_ects"] = 20
    errors = _errors(await define(client, keys, body))
    assert "at most 10" in errors["/rules/all/2/min_ects"]
    errors = _errors(await define(client, keys, pathway_body(min_total_ects=40)))
    assert "at most 21" in errors["/min_total_ects"]


async def test_courses_of_unnamed_partners_and_bad_shapes_are_refused(client, keys) -> None:  # type: ignore[no-untyped-def]
    errors = _errors(await define(client, keys, pathway_body(partners=["kuleuven", "ucll"])))
    assert "not one of the partners" in errors["/rules/all/1/of/0/course"]
    errors = _errors(await define(client, keys, pathway_body(rules={"any": []})))
    assert errors
    body = pathway_body()
    del body["award"]["ects"]
    errors = _errors(await define(client, keys, body))
    assert any("ECTS" in m or "ects" in p for p, m in errors.items()), errors


async def test_defining_needs_the_issue_scope_of_the_awarding_institution(client, keys, make_key) -> None:  # type: ignore[no-untyped-def]
    r = await client.post(PATHWAYS.format(slug="kuleuven"), json=pathway_body(),
                          headers=keys["ucll"])
    assert r.status_code == 403
    publish_only = bearer(await make_key("kuleuven", "publish"))
    r = await client.post(PATHWAYS.format(slug="kuleuven"), json=pathway_body(),
                          headers=publish_only)
    assert r.status_code == 403


async def test_control_characters_and_bad_parameters_are_refused(client, keys) -> None:  # type: ignore[no-untyped-def]
    body = pathway_body()
    body["award"]["title"]["en"] = "Certificate\x07 in inclusive teaching"
    errors = _errors(await define(client, keys, body))
    assert "control characters" in errors["/award/title/en"]
    pathway = await active_pathway(client, keys)
    assert (await client.get(f"/api/v1/pathways/{pathway['id']}?version=0")).status_code in (400, 422)
    assert (await client.get(f"/api/v1/pathways/{pathway['id']}?version=9")).status_code == 404
    assert (await client.get("/api/v1/pathways/not-a-uuid")).status_code == 404
    assert (await client.get("/api/v1/pathways", params={"q": "a\x00b"})).status_code in (400, 422)
    assert (await client.get("/api/v1/pathways", params={"cursor": "zz"})).status_code == 422


async def test_the_award_names_an_ob3_achievement_type_or_none(client, keys) -> None:  # type: ignore[no-untyped-def]
    for named in ("ext:Getuigschrift", "microcredential", ""):
        body = pathway_body()
        body["award"]["achievement_type"] = named
        errors = _errors(await define(client, keys, body))
        assert "not an Open Badges 3.0 achievementType" in errors["/award/achievement_type"]


def test_the_achievement_types_are_ob3s_and_the_default_is_awardings() -> None:
    schemas = Path(__file__).parents[2] / "schemas"
    ob3 = json.loads((schemas / "ob3" / "ob_v3p0_achievementcredential_schema.json").read_text())
    defined = ob3["$defs"]["Achievement"]["properties"]["achievementType"]["oneOf"][0]["enum"]
    ours = json.loads((schemas / "pathway.schema.json").read_text())["$defs"]["award"][
        "properties"]["achievement_type"]
    assert set(ours["enum"]) <= set(defined)
    assert ours["default"] == STACKED_ACHIEVEMENT_TYPE


async def test_an_award_no_verifier_could_check_is_refused(client, keys) -> None:  # type: ignore[no-untyped-def]
    body = pathway_body()
    # Two texts of one field that sort differently by code point and by UTF-16.
    body["award"]["quality_assurance"] = {"nl": "NVAO \U0001F600", "en": "NVAO \uFF21"}
    errors = _errors(await define(client, keys, body))
    assert "cannot be signed portably" in errors["/award"]


async def test_an_award_the_credential_contract_refuses_is_a_422(client, keys) -> None:  # type: ignore[no-untyped-def]
    """A pass mark that is not on its own letter scale passes the pathway schema (it cannot
    compare two values) but no credential could carry it: refused when defined, never a 500
    (schemathesis found the 500)."""
    body = pathway_body()
    body["award"]["assessment"] = {"type": "testing", "grade_scale": {
        "type": "letter", "values": ["A", "B", "C"], "pass": "Z"}}
    r = await define(client, keys, body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e["pointer"].startswith("/award") for e in r.json()["errors"]), r.text
