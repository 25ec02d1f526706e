"""Partners publish their courses over the API: upsert, ETags, batches, withdrawal, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import bearer

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture
async def ucll(make_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(await make_key("ucll", "publish"))


async def course_count(session_factory, code: str) -> int:  # type: ignore[no-untyped-def]
    async with session_factory() as s:
        return int(await s.scalar(text("SELECT count(*) FROM course WHERE code = :c"), {"c": code}))


async def test_put_creates_then_updates_with_etags(client, ucll) -> None:  # type: ignore[no-untyped-def]
    doc = example("course-ucll-microcredential.json")
    doc.pop("code")
    url = "/api/v1/institutions/ucll/courses/MC-WONDZORG"
    r = await client.put(url, json=doc, headers=ucll)
    assert r.status_code == 201, r.text
    first_tag = r.headers["etag"]
    body = r.json()
    assert body["institution"] == "ucll" and body["code"] == "MC-WONDZORG"
    assert body["source"] == "push" and body["first_seen"] and body["content_hash"]
    assert body["offerings"][1]["capacity"] is None

    again = await client.put(url, json=doc, headers=ucll)
    assert again.status_code == 200 and again.headers["etag"] == first_tag
    assert again.json()["last_changed"] == body["last_changed"]  # unchanged: not rewritten

    doc["ects"] = 5
    stale = await client.put(url, json=doc, headers={**ucll, "If-Match": '"not-the-tag"'})
    assert stale.status_code == 412
    updated = await client.put(url, json=doc, headers={**ucll, "If-Match": first_tag})
    assert updated.status_code == 200 and updated.headers["etag"] != first_tag
    assert (await client.get(url, headers=ucll)).json()["ects"] == 5


async def test_withdrawn_course_stays_resolvable(client, ucll) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/institutions/ucll/courses/MIN-1"
    await client.put(url, json=example("course-minimal.json"), headers=ucll)
    assert (await client.delete(url, headers=ucll)).status_code == 204
    body = (await client.get(url, headers=ucll)).json()
    assert body["withdrawn"] is True
    listed = (await client.get("/api/v1/institutions/ucll/courses", headers=ucll)).json()
    assert [c["withdrawn"] for c in listed["items"] if c["code"] == "MIN-1"] == [True]
    assert (await client.delete("/api/v1/institutions/ucll/courses/NOPE", headers=ucll)).status_code == 404


async def test_list_is_paginated_with_a_cursor(client, ucll) -> None:  # type: ignore[no-untyped-def]
    docs = [{**example("course-minimal.json"), "code": f"P-{i:02d}"} for i in range(7)]
    await client.post("/api/v1/institutions/ucll/courses/batch", json=docs, headers=ucll)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/institutions/ucll/courses", params=params, headers=ucll)).json()
        seen += [c["code"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"P-{i:02d}" for i in range(7)]
    bad = await client.get("/api/v1/institutions/ucll/courses", params={"cursor": "@@"}, headers=ucll)
    assert bad.status_code == 400  # #18: every parameter error is a 400 with a ?pointer


async def test_batch_reports_each_item(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    good = {**example("course-minimal.json"), "code": "B-1"}
    dup = {**example("course-minimal.json"), "code": "B-1"}
    bad = {**example("course-minimal.json"), "code": "B-2", "ects": -3}
    url = "/api/v1/institutions/ucll/courses/batch"
    r = await client.post(url, json=[good, dup, bad], headers=ucll)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [i["status"] for i in body["items"]] == ["created", "invalid", "invalid"]
    assert body["items"][2]["errors"][0]["pointer"] == "/ects"
    assert "duplicate" in body["items"][1]["errors"][0]["message"]
    again = (await client.post(url, json=[good], headers=ucll)).json()
    assert again["unchanged"] == 1


async def test_atomic_batch_stores_nothing_when_one_is_invalid(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    docs = [{**example("course-minimal.json"), "code": "A-1"},
            {**example("course-minimal.json"), "code": "A 2"}]
    r = await client.post("/api/v1/institutions/ucll/courses/batch?atomic=true", json=docs, headers=ucll)
    assert r.status_code == 422
    assert any(e["pointer"].startswith("/1/code") for e in r.json()["errors"])
    assert await course_count(session_factory, "A-1") == 0


async def test_ndjson_batch(client, ucll) -> None:  # type: ignore[no-untyped-def]
    lines = "\n".join(json.dumps({**example("course-minimal.json"), "code": f"N-{i}"}) for i in range(3))
    r = await client.post("/api/v1/institutions/ucll/courses/batch", content=lines.encode(),
                          headers={**ucll, "content-type": "application/x-ndjson"})
    assert r.json()["created"] == 3


async def test_a_partner_cannot_publish_for_another(client, ucll) -> None:  # type: ignore[no-untyped-def]
    r = await client.put("/api/v1/institutions/vives/courses/X", json=example("course-minimal.json"),
                         headers=ucll)
    assert r.status_code == 403


def _with(**changes: Any) -> dict[str, Any]:
    doc = example("course-ucll-microcredential.json")
    doc.pop("code")
    for path, value in changes.items():
        target = doc
        *parents, leaf = path.split("__")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[leaf] = value
    return doc


@pytest.mark.parametrize(("code", "doc", "pointer"), [
    ("OK-1", _with(ects=-1), "/ects"),
    ("OK-2", _with(offerings__0__price_eur=-5), "/offerings/0/price_eur"),
    ("OK-3", _with(colour="blue"), ""),
    ("OK-4", _with(offerings__0__end_date="2025-01-01"), "/offerings/0/end_date"),
    ("OK-5", _with(offerings__0__language="fr"), "/offerings/0/language"),
    ("OK-6", _with(title={}), "/title"),
    ("has space", _with(), "/code"),
    ("x" * 129, _with(), "/code"),
])
async def test_bad_documents_get_422_with_pointers(client, ucll, session_factory, code, doc, pointer) -> None:  # type: ignore[no-untyped-def]
    r = await client.put(f"/api/v1/institutions/ucll/courses/{code}", json=doc, headers=ucll)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    pointers = [e["pointer"] for e in r.json()["errors"]]
    assert any(p.startswith(pointer) for p in pointers), pointers
    assert await course_count(session_factory, code) == 0


async def test_malformed_json_and_unknown_institution(client, make_key) -> None:  # type: ignore[no-untyped-def]
    admin = bearer(await make_key("kuleuven", "admin"))
    r = await client.put("/api/v1/institutions/ucll/courses/X", content=b'{"type": "oth',
                         headers={**admin, "content-type": "application/json"})
    assert r.status_code == 400
    r = await client.put("/api/v1/institutions/harvard/courses/X",
                         json=example("course-minimal.json"), headers=admin)
    assert r.status_code == 404
    r = await client.put("/api/v1/institutions/ucll/courses/X",
                         content=b'{"type": "other", "type": "module", "title": {"nl": "x"}}',
                         headers={**admin, "content-type": "application/json"})
    assert r.status_code == 400


async def test_big_batches_are_validated_in_a_worker_process(client, ucll) -> None:  # type: ignore[no-untyped-def]
    base = example("course-ucll-microcredential.json")
    docs = [{**base, "code": f"BIG-{i:04d}"} for i in range(200)]
    docs[7]["ects"] = -1
    body = "\n".join(json.dumps(d) for d in docs).encode()
    assert len(body) > 256 * 1024  # above the offload threshold
    r = await client.post("/api/v1/institutions/ucll/courses/batch", content=body,
                          headers={**ucll, "content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    result = r.json()
    assert (result["created"], result["invalid"]) == (199, 1)
    assert result["items"][7]["errors"][0]["pointer"] == "/ects"
    got = await client.get("/api/v1/institutions/ucll/courses/BIG-0199", headers=ucll)
    assert len(got.json()["offerings"]) == 2
