"""Shared fixtures of the credential tests: the app with the registry's routes, a course, keys."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy import text

from api.app import create_app
from api.routes.credentials import credential_handlers
from api.routes.learners import resolve_learner
from tests.client import AppClient
from tests.conftest import bearer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schemas" / "examples"
ISSUE = "/api/v1/institutions/{slug}/credentials"

LETTER = {"type": "letter", "values": ["E", "D", "C", "B", "A"], "pass": "C"}
VARIANTS = [
    {},
    {"assessment": {"type": "testing"}, "stackability": "standalone"},
    {"assessment": {"type": "project", "grade": "B", "grade_scale": LETTER,
                    "description": {"en": "A team project", "nl": "Een teamproject"}}},
    {"assessment": {"type": "portfolio", "grade": 17.5,
                    "grade_scale": {"type": "numeric", "min": 0, "max": 20, "pass": 10}},
     "ects": 2.5, "eqf_level": None, "valid_until": "2030-12-31"},
    {"prerequisites": "None", "further_information": {"en": "See https://www.ucll.be"},
     "identity_verification": False, "languages": ["en", "nl"],
     "title": {"en": "Micro-credential Wound Care in Home Nursing"}},  # one of the course's
    {"learner": {"email": "joëlle@example.be", "name": "Joëlle \"Jo\" D'Hondt\tvan Dam"},
     "quality_assurance": "NVAO \\ institutional review"},
]
"""Issuance requests of several shapes (grades, scales, languages, quoting)."""


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


async def as_legacy(app: Litestar, credential: dict[str, Any]) -> dict[str, Any]:
    """Turn a freshly issued credential into one as the registry issued them before the
    revocation lists: the context URL and a 2-bit ``message`` entry, signed by the same key,
    stored in its row. (Fixture data: the same bytes the earlier code wrote.)"""
    from api.state import keyring_of

    return await legacy_in(app.state.session_factory, keyring_of(app), credential)


async def legacy_in(session_factory, keyring, credential: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """``as_legacy`` on any database (e.g. a live server's) with that server's KeyRing."""
    from sqlalchemy import text

    from credentials.builder import LEGACY_CONTEXTS
    from credentials.builder import sign_checked
    from credentials.status import LEGACY_PURPOSE, allocate, list_url, release, status_entry

    credential_id = credential["id"].rsplit("/", 1)[1]
    async with session_factory() as session:
        institution_id, slug, list_id, index = (await session.execute(text(
            "SELECT c.institution_id, i.slug, c.status_list_id, c.status_index FROM credential c "
            "JOIN institution i ON i.id = c.institution_id WHERE c.id = :id"),
            {"id": credential_id})).one()
        (entry,) = await allocate(session, institution_id, LEGACY_PURPOSE, 1)
        unsigned = {k: v for k, v in credential.items() if k != "proof"}
        unsigned["@context"] = list(LEGACY_CONTEXTS)
        unsigned["credentialStatus"] = status_entry(
            list_url(keyring.base_url, slug, LEGACY_PURPOSE, entry[1]), entry[2], LEGACY_PURPOSE)
        key = await keyring.signing_key(session, institution_id, slug)
        proof = credential["proof"]
        proof = proof[0] if isinstance(proof, list) else proof
        document = sign_checked(unsigned, key, proof["created"])
        await session.execute(text(
            "UPDATE credential SET document = :d, status_list_id = :l, status_index = :x "
            "WHERE id = :id"), {"d": document, "l": entry[0], "x": entry[2], "id": credential_id})
        await release(session, [(list_id, 0, index)])
        await session.commit()
    return json.loads(document)


async def resign(app: Litestar, credential: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``credential`` with ``changes`` (top-level members), signed again by its issuer's key:
    documents the API no longer issues (dated in the future, already expired), to check
    what the verifier says of them."""
    from api.state import keyring_of
    from credentials.builder import proof_created, sign_checked

    keyring = keyring_of(app)
    slug = credential["issuer"]["id"].rsplit(":", 1)[1]
    unsigned = {k: v for k, v in credential.items() if k != "proof"} | changes
    async with app.state.session_factory() as session:
        institution_id = await session.scalar(
            text("SELECT id FROM institution WHERE slug = :s"), {"s": slug})
        key = await keyring.signing_key(session, institution_id, slug)
    return json.loads(sign_checked(unsigned, key, proof_created()))


async def issue_three_and_revoke_one(app) -> tuple[list[dict], str]:  # type: ignore[no-untyped-def,type-arg]
    """Three credentials issued through committing requests, the first revoked; and the key."""
    async with AppClient(app) as client:
        key = await committed_issuer(app, client)
        issued = []
        for n in range(3):
            body = request_body(learner={"email": f"learner{n}@example.org", "name": f"Learner {n}"})
            r = await client.post("/api/v1/institutions/ucll/credentials", json=body,
                                  headers=bearer(key))
            assert r.status_code == 201, r.text
            issued.append(r.json())
        revoked = issued[0]["id"].rsplit("/", 1)[-1]
        r = await client.post(f"/api/v1/institutions/ucll/credentials/{revoked}/revoke",
                              json={"reason": "issued in error"}, headers=bearer(key))
        assert r.status_code == 200, r.text
    return issued, key
