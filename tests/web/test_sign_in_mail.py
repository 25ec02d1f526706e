"""The sign-in link reaches the learner's mail server (a real SMTP server on loopback) and
signs them in; the link leaves the outbox once sent (issue #17)."""

from __future__ import annotations

from sqlalchemy import text

from tests.mail_support import inbox, sender  # noqa: F401  (the loopback SMTP server)
from tests.credentials import support
from tests.credentials.support import issue
from tests.forms import AN, ask_on_the_page, csrf_of, link_in

app = support.app  # the shared fixture, used by this module's tests
ucll = support.ucll  # UCLL's issuing key, after publishing MC-TOETS (a microcredential)


async def test_the_link_arrives_by_smtp_and_signs_in(  # type: ignore[no-untyped-def]
        client, ucll, settings, session_factory, inbox) -> None:  # noqa: F811
    box, url = inbox
    cid = (await issue(client, ucll)).json()["id"].rsplit("/", 1)[1]
    r = await ask_on_the_page(client, AN, **{"Accept-Language": "nl"})
    assert r.status_code == 202
    await ask_on_the_page(client, "nobody@example.org")
    while await sender(settings, session_factory, url).drain_once():
        pass
    signins = [(to, m) for to, m in box.messages if m["Subject"] == "Je aanmeldlink voor Academy"]
    assert [to for to, _ in signins] == [[AN]]  # the unknown address got nothing
    ((_, message),) = signins
    assert message["Content-Language"] == "nl"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "15 minuten" in plain and "in de browser waarin je hem vroeg" in plain
    token = link_in(plain)
    async with session_factory() as s:  # sent: the outbox keeps no usable link
        body = await s.scalar(text("SELECT body_text FROM mail_outbox WHERE kind = 'sign_in'"))
        assert token not in body

    csrf = await csrf_of(client, f"/me/sign-in/{token}")
    r = await client.post(f"/me/sign-in/{token}", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert r.status_code == 303
    r = await client.get("/me")
    assert r.status_code == 200 and f"/credentials/{cid}" in r.text
