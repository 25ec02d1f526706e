"""A learner token minted by one institution shows that institution's credentials only.

The attack (issue #13, High 4): a partner mints a token for any e-mail address and reads,
exports and shares what *other* partners issued to that address. Tokens also expire, can be
revoked by the learner and by the institution, and every mint is in the institution's log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import bearer
from tests.credentials import support
from tests.credentials.support import example, issue, request_body

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # the shared fixture, used by this module's tests

AN = {"email": "an.peeters@example.org", "name": "An Peeters"}


def tokens(slug: str) -> str:
    return f"/api/v1/institutions/{slug}/learners/tokens"


async def _vives(client, make_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """VIVES's key, after publishing a course of its own."""
    headers = bearer(await make_key("vives", "publish,issue"))
    course = example("course-ucll-microcredential.json")
    course.pop("code")
    course["joint_partners"] = []
    r = await client.put("/api/v1/institutions/vives/courses/MC-VIVES", json=course,
                         headers=headers)
    assert r.status_code in (200, 201), r.text
    return headers


async def _mint(client, headers, slug, email="an.peeters@example.org"):  # type: ignore[no-untyped-def]
    r = await client.post(tokens(slug), json={"email": email}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def test_a_partner_token_sees_only_that_partners_credentials(client, ucll, make_key) -> None:  # type: ignore[no-untyped-def]
    vives = await _vives(client, make_key)
    at_ucll = await issue(client, ucll, request_body(learner=AN))
    at_vives = await issue(client, vives, request_body(learner=AN, course="MC-VIVES"), slug="vives")
    assert at_ucll.status_code == 201 and at_vives.status_code == 201, at_vives.text
    ucll_id = at_ucll.json()["id"].rsplit("/", 1)[1]

    minted = await _mint(client, vives, "vives")  # VIVES asks for An's token ...
    assert minted["scope"] == {"institution": "vives"}
    token = bearer(minted["token"])
    page = (await client.get("/api/v1/me/credentials", headers=token)).json()
    assert page["scope"] == {"institution": "vives"}
    assert [c["institution"] for c in page["items"]] == ["vives"]  # ... and sees no UCLL one
    export = (await client.get("/api/v1/me/credentials/export", headers=token)).json()
    assert export["scope"] == {"institution": "vives"}
    assert at_ucll.json() not in export["credentials"] and at_vives.json() in export["credentials"]
    # nor can it publish a share link to UCLL's credential: it looks like a missing one
    r = await client.post(f"/api/v1/me/credentials/{ucll_id}/shares", headers=token)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    pathways = await client.get("/api/v1/me/pathways/", headers=token)
    assert pathways.status_code == 200 and pathways.json()["scope"] == {"institution": "vives"}

    # UCLL's own token for An sees UCLL's credential, and can share it
    mine = bearer((await _mint(client, ucll, "ucll"))["token"])
    page = (await client.get("/api/v1/me/credentials", headers=mine)).json()
    assert [c["id"] for c in page["items"]] == [ucll_id]
    r = await client.post(f"/api/v1/me/credentials/{ucll_id}/shares", headers=mine)
    assert r.status_code == 201 and r.json()["scope"] == {"institution": "ucll"}
    # a VIVES token cannot delete the link UCLL's token made
    share = r.json()["token"]
    assert (await client.delete(f"/api/v1/me/shares/{share}", headers=token)).status_code == 404
    assert (await client.get(f"/api/v1/shares/{share}")).status_code == 200


async def test_pathway_progress_counts_only_the_tokens_institution(client, ucll, make_key) -> None:  # type: ignore[no-untyped-def]
    """Progress shown through a VIVES token never reveals a UCLL credential, even on a
    pathway that names UCLL's course."""
    vives = await _vives(client, make_key)
    body = example("pathway.json")
    body.update(code="PG-UCLL", partners=["ucll"], rules={"course": "ucll/MC-TOETS"})
    for limit in ("min_total_ects", "min_grade"):
        body.pop(limit)
    r = await client.post("/api/v1/institutions/ucll/pathways", json=body, headers=ucll)
    assert r.status_code == 201, r.text
    r = await issue(client, ucll, request_body(learner=AN))
    assert r.status_code == 201, r.text
    ucll_token = bearer((await _mint(client, ucll, "ucll"))["token"])
    vives_token = bearer((await _mint(client, vives, "vives"))["token"])
    seen = (await client.get("/api/v1/me/pathways/", headers=ucll_token)).json()
    assert [p["code"] for p in seen["items"]] == ["PG-UCLL"] and seen["items"][0]["satisfied"]
    hidden = (await client.get("/api/v1/me/pathways/", headers=vives_token)).json()
    assert hidden["items"] == [] and hidden["scope"] == {"institution": "vives"}


async def test_tokens_expire_after_the_configured_hours(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    minted = await _mint(client, ucll, "ucll")
    expires = datetime.fromisoformat(minted["expires_at"])
    assert timedelta(hours=23) < expires - datetime.now(UTC) <= timedelta(hours=24)
    token = bearer(minted["token"])
    assert (await client.get("/api/v1/me/credentials", headers=token)).status_code == 200
    from sqlalchemy import text

    async with session_factory() as s:  # a day later
        await s.execute(text("UPDATE learner_token SET expires_at = now() - interval '1 second' "
                             "WHERE id = :i"), {"i": minted["id"]})
        await s.commit()
    r = await client.get("/api/v1/me/credentials", headers=token)
    assert r.status_code == 401 and "expired" in r.json()["detail"]


async def test_the_learner_signs_out(client, ucll) -> None:  # type: ignore[no-untyped-def]
    token = bearer((await _mint(client, ucll, "ucll"))["token"])
    assert (await client.delete("/api/v1/me/session", headers=token)).status_code == 204
    assert (await client.get("/api/v1/me/credentials", headers=token)).status_code == 401
    assert (await client.delete("/api/v1/me/session", headers=token)).status_code == 401


async def test_the_institution_revokes_and_reads_its_audit_log(client, ucll, make_key) -> None:  # type: ignore[no-untyped-def]
    vives = await _vives(client, make_key)
    first = await _mint(client, ucll, "ucll")
    second = await _mint(client, ucll, "ucll", "Bob@Example.org")
    other = await _mint(client, vives, "vives")
    # another partner can neither revoke UCLL's token nor read UCLL's log
    r = await client.delete(f"{tokens('ucll')}/{first['id']}", headers=vives)
    assert r.status_code == 403
    assert (await client.get(tokens("ucll"), headers=vives)).status_code == 403
    # nor revoke it through its own path
    r = await client.delete(f"{tokens('vives')}/{first['id']}", headers=vives)
    assert r.status_code == 404
    assert (await client.get("/api/v1/me/credentials", headers=bearer(first["token"]))).status_code == 200

    r = await client.delete(f"{tokens('ucll')}/{first['id']}", headers=ucll)
    assert r.status_code == 204
    assert (await client.get("/api/v1/me/credentials", headers=bearer(first["token"]))).status_code == 401
    assert (await client.delete(f"{tokens('ucll')}/{first['id']}", headers=ucll)).status_code == 204
    r = await client.delete(f"{tokens('ucll')}/not-a-uuid", headers=ucll)
    assert r.status_code == 404 and "UUIDs" in r.json()["detail"]

    log, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        r = await client.get(tokens("ucll"), params=params, headers=ucll)
        assert r.status_code == 200, r.text
        log += r.json()["items"]
        if not (cursor := r.json()["next_cursor"]):
            break
    assert [e["id"] for e in log] == [second["id"], first["id"]]  # newest first, UCLL's only
    assert other["id"] not in {e["id"] for e in log}
    revoked = log[1]
    assert revoked["state"] == "revoked" and revoked["revoked_by"].startswith("key:")
    assert revoked["minted_by"].startswith("key:") and revoked["email"] == "an.peeters@example.org"
    assert log[0]["state"] == "active" and log[0]["email"] == "bob@example.org"
    assert all("token" not in e for e in log)  # the log never shows a token
    r = await client.get(tokens("ucll"), params={"email": "BOB@example.org"}, headers=ucll)
    assert [e["id"] for e in r.json()["items"]] == [second["id"]]


async def test_the_audit_filter_takes_an_address(client, ucll) -> None:  # type: ignore[no-untyped-def]
    """``?email=false`` is not an address: refused, naming the parameter (schemathesis)."""
    await _mint(client, ucll, "ucll")
    r = await client.get(tokens("ucll"), params={"email": "false"}, headers=ucll)
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "email" in r.text
    r = await client.get(tokens("ucll"), params={"email": "An.Peeters@example.org"}, headers=ucll)
    assert r.status_code == 200, r.text
