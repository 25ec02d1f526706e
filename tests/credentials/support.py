"""Shared fixtures of the credential tests: the app with the registry's routes, a course, keys."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from api.app import create_app
from api.credentials import credential_handlers
from api.learners import resolve_learner
from tests.conftest import bearer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schemas" / "examples"
ISSUE = "/api/v1/institutions/{slug}/credentials"


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def request_body(**changes: Any) -> dict[str, Any]:
    """The example issuance request for UCLL's MC-TOETS, with ``changes`` applied."""
    body = copy.deepcopy(example("microcredential-request.json"))
    body.update(changes)
    return body


def with_registry(app: Litestar) -> Litestar:
    """Register the credential controllers unless ``create_app`` already does."""
    if "/api/v1/verify" not in {route.path for route in app.routes}:
        for handler in credential_handlers():
            app.register(handler)
    app.state.learner_resolver = resolve_learner
    return app


@pytest.fixture
def app(settings, session_factory) -> Litestar:  # type: ignore[no-untyped-def]
    return with_registry(create_app(settings, session_factory=session_factory))


@pytest.fixture
async def ucll(client, make_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """UCLL's issuing key, after publishing the course MC-TOETS (joint with VIVES)."""
    headers = bearer(await make_key("ucll", "publish,issue"))
    course = example("course-ucll-microcredential.json")
    course.pop("code")
    course["joint_partners"] = ["vives"]
    r = await client.put("/api/v1/institutions/ucll/courses/MC-TOETS", json=course, headers=headers)
    assert r.status_code in (200, 201), r.text
    return headers


async def committed_issuer(app, client) -> str:  # type: ignore[no-untyped-def]
    """On an app that commits: UCLL's publish+issue key, after publishing MC-TOETS."""
    from api.access import create_key

    async with app.state.session_factory() as s:
        _, key = await create_key(s, "ucll", ["publish", "issue"])
        await s.commit()
    course = example("course-ucll-microcredential.json")
    course.pop("code")
    r = await client.put("/api/v1/institutions/ucll/courses/MC-TOETS", json=course,
                         headers=bearer(key))
    assert r.status_code == 201, r.text
    return key


async def issue(client, headers, body=None, slug="ucll", **extra_headers):  # type: ignore[no-untyped-def]
    return await client.post(ISSUE.format(slug=slug), json=body or request_body(),
                             headers={**headers, **extra_headers})
