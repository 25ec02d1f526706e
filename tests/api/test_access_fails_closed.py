"""The partner access rule fails closed (issue #13, Low): on a route without ``{slug}`` no
key acts, instead of every partner's key."""

from __future__ import annotations

from litestar import get
from litestar.params import FromPath

from api.access import access, partner
from api.app import create_app
from tests.client import AppClient
from tests.conftest import bearer


@get("/api/v1/probe-without-slug", opt=access(partner("publish")))
async def no_slug() -> dict[str, bool]:
    return {"reached": True}


@get("/api/v1/institutions/{slug:str}/probe", opt=access(partner("publish")))
async def with_slug(slug: FromPath[str]) -> dict[str, bool]:
    return {"reached": True}


async def test_a_partner_route_without_slug_refuses_every_key(settings, session_factory, make_key) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings, session_factory=session_factory,
                     extra_handlers=[no_slug, with_slug])
    ucll = bearer(await make_key("ucll", "publish"))
    admin = bearer(await make_key("kuleuven", "publish,admin"))
    async with AppClient(app) as c:
        for key in (ucll, admin):
            r = await c.get("/api/v1/probe-without-slug", headers=key)
            assert r.status_code == 403 and "names no institution" in r.json()["detail"]
        assert (await c.get("/api/v1/probe-without-slug")).status_code == 401
        assert (await c.get("/api/v1/institutions/ucll/probe", headers=ucll)).status_code == 200
        assert (await c.get("/api/v1/institutions/vives/probe", headers=ucll)).status_code == 403
