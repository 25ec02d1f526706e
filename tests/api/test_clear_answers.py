"""Answers a newcomer can act on (#18): each names what was wrong and what to do."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import bearer
from tests.credentials import support

ROOT = Path(__file__).resolve().parents[2]
COURSES = "/api/v1/institutions/ucll/courses"
app = support.app  # the app with the registry's routes


def problem(r, status: int) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return str(r.json()["detail"])


async def test_an_empty_batch_is_a_400_not_nothing_done(client, make_key) -> None:  # type: ignore[no-untyped-def]
    key = bearer(await make_key("ucll", "publish,issue"))
    for body, kind in ((b"[]", "application/json"), (b"", "application/x-ndjson"),
                       (b"\n\n", "application/x-ndjson")):
        r = await client.post(f"{COURSES}/batch", content=body,
                              headers={**key, "content-type": kind})
        assert "no item" in problem(r, 400), kind
    r = await client.post("/api/v1/institutions/ucll/credentials/batch", json=[], headers=key)
    assert "no request" in problem(r, 400)


async def test_a_learner_token_on_a_partner_route_says_so(client, make_key) -> None:  # type: ignore[no-untyped-def]
    key = bearer(await make_key("ucll", "issue"))
    r = await client.post("/api/v1/institutions/ucll/learners/tokens",
                          json={"email": "an@example.org"}, headers=key)
    token = r.json()["token"]
    r = await client.get(COURSES, headers=bearer(token))
    assert "learner token" in problem(r, 401) and "/api/v1/me" in r.text


async def test_an_unknown_institution_names_the_partners(client) -> None:  # type: ignore[no-untyped-def]
    detail = problem(await client.get("/api/v1/institutions/harvard"), 404)
    assert "harvard" in detail
    assert all(slug in detail for slug in ("kuleuven", "luca", "odisee", "thomasmore", "ucll",
                                           "vives"))


async def test_a_stale_if_match_says_how_to_get_the_etag(client, make_key) -> None:  # type: ignore[no-untyped-def]
    key = bearer(await make_key("ucll", "publish"))
    course = json.loads((ROOT / "schemas/examples/course-minimal.json").read_text())
    course.pop("code", None)
    r = await client.put(f"{COURSES}/NEW-ONE", json=course, headers={**key, "If-Match": '"x"'})
    assert "leave If-Match out" in problem(r, 412)
    assert (await client.put(f"{COURSES}/NEW-ONE", json=course, headers=key)).status_code == 201
    r = await client.put(f"{COURSES}/NEW-ONE", json=course, headers={**key, "If-Match": '"x"'})
    assert "GET it again" in problem(r, 412) and "ETag" in r.text
