"""Bad input across every endpoint family: a clear 4xx problem document or correct handling,
never a 5xx, and the database exactly as it was after a rejected write.

A family is one endpoint and how text reaches it (a JSON body, a path segment or a query
parameter); each case is sent to every family it applies to. A family whose route is not
in the app yet is skipped, so adding one is one entry in ``FAMILIES``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import text

from api.openapi import operations
from tests.conftest import bearer

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
PROBLEM = "application/problem+json"
MIB = 1024 * 1024
EMOJI_RTL = "Leren 🎓👩🏽‍🏫 مرحبا بالعالم שלום \u202eטקסט\u202c עברית"
SQL = "'; DROP TABLE course; -- \" OR 1=1 /* %_ \\ ' & | ! <-> :* ( ) <2>"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def course() -> dict[str, Any]:
    doc = example("course-minimal.json")
    doc.pop("code", None)
    return doc


def set_title(doc: Any, value: str) -> Any:
    target = doc[0] if isinstance(doc, list) else doc
    target["title"] = {"en": value}
    return doc


def issuance() -> dict[str, Any]:
    return example("microcredential-request.json")


@dataclass(frozen=True)
class Family:
    name: str
    method: str
    route: str  # as in the app's route table
    path: str  # concrete; "{value}" is where a path case goes
    scope: str | None = None  # the key scope it needs (a UCLL key)
    body: Callable[[], Any] | None = None  # a valid JSON body
    text: Callable[[Any, str], Any] | None = None  # put a string where the body holds text
    query: str | None = None  # the query parameter that carries text
    value: str = "X-1"  # a valid path value
    read_back: str | None = None  # GET path returning the stored title
    round_trip: bool = False  # valid text must be stored and given back exactly
    handles: frozenset[str] = field(default_factory=frozenset)  # cases answered with 2xx


FAMILIES = [
    Family("institution", "GET", "/api/v1/institutions/{slug}", "/api/v1/institutions/{value}",
           value="ucll"),
    Family("course-put", "PUT", "/api/v1/institutions/{slug}/courses/{code}",
           "/api/v1/institutions/ucll/courses/{value}", "publish", course, set_title,
           read_back="/api/v1/institutions/ucll/courses/X-1", round_trip=True),
    Family("course-batch", "POST", "/api/v1/institutions/{slug}/courses/batch",
           "/api/v1/institutions/ucll/courses/batch?atomic=true", "publish",
           lambda: [{**course(), "code": "X-1"}], set_title,
           read_back="/api/v1/institutions/ucll/courses/X-1", round_trip=True),
    Family("course-delete", "DELETE", "/api/v1/institutions/{slug}/courses/{code}",
           "/api/v1/institutions/ucll/courses/{value}", "publish"),
    Family("source-put", "PUT", "/api/v1/institutions/{slug}/sources/{name}",
           "/api/v1/institutions/ucll/sources/{value}", "publish",
           lambda: {"type": "json", "location": "https://feeds.example.org/ucll.json"},
           lambda doc, s: {**doc, "location": "https://feeds.example.org/" + s}, value="feed"),
    Family("search", "GET", "/api/v1/courses", "/api/v1/courses", query="q"),
    Family("suggest", "GET", "/api/v1/suggest", "/api/v1/suggest", query="q"),
    Family("ooapi-courses", "GET", "/ooapi/v5/courses", "/ooapi/v5/courses", query="q"),
    Family("ooapi-course", "GET", "/ooapi/v5/courses/{courseId}", "/ooapi/v5/courses/{value}",
           value="3fa85f64-5717-4562-b3fc-2c963f66afa6"),
    Family("issue", "POST", "/api/v1/institutions/{slug}/credentials",
           "/api/v1/institutions/ucll/credentials", "issue", issuance,
           lambda doc, s: {**doc, "learner": {**doc["learner"], "name": s}}, round_trip=True),
    Family("issue-batch", "POST", "/api/v1/institutions/{slug}/credentials/batch",
           "/api/v1/institutions/ucll/credentials/batch", "issue", lambda: [issuance()],
           lambda doc, s: [{**doc[0], "learner": {**doc[0]["learner"], "name": s}}],
           handles=frozenset({"long string"})),  # reported per item, as batches do
    Family("revoke", "POST", "/api/v1/institutions/{slug}/credentials/{id}/revoke",
           "/api/v1/institutions/ucll/credentials/{value}/revoke", "issue",
           lambda: {"reason": "issued in error"}, lambda doc, s: {"reason": s},
           value="3fa85f64-5717-4562-b3fc-2c963f66afa6"),
    Family("verify", "POST", "/api/v1/verify", "/api/v1/verify", None, issuance,
           lambda doc, s: {**doc, "name": s},
           handles=frozenset({"long string", "emoji and RTL", "SQL metacharacters"})),
    Family("learner-token", "POST", "/api/v1/institutions/{slug}/learners/tokens",
           "/api/v1/institutions/ucll/learners/tokens", "issue",
           lambda: {"email": "an@example.org"}, lambda doc, s: {"email": s + "@example.org"}),
    Family("pathway", "POST", "/api/v1/institutions/{slug}/pathways",
           "/api/v1/institutions/ucll/pathways", "issue", lambda: example("pathway.json"),
           lambda doc, s: {**doc, "title": {"en": s}}),
]


@dataclass(frozen=True)
class Sent:
    path: str
    content: bytes | None = None
    content_type: str = "application/json"
    params: dict[str, str] | None = None


def _json(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


def duplicate_first_key(body: Any) -> bytes:
    """The body with its (first item's) first member repeated: ``{"type": .., "type": null}``."""
    doc = body[0] if isinstance(body, list) else body
    raw = _json(doc)[:-1] + b', "' + next(iter(doc)).encode() + b'": null}'
    return b"[" + raw + b"]" if isinstance(body, list) else raw


def nested(depth: int) -> bytes:
    return b'{"title":' + b"[" * depth + b"]" * depth + b"}"


# name -> how to build the request from a family (None: not applicable to it).
BODY_CASES: dict[str, Callable[[Family], Sent | None]] = {
    "truncated JSON": lambda f: Sent(_path(f), _json(f.body())[: len(_json(f.body())) // 2]),
    "form instead of JSON": lambda f: Sent(_path(f), b"type=module&title=x",
                                           "application/x-www-form-urlencoded"),
    "XML instead of JSON": lambda f: Sent(_path(f), b"<course><title>x</title></course>",
                                          "application/xml"),
    "deeply nested JSON": lambda f: Sent(_path(f), nested(100_000)),
    "NUL escape": lambda f: Sent(_path(f), _json(f.text(f.body(), "a\u0000b"))) if f.text else None,
    "raw NUL byte": lambda f: Sent(_path(f), _json(f.body())[:-1] + b"\x00}"),
    "invalid UTF-8": lambda f: Sent(_path(f), _json(f.text(f.body(), "@@")).replace(
        b"@@", b"\xff\xfe\xc3\x28")) if f.text else None,
    "lone surrogate": lambda f: Sent(_path(f), _json(f.text(f.body(), "@@")).replace(
        b"@@", b"\\ud83d")) if f.text else None,
    "long string": lambda f: Sent(_path(f), _json(f.text(f.body(), "x" * MIB))) if f.text else None,
    "duplicate keys": lambda f: Sent(_path(f), duplicate_first_key(f.body())),
}
TEXT_CASES: dict[str, str] = {"emoji and RTL": EMOJI_RTL, "SQL metacharacters": SQL,
                              "emoji and fullwidth": "Ｃｏｕｒｓｅ 🎓 ＡＢＣ"}
QUERY_CASES: dict[str, str] = {
    "NUL in query": "a\x00b", "long query": "x" * 30_000, "emoji and RTL": EMOJI_RTL,
    "SQL metacharacters": SQL, "tsquery operators": "!(a & b) | c <-> d:* & 'e",
}
INVALID_UTF8_QUERY = "%FF%FE%C3%28"
TRAVERSALS = ["..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%252F..%252Fetc",
              "..%5C..%5Cwindows%5Cwin.ini", "....%2F%2F....%2F%2Fetc", "%00", "%C0%AE%C0%AE%2F"]


def _path(f: Family, value: str | None = None) -> str:
    return f.path.replace("{value}", value or f.value)


def cases() -> list[tuple[Family, str, Any]]:
    found: list[tuple[Family, str, Any]] = []
    for f in FAMILIES:
        if f.body is not None:
            found += [(f, name, build) for name, build in BODY_CASES.items()]
            if f.round_trip:
                found += [(f, name, value) for name, value in TEXT_CASES.items()]
        if f.query is not None:
            found += [(f, name, value) for name, value in QUERY_CASES.items()]
            found.append((f, "invalid UTF-8 in query", INVALID_UTF8_QUERY))
        if "{value}" in f.path:
            found += [(f, f"path traversal {t}", t) for t in TRAVERSALS]
    return found


@pytest.fixture
async def keys(make_key) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    return {"publish": bearer(await make_key("ucll", "publish")),
            "issue": bearer(await make_key("ucll", "publish,issue"))}


@pytest.fixture
async def prepared(client, keys) -> None:  # type: ignore[no-untyped-def]
    """UCLL's MC-TOETS, which the example issuance request names, is published."""
    doc = example("course-ucll-microcredential.json")
    doc.pop("code")
    r = await client.put("/api/v1/institutions/ucll/courses/MC-TOETS", json=doc,
                         headers=keys["publish"])
    assert r.status_code in (200, 201), r.text


async def snapshot(session_factory) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    """Row count and checksum of every table (new tables are covered without a change here)."""
    async with session_factory() as s:
        tables = (await s.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY 1"))).all()
        out = {}
        for table in tables:
            row = (await s.execute(text(
                "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                f'FROM "{table}" t'))).one()
            out[table] = (int(row[0]), str(row[1]))
        return out


def assert_problem(response: Any, *allowed: int) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if allowed:
        assert response.status_code in allowed, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert int(body["status"]) == response.status_code and body["detail"]


EXPECTED: dict[str, tuple[int, ...]] = {
    "truncated JSON": (400,), "deeply nested JSON": (400, 422), "raw NUL byte": (400,),
    "invalid UTF-8": (400,), "lone surrogate": (400, 422), "duplicate keys": (400, 422),
    "form instead of JSON": (400, 415), "XML instead of JSON": (400, 415),
    "NUL escape": (400, 422), "long string": (400, 413, 422),
}


def route_exists(app: Litestar, family: Family) -> bool:
    return any(o.method == family.method and o.path == family.route for o in operations(app))


def params() -> list[Any]:
    return [pytest.param(f, c, spec, id=f"{f.name}-{c}") for f, c, spec in cases()]


@pytest.mark.parametrize(("family", "case", "spec"), params())
async def test_bad_input(app, client, keys, prepared, session_factory,  # type: ignore[no-untyped-def]
                         family: Family, case: str, spec: Any) -> None:
    if not route_exists(app, family):
        pytest.skip(f"{family.method} {family.route} is not in the app yet")
    headers = keys[family.scope] if family.scope else {}
    before = await snapshot(session_factory)
    if callable(spec):
        sent = spec(family)
        if sent is None:
            pytest.skip("not applicable")
        response = await client.request(family.method, sent.path, content=sent.content,
                                        headers={**headers, "Content-Type": sent.content_type})
        if case in family.handles:
            assert response.status_code < 500, response.text[:300]
        else:
            assert_problem(response, *EXPECTED[case])
    elif case.startswith("path traversal"):
        response = await client.request(family.method, _path(family, spec), headers=headers,
                                        **_body_kwargs(family))
        assert_problem(response, 400, 404, 422)
    elif family.query is not None:
        query = spec if case == "invalid UTF-8 in query" else _quote(spec)
        response = await client.get(f"{family.path}?{family.query}={query}", headers=headers)
        assert response.status_code < 500, response.text[:300]
        if response.status_code >= 400:
            assert_problem(response)
    else:  # text a write must store and give back exactly
        await _round_trip(client, family, headers, spec)
        return
    if response.status_code >= 400 or family.method == "GET":
        assert await snapshot(session_factory) == before


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _body_kwargs(family: Family) -> dict[str, Any]:
    return {"json": family.body()} if family.body is not None else {}


async def _round_trip(client, family: Family, headers, value: str) -> None:  # type: ignore[no-untyped-def]
    assert family.text is not None and family.body is not None
    doc = family.text(family.body(), value)
    response = await client.request(family.method, _path(family), json=doc, headers=headers)
    assert response.status_code < 300, response.text[:300]
    if family.read_back:
        stored = (await client.get(family.read_back, headers=headers)).json()
        assert stored["title"]["en"] == value
    else:  # a credential: signed over exactly the text sent
        assert value in strings(response.json())


def strings(node: Any) -> set[str]:
    if isinstance(node, dict):
        return {s for v in node.values() for s in strings(v)}
    if isinstance(node, list):
        return {s for v in node for s in strings(v)}
    return {node} if isinstance(node, str) else set()


@pytest.mark.parametrize("body", [
    pytest.param({"type": "json", "location": "http://["}, id="unparseable URL"),
    pytest.param({"type": "json", "location": "https://a.example", "interval_minutes": 2**31},
                 id="interval beyond int32"),
])
async def test_harvest_source_out_of_range(client, keys, session_factory,  # type: ignore[no-untyped-def]
                                           body: dict[str, Any]) -> None:
    before = await snapshot(session_factory)
    response = await client.put("/api/v1/institutions/ucll/sources/feed", json=body,
                                headers=keys["publish"])
    assert_problem(response, 422)
    assert await snapshot(session_factory) == before


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("family", [f for f in FAMILIES if f.body is not None],
                         ids=[f.name for f in FAMILIES if f.body is not None])
async def test_a_50_mib_body_is_refused_without_reading_it(  # type: ignore[no-untyped-def]
        app, client, keys, prepared, session_factory, family: Family, declared: bool) -> None:
    if not route_exists(app, family):
        pytest.skip(f"{family.method} {family.route} is not in the app yet")
    limit = app.state.settings.max_body_bytes
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(50):
            pulled += MIB
            yield b" " * MIB

    headers = {**(keys[family.scope] if family.scope else {}), "Content-Type": "application/json"}
    if declared:
        headers["Content-Length"] = str(50 * MIB)
    before = await snapshot(session_factory)
    response = await client.request(family.method, _path(family), content=body(),
                                    headers=headers)
    assert_problem(response, 413)
    # Refused on the declared length before any of it is read, or as soon as it passes the
    # limit when the length is not declared.
    assert pulled <= (MIB if declared else limit + MIB)
    assert await snapshot(session_factory) == before


async def test_big_batches_fail_cleanly_in_the_worker_pool(  # type: ignore[no-untyped-def]
        client, keys, session_factory) -> None:
    """Bodies over OFFLOAD_BYTES are parsed in worker processes: their errors come back as
    problem documents, and the pool keeps serving after them."""
    from api.routes.catalogue import OFFLOAD_BYTES

    item = {"code": "000", "title": {"en": "000"}, "type": "other"}
    too_many = _json([item] * 10_001)
    truncated = _json([{**item, "code": f"C-{i}"} for i in range(6_000)])
    assert len(too_many) > OFFLOAD_BYTES and len(truncated) > OFFLOAD_BYTES
    path = "/api/v1/institutions/ucll/courses/batch"
    before = await snapshot(session_factory)
    for body, status in ((too_many, 422), (truncated[:-10], 400), (too_many, 422)):
        response = await client.post(path, content=body, headers={
            **keys["publish"], "Content-Type": "application/json"})
        assert_problem(response, status)
    assert await snapshot(session_factory) == before
    response = await client.post(path, content=truncated, headers={
        **keys["publish"], "Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["created"] == 6_000, response.text[:300]


async def test_the_worker_pool_recovers_from_a_dead_worker() -> None:
    import os
    from concurrent.futures.process import BrokenProcessPool

    from api.jobs import CpuPool

    pool = CpuPool(workers=1)
    try:
        with pytest.raises(BrokenProcessPool):
            await pool.run(os._exit, 1)
        assert await pool.run(len, "abc") == 3
    finally:
        pool.shutdown()


@pytest.mark.parametrize("query", ["/api/v1/courses?ects_max=null",
                                   "/api/v1/courses?q=wond&microcredential=null",
                                   "/api/v1/courses?starts_after=null",
                                   "/ooapi/v5/courses/x/offerings?since=null"])
async def test_null_is_not_a_number_boolean_or_date(client, query: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(query)
    assert_problem(response, 422, 400)  # OOAPI answers every bad request with 400
    name = query.rsplit("?", 1)[1].split("&")[-1].split("=")[0]
    assert response.json()["errors"][0]["pointer"] == f"?{name}"  # #18: "?name"


async def test_null_is_a_word_to_search_for(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/api/v1/courses?q=null&ects_max=30")).status_code == 200
