"""Pathway fixtures and helpers shared by the pathway, awarding and progress tests.

Three partners' courses and keys, the app with the registry and the pathway routes, and
the requests that define and approve a pathway. Not a test module: test modules import it
(``app = pathway_support.app`` makes a fixture theirs).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from litestar import Litestar

from api.app import create_app
from api.routes.pathways import pathway_handlers
from tests.conftest import bearer
from tests.credentials.support import ISSUE, example, request_body, with_registry

__all__ = ["COURSES", "EMAIL", "LEARNER", "PATHWAYS", "active_pathway", "app", "approve",
           "course_doc", "define", "issue", "learner_headers", "stacked",
           "keys", "pathway_body", "publish_courses", "with_pathways"]

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


def with_pathways(app: Litestar) -> Litestar:
    with_registry(app)
    if "/api/v1/pathways" not in {route.path for route in app.routes}:
        for handler in pathway_handlers():
            app.register(handler)
    return app


@pytest.fixture
def app(settings, session_factory) -> Litestar:  # type: ignore[no-untyped-def]
    return with_pathways(create_app(settings, session_factory=session_factory))


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


# Learners following the pathway (test_awarding and the award mail and badge tests)
LEARNER = {"email": "Els.Wouters@Example.org", "name": "Els Wouters"}
EMAIL = "els.wouters@example.org"


async def issue(client, keys, slug: str, code: str, grade: float = 15,  # type: ignore[no-untyped-def]
                issued_on: str = "2026-06-30", learner: dict[str, str] = LEARNER) -> dict[str, Any]:
    assessment = {"type": "portfolio", "grade": grade,
                  "grade_scale": {"type": "numeric", "min": 0, "max": 20, "pass": 10}}
    body = request_body(course=code, learner=learner, issued_on=issued_on, assessment=assessment,
                        quality_assurance={"en": f"{slug} internal quality assurance"})
    r = await client.post(ISSUE.format(slug=slug), json=body, headers=keys[slug])
    assert r.status_code == 201, r.text
    return r.json()


async def learner_headers(client, keys, email: str = EMAIL,  # type: ignore[no-untyped-def]
                          slug: str = "kuleuven") -> dict[str, str]:
    """A learner token minted by ``slug``: it sees what ``slug`` issued (#13), by default
    KU Leuven, which awards the pathway's stacked credential."""
    r = await client.post(f"/api/v1/institutions/{slug}/learners/tokens", json={"email": email},
                          headers=keys[slug])
    assert r.status_code == 201, r.text
    return bearer(r.json()["token"])


async def stacked(client, headers) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    mine = (await client.get("/api/v1/me/credentials", headers=headers)).json()["items"]
    return [c for c in mine if c["course"].startswith("kuleuven/pathway:")]
