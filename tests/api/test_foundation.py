"""The service foundation: operations endpoints, institutions, problem documents, access."""

from __future__ import annotations

import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.params import FromPath, JSONBody
from litestar.testing import AsyncTestClient

from tests.client import AppClient

from api.access import PUBLIC, access, partner
from api.app import create_app
from tests.conftest import bearer

PARTNERS = {"kuleuven", "luca", "odisee", "thomasmore", "ucll", "vives"}


async def test_health_and_ready(client: AsyncTestClient[Litestar]) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.headers["x-request-id"]


async def test_request_id_is_echoed_when_sane(client: AsyncTestClient[Litestar]) -> None:
    r = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/health", headers={"X-Request-ID": "bad id\twith tabs"})
    assert r.headers["x-request-id"] != "bad id\twith tabs"


async def test_six_partners_are_seeded(client: AsyncTestClient[Litestar]) -> None:
    body = (await client.get("/api/v1/institutions")).json()
    assert {i["slug"] for i in body["items"]} == PARTNERS
    assert all(i["country"] == "BE" and i["website"].startswith("https://") for i in body["items"])
    ucll = (await client.get("/api/v1/institutions/ucll")).json()
    assert ucll["short_name"] == "UCLL"


async def test_unknown_institution_is_a_problem(client: AsyncTestClient[Litestar]) -> None:
    r = await client.get("/api/v1/institutions/harvard")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert set(r.json()) >= {"type", "title", "status", "detail"}


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no/such/route", 404),
    ("DELETE", "/health", 405),
    ("POST", "/api/v1/institutions", 405),
])
async def test_routing_errors_are_problems(
    client: AsyncTestClient[Litestar], method: str, path: str, status: int
) -> None:
    r = await client.request(method, path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["detail"]


async def test_openapi_31_document_and_ui(client: AsyncTestClient[Litestar]) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/institutions" in doc["paths"]
    assert (await client.get("/schema")).status_code == 200


class Probe(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    count: int


@post("/test/{slug:str}/issue", opt=access(partner("issue")))
async def issue_probe(slug: FromPath[str], data: JSONBody[Probe]) -> dict[str, str]:
    return {"ok": slug}


@get("/test/{slug:str}/publish", opt=access(partner("publish")))
async def publish_probe(slug: FromPath[str]) -> dict[str, str]:
    return {"ok": slug}


@get("/test/boom", opt=access(PUBLIC))
async def boom() -> None:
    raise RuntimeError("secret internals: password=hunter2")


@get("/test/undeclared")
async def undeclared() -> None:
    return None


@pytest.fixture
async def probe_client(settings, session_factory):  # type: ignore[no-untyped-def]
    app = create_app(settings, session_factory=session_factory,
                     extra_handlers=[issue_probe, publish_probe, boom, undeclared])
    async with AppClient(app) as c:
        yield c


async def test_access_matrix(probe_client: AsyncTestClient[Litestar], make_key) -> None:  # type: ignore[no-untyped-def]
    from api.access import revoke_key

    ucll_publish = await make_key("ucll", "publish")
    ucll_issue = await make_key("ucll", "issue")
    admin = await make_key("kuleuven", "admin")
    body = {"name": "x", "count": 1}

    r = await probe_client.post("/test/ucll/issue", json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = await probe_client.post("/test/ucll/issue", json=body, headers=bearer("acad_nope_nope"))
    assert r.status_code == 401
    r = await probe_client.post("/test/ucll/issue", json=body, headers=bearer(ucll_publish))
    assert r.status_code == 403 and "issue" in r.json()["detail"]
    r = await probe_client.post("/test/vives/issue", json=body, headers=bearer(ucll_issue))
    assert r.status_code == 403 and "vives" in r.json()["detail"]
    assert (await probe_client.post("/test/ucll/issue", json=body,
                                    headers=bearer(ucll_issue))).status_code == 201
    assert (await probe_client.post("/test/vives/issue", json=body,
                                    headers=bearer(admin))).status_code == 201
    assert (await probe_client.get("/test/vives/publish", headers=bearer(admin))).status_code == 200
    for r in [await probe_client.post("/test/ucll/issue", json=body)]:
        assert r.headers["content-type"].startswith("application/problem+json")


async def test_revoked_key_is_401(probe_client, make_key, session_factory) -> None:  # type: ignore[no-untyped-def]
    from api.access import revoke_key

    key = await make_key("ucll", "publish")
    assert (await probe_client.get("/test/ucll/publish", headers=bearer(key))).status_code == 200
    async with session_factory() as s:
        await revoke_key(s, key.split("_")[1])
        await s.commit()
    assert (await probe_client.get("/test/ucll/publish", headers=bearer(key))).status_code == 401


async def test_validation_errors_carry_pointers(probe_client, make_key) -> None:  # type: ignore[no-untyped-def]
    key = await make_key("ucll", "issue")
    r = await probe_client.post("/test/ucll/issue", json={"name": "x", "count": "many"},
                                headers=bearer(key))
    assert r.status_code in (400, 422)
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any(e["pointer"] == "/count" for e in body["errors"]), body


async def test_malformed_json_is_400(probe_client, make_key) -> None:  # type: ignore[no-untyped-def]
    key = await make_key("ucll", "issue")
    r = await probe_client.post("/test/ucll/issue", content=b'{"name": "x", "cou',
                                headers={**bearer(key), "content-type": "application/json"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_oversized_body_is_413(settings, session_factory, make_key) -> None:  # type: ignore[no-untyped-def]
    small = msgspec.structs.replace(settings, max_body_bytes=1024)
    app = create_app(small, session_factory=session_factory, extra_handlers=[issue_probe])
    key = await make_key("ucll", "issue")
    async with AppClient(app) as c:
        r = await c.post("/test/ucll/issue", json={"name": "x" * 5000, "count": 1}, headers=bearer(key))
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_500_never_leaks(probe_client: AsyncTestClient[Litestar]) -> None:
    r = await probe_client.get("/test/boom")
    assert r.status_code == 500
    assert "hunter2" not in r.text and "Traceback" not in r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_route_without_access_rule_is_refused(probe_client: AsyncTestClient[Litestar]) -> None:
    assert (await probe_client.get("/test/undeclared")).status_code == 403
