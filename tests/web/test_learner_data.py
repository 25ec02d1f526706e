"""The learner's data (issue #17): one export of everything, and erasing what is theirs."""

from __future__ import annotations

import re

from sqlalchemy import text

from tests.conftest import bearer
from tests.credentials import support
from tests.credentials.support import issue
from tests.forms import AN, csrf_of, signed_in

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # UCLL's issuing key, after publishing MC-TOETS (a microcredential)

TOKENS = "/api/v1/institutions/{}/learners/tokens"


async def test_export_holds_everything_and_erasure_keeps_only_institutional_records(  # type: ignore[no-untyped-def]
        client, ucll, make_key, session_factory) -> None:
    issued = await issue(client, ucll)
    cid = issued.json()["id"].rsplit("/", 1)[1]
    ucll_token = (await client.post(TOKENS.format("ucll"), json={"email": AN},
                                    headers=ucll)).json()["token"]
    thomasmore = bearer(await make_key("thomasmore", "issue"))  # issued An nothing
    assert (await client.post(TOKENS.format("thomasmore"), json={"email": AN},
                              headers=thomasmore)).status_code == 201
    session = await signed_in(client, session_factory)
    csrf = {"X-CSRF-Token": await csrf_of(client)}
    share = (await client.post(f"/api/v1/me/credentials/{cid}/shares", headers=csrf)).json()
    assert share["url"] and share["scope"]["institution"] is None

    r = await client.get("/api/v1/me/export")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert issued.content in r.content  # the credential byte for byte
    data = r.json()
    assert data["learner"] == AN and len(data["credentials"]) == 1
    assert [s["url"] for s in data["shares"]] == [share["url"]]
    assert [s["state"] for s in data["sessions"]] == ["active"]
    assert len(data["sign_in_links"]) == 1 and data["sign_in_links"][0]["used_at"]
    assert [m["kind"] for m in data["notifications"]] == ["sign_in", "award"]  # newest first
    assert "body" not in str(data["notifications"]) and "sgn_" not in r.text  # no link in it
    assert sorted(t["institution"] for t in data["learner_tokens"]) == ["thomasmore", "ucll"]

    r = await client.delete("/api/v1/me", headers=csrf)
    assert r.status_code == 200, r.text
    erased = r.json()
    assert "institutions' records" in erased["detail"]
    assert erased["erased"] == {"share_links": 1, "sessions": 1, "sign_in_links": 1,
                                "sign_in_mails": 1, "learner_tokens_ended": 2,
                                "token_addresses": 1}
    assert erased["kept"] == {"credentials": 1, "award_mails": 1}
    assert 'academy_session=""' in r.headers["set-cookie"]

    assert (await client.get(share["url"].removeprefix("http://127.0.0.1:8000"))).status_code == 404
    client.cookies.set("academy_session", session)
    assert (await client.get("/api/v1/me/credentials")).status_code == 401
    client.cookies.clear()
    assert (await client.get("/api/v1/me/credentials", headers=bearer(ucll_token))).status_code \
        == 401  # the institutions' tokens were ended too
    assert (await client.get(f"/api/v1/credentials/{cid}", headers=ucll)).content == issued.content
    async with session_factory() as s:
        rows = dict(list(await s.execute(text(
            "SELECT i.slug, t.email FROM learner_token t JOIN institution i "
            "ON i.id = t.institution_id"))))
        assert rows == {"ucll": AN, "thomasmore": "erased"}  # UCLL's credential needs it
        kinds = (await s.execute(text("SELECT kind FROM mail_outbox WHERE recipient = :a"),
                                 {"a": AN})).scalars().all()
        assert kinds == ["award"]  # the record of the credential's mail stays


async def test_an_institution_token_erases_within_its_institution_only(  # type: ignore[no-untyped-def]
        client, ucll, session_factory) -> None:
    cid = (await issue(client, ucll)).json()["id"].rsplit("/", 1)[1]
    await signed_in(client, session_factory)
    token = bearer((await client.post(TOKENS.format("ucll"), json={"email": AN},
                                      headers=ucll)).json()["token"])
    made = await client.post(f"/api/v1/me/credentials/{cid}/shares", headers=token)
    assert made.status_code == 201
    export = (await client.get("/api/v1/me/export", headers=token)).json()
    assert export["scope"] == {"institution": "ucll"} and export["sessions"] == []
    r = await client.delete("/api/v1/me", headers=token)
    assert r.status_code == 200
    assert r.json()["erased"]["share_links"] == 1 and r.json()["erased"]["sessions"] == 0
    assert (await client.get("/api/v1/me/credentials")).status_code == 200  # the session lives


async def test_me_lists_credentials_page_by_page(client, ucll, session_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.credentials.support import ISSUE, request_body

    grades = [10 + i / 4 for i in range(21)]  # 21 credentials: a page of 20 and one more
    r = await client.post(ISSUE.format(slug="ucll") + "/batch",
                          json=[request_body(assessment={**request_body()["assessment"],
                                                         "grade": g}) for g in grades],
                          headers=ucll)
    assert r.status_code == 200 and all(i["status"] == "created" for i in r.json()["items"]), r.text
    await signed_in(client, session_factory)
    first = await client.get("/me")
    # #19: each card also links its JSON and PDF, so count the credentials' own links
    entry = re.compile(r'href="/credentials/[0-9a-f-]{36}"')
    assert first.status_code == 200 and len(entry.findall(first.text)) == 20
    more = re.search(r'<a class="more" href="(/me\?cursor=[^"]+)"', first.text)
    assert more, "no link to the next page"
    second = await client.get(more.group(1).replace("&amp;", "&"))
    assert len(entry.findall(second.text)) == 1 and 'class="more"' not in second.text
    shown = set(re.findall(r'href="/credentials/([0-9a-f-]{36})"', first.text + second.text))
    assert len(shown) == 21
    assert (await client.get("/me?cursor=nope")).status_code == 422  # the page says why
