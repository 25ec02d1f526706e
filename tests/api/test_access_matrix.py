"""The access matrix, generated from the route table: every route declares a rule, and holds it.

For each route and each kind of caller (no key, revoked key, each scope, own institution,
other institution, admin), the guard's answer is checked: 401 where no valid credential
is given, 403 where the credential is valid but not for this scope or institution, and
anything but 401/403 where access is due. An ``any_partner`` route takes a key of any
institution with the scope: the guard lets another institution's key through and the
handler decides (no resource named ``x-1`` exists, so it answers 404 here; the pathway
tests check the handler's 403). A route added without a rule fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from api.access import ADMIN, LEARNER, PUBLIC, WALLET, Rule, revoke_key
from tests.conftest import bearer

OPEN_PREFIXES = ("/schema",)


def routes(app: Litestar) -> list[tuple[str, str, Rule | None]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(OPEN_PREFIXES):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                found.append((method, route.path, handler.opt.get("access")))
    return found


def concrete(path: str, slug: str) -> str:
    path = path.replace("{slug:str}", slug)
    return re.sub(r"\{[^}]+\}", "x-1", path)


async def test_every_route_declares_an_access_rule(app: Litestar) -> None:
    missing = [(m, p) for m, p, rule in routes(app) if not isinstance(rule, Rule)]
    assert missing == []


@pytest.fixture
async def keys(make_key, session_factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    made = {
        "publish": await make_key("ucll", "publish"),
        "issue": await make_key("ucll", "issue"),
        "admin": await make_key("vives", "admin"),
        "revoked": await make_key("ucll", "publish,issue"),
    }
    async with session_factory() as s:
        await revoke_key(s, made["revoked"].split("_")[1])
        await s.commit()
    return made


async def call(client: Any, method: str, path: str, key: str | None) -> int:
    headers = bearer(key) if key else {}
    if method in ("POST", "PUT", "PATCH"):
        r = await client.request(method, path, json={}, headers=headers)
    else:
        r = await client.request(method, path, headers=headers)
    return r.status_code


async def test_access_matrix(app: Litestar, client, keys) -> None:  # type: ignore[no-untyped-def]
    problems = []
    for method, path, rule in routes(app):
        assert isinstance(rule, Rule)
        own, other = concrete(path, "ucll"), concrete(path, "thomasmore")
        if rule == PUBLIC:
            status = await call(client, method, own, None)
            # Issue #17: the pages' forms (/me...) refuse a post without its CSRF token (403).
            form = method == "POST" and path.startswith("/me")
            if (status != 403) if form else (status in (401, 403)):
                problems.append((method, path, "public", status))
            continue
        expectations: list[tuple[str, str, str | None, set[int] | None]] = [
            ("no key", own, None, {401}),
            ("revoked key", own, keys["revoked"], {401}),
        ]
        if rule == WALLET:  # only the wallet's OpenID4VCI access token, no partner key
            expectations.append(("partner key as access token", own, keys["admin"], {401}))
        elif rule == LEARNER:
            expectations.append(("partner key as learner", own, keys["admin"], {401}))
        elif rule == ADMIN:
            expectations += [("publish scope", own, keys["publish"], {403}),
                             ("admin", own, keys["admin"], None)]
        else:
            wrong = "issue" if rule.scope == "publish" else "publish"
            other_institution = None if rule.kind == "any_partner" else {403}
            expectations += [
                (f"{wrong} scope", own, keys[wrong], {403}),
                ("other institution", other, keys[rule.scope or "publish"], other_institution),
                ("own institution", own, keys[rule.scope or "publish"], None),
                ("admin of another institution", own, keys["admin"], None),
            ]
        for label, target, key, expected in expectations:
            status = await call(client, method, target, key)
            ok = status in expected if expected else status not in (401, 403)
            if not ok:
                problems.append((method, path, label, status))
    assert problems == []


async def test_learner_routes_hold_against_another_learners_token(app: Litestar, client, make_key) -> None:  # type: ignore[no-untyped-def]
    """The learner column of the matrix: every learner route, with the token of a learner who
    does not own the resource named in the path, finds nothing of the other learner's."""
    from tests.credentials.support import example, issue, request_body

    ucll = bearer(await make_key("ucll", "publish,issue"))
    course = example("course-ucll-microcredential.json")
    course.pop("code")
    await client.put("/api/v1/institutions/ucll/courses/MC-TOETS", json=course, headers=ucll)
    owned = (await issue(client, ucll, request_body(
        learner={"email": "owner@example.org", "name": "Owner"}))).json()
    owned_id = owned["id"].rsplit("/", 1)[-1]

    async def token(email: str) -> dict[str, str]:
        r = await client.post("/api/v1/institutions/ucll/learners/tokens", json={"email": email},
                              headers=ucll)
        return bearer(r.json()["token"])

    owner = await token("owner@example.org")
    share = (await client.post(f"/api/v1/me/credentials/{owned_id}/shares", headers=owner)).json()
    values = {"id": owned_id, "token": share["token"]}
    problems = []
    for method, path, rule in routes(app):
        if rule != LEARNER:
            continue
        target = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)
        other = await token("other@example.org")  # a fresh one: DELETE /me/session ends it
        r = await client.request(method, target, headers=other)
        if r.status_code in (401, 403):
            problems.append((method, path, "valid token refused", r.status_code))
        elif "{" in path and r.status_code < 400:
            problems.append((method, path, "another learner's resource reached", r.status_code))
        elif "{" not in path and owned_id in r.text:
            problems.append((method, path, "another learner's credential listed", r.status_code))
    assert problems == []
