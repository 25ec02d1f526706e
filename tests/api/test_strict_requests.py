"""Strict requests, clear answers (#18): wrong content types, unknown or unreadable query
parameters, OOAPI's own problem shape, and problem `type` URLs that resolve to a page."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from api.errors import problem_slug
from api.routes.problems import known_problems
from catalogue.errors import DomainError
from tests.conftest import bearer

ROOT = Path(__file__).resolve().parents[2]
COURSES = "/api/v1/institutions/ucll/courses"
COURSE = json.loads((ROOT / "schemas/examples/course-ucll-microcredential.json").read_text())


def problem(r, status: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind, body", [
    ("application/xml", b"<course><code>X</code></course>"),
    ("multipart/form-data; boundary=b", b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--"),
    ("text/plain", json.dumps(COURSE).encode()),
    ("application/x-www-form-urlencoded", b"code=X"),
])
async def test_a_body_of_the_wrong_type_is_a_415_naming_the_accepted_ones(
        client, make_key, kind: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    key = bearer(await make_key("ucll", "publish,issue"))
    r = await client.put(f"{COURSES}/MC-WONDZORG", content=body,
                         headers={**key, "content-type": kind})
    doc = problem(r, 415)
    assert "application/json" in doc["detail"] and kind.split(";")[0] in doc["detail"]
    assert r.headers["accept-put"] == "application/json"
    r = await client.post(f"{COURSES}/batch", content=body, headers={**key, "content-type": kind})
    assert "application/x-ndjson" in problem(r, 415)["detail"]
    r = await client.post("/api/v1/verify", content=body, headers={"content-type": kind})
    problem(r, 415)
    # nothing was written
    assert (await client.get(f"{COURSES}/MC-WONDZORG", headers=key)).status_code == 404


async def test_json_types_and_bodiless_posts_still_pass(client, make_key) -> None:  # type: ignore[no-untyped-def]
    key = bearer(await make_key("ucll", "publish,issue"))
    r = await client.put(f"{COURSES}/MC-WONDZORG", content=json.dumps(COURSE),
                         headers={**key, "content-type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text
    r = await client.post("/api/v1/verify", content=b"{}",
                          headers={"content-type": "application/ld+json"})
    assert r.status_code != 415
    r = await client.post("/api/v1/institutions/ucll/pathways/NOPE/approve", headers=key)
    assert r.status_code == 404  # no body, no content type: the route decides


async def test_ndjson_sent_as_json_gets_a_hint(client, make_key) -> None:  # type: ignore[no-untyped-def]
    key = bearer(await make_key("ucll", "publish"))
    ndjson = "\n".join(json.dumps({**COURSE, "code": f"C-{i}"}) for i in range(3))
    r = await client.post(f"{COURSES}/batch", content=ndjson,
                          headers={**key, "content-type": "application/json"})
    assert "application/x-ndjson" in json.dumps(problem(r, 400))
    r = await client.post(f"{COURSES}/batch", content=ndjson,
                          headers={**key, "content-type": "application/x-ndjson"})
    assert r.status_code == 200 and r.json()["created"] == 3, r.text


@pytest.mark.parametrize("query, name", [("instituton=ucll", "instituton"), ("page=2", "page"),
                                         ("q=zorg&sort_by=date", "sort_by")])
async def test_an_unknown_query_parameter_is_named_with_the_known_ones(
        client, query: str, name: str) -> None:  # type: ignore[no-untyped-def]
    doc = problem(await client.get(f"/api/v1/courses?{query}"), 400)
    assert doc["title"] == "Unknown query parameter"
    assert doc["errors"] == [{"pointer": f"?{name}", "message": doc["errors"][0]["message"]}]
    for known in ("institution", "language", "limit", "cursor", "q"):
        assert known in doc["errors"][0]["message"]


async def test_a_page_an_api_route_renders_keeps_its_language_parameter(client, make_key) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/api/v1/shares/shr_unknown?lang=nl", headers={"Accept": "text/html"})
    assert r.status_code == 404  # the page's own answer, not a 400 for ?lang
    assert (await client.get("/api/v1/shares/shr_unknown?lang=nl&x=1")).status_code == 400


async def test_ooapi_routes_follow_their_spec_on_unknown_parameters(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/ooapi/v5/courses?utm_source=newsletter")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("query, pointer, says", [
    ("microcredential=maybe", "?microcredential", "true or false"),
    ("ects_max=lots", "?ects_max", "number"),
    ("starts_after=2026-13-01", "?starts_after", "YYYY-MM-DD"),
    ("limit=0", "?limit", "between 1 and"),
    ("sort=random", "?sort", "one of"),
])
async def test_a_parameter_error_speaks_our_words(client, query: str, pointer: str, says: str) -> None:  # type: ignore[no-untyped-def]
    doc = problem(await client.get(f"/api/v1/courses?{query}"), 400)
    text = json.dumps(doc)
    assert doc["errors"][0]["pointer"] == pointer and says in doc["errors"][0]["message"], text
    for leak in ("ParamType", "Expected `", "null`", "msgspec", "Validation failed for"):
        assert leak not in text


async def test_ooapi_errors_use_its_problem_shape(client) -> None:  # type: ignore[no-untyped-def]
    for path, status in (("/ooapi/v5/programs", 404), ("/ooapi/v5/courses/nope", 404),
                         ("/ooapi/v5/courses?pageSize=0", 400)):
        doc = problem(await client.get(path), status)
        assert doc["status"] == str(status), path
    assert problem(await client.get("/api/v1/nope"), 404)["status"] == 404


async def test_every_problem_type_url_resolves_to_a_page(client, make_key) -> None:  # type: ignore[no-untyped-def]
    key = bearer(await make_key("ucll", "publish"))
    answers = [
        await client.get("/api/v1/nope"),
        await client.get("/api/v1/courses?instituton=ucll"),
        await client.get("/api/v1/courses?limit=0"),
        await client.delete("/api/v1/institutions"),
        await client.get(COURSES),
        await client.put(f"{COURSES}/X", content=b"{", headers={**key, "content-type": "application/json"}),
        await client.put(f"{COURSES}/X", content=b"<x/>", headers={**key, "content-type": "text/xml"}),
        await client.put(f"{COURSES}/X", json={"title": 1}, headers=key),
        await client.put(f"{COURSES}/X", json=COURSE, headers={**key, "If-Match": '"x"'}),
    ]
    for answer in answers:
        type_url = answer.json()["type"]
        parts = urlsplit(type_url)
        assert parts.scheme in ("http", "https") and parts.path.startswith("/problems/"), type_url
        page = await client.get(parts.path)
        assert page.status_code == 200, type_url
        assert page.headers["content-type"].startswith("text/html")
        assert answer.json()["title"].lower() in page.text.lower()
    assert (await client.get("/problems/no-such-thing")).status_code == 404


def _titles_in_code() -> set[str]:
    """Every literal title given to a problem or a domain error in the code."""
    titles = set()
    for package in ("api", "catalogue", "credentials"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.keyword) and node.arg == "title":
                    value = node.value
                elif isinstance(node, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "title" for t in node.targets):
                    value = node.value  # a domain error's class attribute
                else:
                    continue
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    titles.add(value.value)
    return titles - {"", "Academy: catalogue and microcredential registry"}


def test_every_title_the_code_can_answer_with_has_a_page() -> None:
    known = known_problems()
    subclasses, pending = [], list(DomainError.__subclasses__())
    while pending:
        subclasses.append(pending.pop())
        pending.extend(subclasses[-1].__subclasses__())
    titles = _titles_in_code() | {k.title for k in subclasses if getattr(k, "title", "")}
    missing = sorted(t for t in titles if problem_slug(t) not in known)
    assert not missing, missing
