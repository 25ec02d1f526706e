"""The mail sender against a real SMTP server on loopback (aiosmtpd): what a learner's mail
server receives, retries while it is down, a permanent refusal, the .eml fallback, and
two senders sharing one outbox without sending anything twice."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
import ssl
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from api.mail import MailSender, parse_smtp_url
from tests.mail_support import FROM, Inbox, free_port, inbox, sender, smtp_server  # noqa: F401 (inbox: a fixture)
from credentials.notifications import queue_mail
from tests.credentials.support import (  # noqa: F401
    ISSUE,
    app,
    committed_issuer,
    issue,
    request_body,
    ucll,
)

NOTIFICATIONS = "/api/v1/institutions/ucll/notifications"


async def mails(client, headers, **params: Any) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    r = await client.get(NOTIFICATIONS, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_the_learners_mail_server_receives_the_award(  # type: ignore[no-untyped-def]
        client, ucll, settings, session_factory, inbox) -> None:  # noqa: F811
    box, url = inbox
    r = await issue(client, ucll)
    assert r.status_code == 201, r.text
    credential_id = r.json()["id"].rsplit("/", 1)[1]

    assert await sender(settings, session_factory, url).drain_once() == 1

    assert box.logins == [(b"mailer", b"s@cret")]  # the URL's credentials, %-decoded
    ((recipients, message),) = box.messages
    assert recipients == ["an.peeters@example.org"]
    assert message["To"] == "an.peeters@example.org"
    assert message["From"] == FROM
    assert message["Subject"] == ("Je behaalde “Microcredential Wondzorg in de thuisverpleging” "
                                  "bij UC Leuven-Limburg")
    assert message["Content-Language"] == "nl"
    assert message["Date"] and message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@academy.example>")
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    rich = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "http://127.0.0.1:8000/me" in plain
    assert f"http://127.0.0.1:8000/credentials/{credential_id}" in plain
    assert '<a href="http://127.0.0.1:8000/me">' in rich

    (row,) = await mails(client, ucll)
    assert row["state"] == "sent" and row["attempts"] == 1 and row["last_error"] is None
    assert row["message_id"] == message["Message-ID"] and row["sent_at"]
    assert row["next_attempt_at"] is None  # nothing more will happen to it
    assert await sender(settings, session_factory, url).drain_once() == 0  # sent once


async def test_smtp_down_the_issuance_stands_and_the_mail_fails_after_its_attempts(  # type: ignore[no-untyped-def]
        client, ucll, settings, session_factory) -> None:  # noqa: F811
    url = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    r = await issue(client, ucll)
    assert r.status_code == 201, r.text
    down = sender(settings, session_factory, url, mail_max_attempts=3, mail_retry_seconds=0)

    assert await down.drain_once() == 1
    (row,) = await mails(client, ucll)
    assert row["state"] == "queued" and row["attempts"] == 1 and row["next_attempt_at"]
    assert "cannot reach 127.0.0.1" in row["last_error"]
    for _ in range(2):
        assert await down.drain_once() == 1
    (row,) = await mails(client, ucll, state="failed")
    assert row["attempts"] == 3 and "cannot reach 127.0.0.1" in row["last_error"]
    assert row["sent_at"] is None
    assert await down.drain_once() == 0  # given up: no fourth attempt

    stored = await client.get(f"/api/v1/credentials/{r.json()['id'].rsplit('/', 1)[1]}",
                              headers=ucll)
    assert stored.status_code == 200  # the credential was never in question


async def test_a_mail_waits_its_backoff_then_reaches_the_server_once_it_is_back(  # type: ignore[no-untyped-def]
        client, ucll, settings, session_factory) -> None:  # noqa: F811
    port = free_port()
    url = f"smtp://mailer:s%40cret@127.0.0.1:{port}"
    assert (await issue(client, ucll)).status_code == 201
    slow = sender(settings, session_factory, url, mail_retry_seconds=60)
    assert await slow.drain_once() == 1
    async with session_factory() as s:
        waits = (await s.execute(text(
            "SELECT next_attempt_at - now() FROM mail_outbox"))).scalar_one()
    assert waits == timedelta(seconds=60)  # the first retry: mail_retry_seconds x 2^0
    assert await slow.drain_once() == 0  # not due yet

    box = Inbox()
    controller = smtp_server(box, port)
    try:
        async with session_factory() as s:  # the minute has passed
            await s.execute(text("UPDATE mail_outbox SET next_attempt_at = now()"))
            await s.commit()
        assert await slow.drain_once() == 1
    finally:
        controller.stop()
    assert len(box.messages) == 1
    (row,) = await mails(client, ucll)
    assert row["state"] == "sent" and row["attempts"] == 2


async def test_a_refused_recipient_fails_at_once(  # type: ignore[no-untyped-def]
        client, ucll, settings, session_factory) -> None:  # noqa: F811
    box, port = Inbox(refuse=True), free_port()
    controller = smtp_server(box, port)
    try:
        assert (await issue(client, ucll)).status_code == 201
        url = f"smtp://mailer:s%40cret@127.0.0.1:{port}"
        assert await sender(settings, session_factory, url).drain_once() == 1
    finally:
        controller.stop()
    (row,) = await mails(client, ucll)
    assert row["state"] == "failed" and row["attempts"] == 1  # retrying cannot help
    assert "550" in row["last_error"] and "No such mailbox" in row["last_error"]


async def test_a_wrong_password_is_retried_and_named(  # type: ignore[no-untyped-def]
        client, ucll, settings, session_factory, inbox) -> None:  # noqa: F811
    box, url = inbox
    assert (await issue(client, ucll)).status_code == 201
    wrong = url.replace("s%40cret", "guess")
    assert await sender(settings, session_factory, wrong).drain_once() == 1
    (row,) = await mails(client, ucll)
    assert row["state"] == "queued" and "535" in row["last_error"]
    assert box.messages == []


async def test_without_smtp_url_the_app_writes_eml_files(  # type: ignore[no-untyped-def]
        client, app, ucll, settings, tmp_path) -> None:  # noqa: F811
    assert settings.smtp_url is None
    assert (await issue(client, ucll)).status_code == 201
    assert await app.state.mail_sender.drain_once() == 1

    (path,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "an.peeters@example.org"
    assert message["Subject"].startswith("Je behaalde")
    assert message["Content-Language"] == "nl"
    assert "http://127.0.0.1:8000/me" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert not list((tmp_path / "outbox").glob("*.part"))
    (row,) = await mails(client, ucll)
    assert row["state"] == "sent"


async def test_a_sign_in_mail_loses_its_body_once_sent_and_is_never_sent_late(  # type: ignore[no-untyped-def]
        settings, session_factory, inbox) -> None:
    box, url = inbox
    async with session_factory() as s:
        live = await queue_mail(s, institution_id=None, to="a@example.org", subject="Sign in",
                                text="https://x/sign-in?t=secret", kind="sign_in", sensitive=True)
        late = await queue_mail(s, institution_id=None, to="b@example.org", subject="Sign in",
                                text="https://x/sign-in?t=other", kind="sign_in", sensitive=True,
                                expires_at=await s.scalar(text("SELECT now()")))
        await s.commit()
    assert await sender(settings, session_factory, url).drain_once() == 1
    assert [r for r, _ in box.messages] == [["a@example.org"]]
    async with session_factory() as s:
        rows = {r.id: r for r in await s.execute(text(
            "SELECT id, state, body_text, last_error FROM mail_outbox"))}
    assert rows[live.id].state == "sent" and rows[live.id].body_text == ""
    assert rows[late.id].state == "failed" and rows[late.id].body_text == ""
    assert rows[late.id].last_error == "expired before it could be sent"


def test_smtp_urls() -> None:
    plain = parse_smtp_url("smtp://user:p%3Ass@mail.example.org")
    assert (plain.hostname, plain.port, plain.use_tls, plain.start_tls) == (
        "mail.example.org", 25, False, None)  # STARTTLS whenever offered
    assert (plain.username, plain.password) == ("user", "p:ss")
    tls = parse_smtp_url("smtps://u:p@mail.example.org")
    assert (tls.port, tls.use_tls, tls.start_tls) == (465, True, False)
    assert parse_smtp_url("smtp://h:587?starttls=require").start_tls is True
    assert parse_smtp_url("smtp://h?starttls=off").start_tls is False
    for bad, says in [("http://h", "smtp://"), ("smtp://", "no host"),
                      ("smtp://h:port", "port"), ("smtp://h?starttls=maybe", "starttls")]:
        with pytest.raises(ValueError, match=says):
            parse_smtp_url(bad)


async def test_two_senders_share_the_outbox_and_send_each_mail_once(  # type: ignore[no-untyped-def]
        committed_app, inbox) -> None:
    from tests.client import AppClient
    from tests.conftest import bearer

    box, url = inbox
    async with AppClient(committed_app) as client:
        await committed_app.state.mail_sender.stop()  # only the two senders below send
        key = await committed_issuer(committed_app, client)
        bodies = [request_body(learner={"email": f"m{i}@example.org", "name": f"M {i}"})
                  for i in range(30)]
        r = await client.post(ISSUE.format(slug="ucll") + "/batch", json=bodies,
                              headers=bearer(key))
        assert r.status_code == 200 and r.json()["created"] == 30, r.text
        settings = committed_app.state.settings
        factory = committed_app.state.session_factory
        one, two = (sender(settings, factory, url) for _ in range(2))
        done = await asyncio.gather(one.drain_once(limit=20), two.drain_once(limit=20))
        assert sum(done) == 30 and 0 not in done  # both worked, on disjoint rows

    ids = [message["Message-ID"] for _, message in box.messages]
    assert len(ids) == 30 == len(set(ids))
    assert sorted(r[0] for r, _ in box.messages) == sorted(f"m{i}@example.org" for i in range(30))


async def test_the_apps_own_sender_is_woken_by_the_issuance(committed_app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """No drain_once here: the lifespan's sender LISTENs, and the commit's NOTIFY wakes it
    well before its poll (30 s) would."""
    from api.mail import POLL_SECONDS, Built, FileTransport, SendFailed
    from tests.client import AppClient
    from tests.conftest import bearer

    delivered = asyncio.Event()

    class Watched(FileTransport):
        async def send_all(self, messages: list[Built]) -> list[SendFailed | None]:
            results = await super().send_all(messages)
            delivered.set()
            return results

    async with AppClient(committed_app) as client:
        mail_sender = committed_app.state.mail_sender
        mail_sender.transport = Watched(tmp_path / "outbox")
        key = await committed_issuer(committed_app, client)
        r = await client.post(ISSUE.format(slug="ucll"), json=request_body(), headers=bearer(key))
        assert r.status_code == 201, r.text
        await asyncio.wait_for(delivered.wait(), POLL_SECONDS / 3)
    (path,) = (tmp_path / "outbox").glob("*.eml")
    assert b"an.peeters@example.org" in path.read_bytes()


@pytest.mark.parametrize(("change", "says"), [
    ({"smtp_url": "mail.example.org"}, "ACADEMY_SMTP_URL must start with smtp://"),
    ({"mail_from": "nobody"}, "ACADEMY_MAIL_FROM 'nobody' is not an address"),
    ({"mail_max_attempts": 0}, "ACADEMY_MAIL_MAX_ATTEMPTS must be at least 1"),
])
def test_a_wrong_mail_setting_stops_start_up(settings, change, says) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    with pytest.raises(ValueError, match=says):
        create_app(msgspec.structs.replace(settings, **change))


def _self_signed(tmp_path) -> tuple[ssl.SSLContext, ssl.SSLContext]:  # type: ignore[no-untyped-def]
    """A server context with a certificate for 127.0.0.1, and a client context trusting it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(pem)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return server, ssl.create_default_context(cadata=pem.decode())


async def test_plain_smtp_upgrades_with_starttls_when_the_server_offers_it(  # type: ignore[no-untyped-def]
        client, ucll, settings, session_factory, tmp_path) -> None:  # noqa: F811
    server_tls, client_tls = _self_signed(tmp_path)
    box, port = Inbox(), free_port()
    # This server refuses any mail before STARTTLS, and logins before TLS.
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=server_tls,
                            require_starttls=True, authenticator=box.authenticate)
    controller.start()
    try:
        assert (await issue(client, ucll)).status_code == 201
        url = f"smtp://mailer:s%40cret@127.0.0.1:{port}"
        transport = dataclasses.replace(parse_smtp_url(url), tls_context=client_tls)
        configured = msgspec.structs.replace(settings, smtp_url=url, mail_from=FROM)
        assert await MailSender(configured, transport, session_factory).drain_once() == 1
    finally:
        controller.stop()
    assert box.logins == [(b"mailer", b"s@cret")]
    assert [r for r, _ in box.messages] == [["an.peeters@example.org"]]


async def test_the_log_names_no_address(  # type: ignore[no-untyped-def]
        client, ucll, settings, session_factory, caplog) -> None:  # noqa: F811
    box, port = Inbox(refuse=True), free_port()
    box.refusal = "550 5.1.1 <an.peeters@example.org>: Recipient address rejected"
    controller = smtp_server(box, port)
    try:
        assert (await issue(client, ucll)).status_code == 201
        url = f"smtp://mailer:s%40cret@127.0.0.1:{port}"
        await sender(settings, session_factory, url).drain_once()
    finally:
        controller.stop()
    (row,) = await mails(client, ucll)
    assert "an.peeters@example.org" in row["last_error"]  # the institution sees the reason
    logged = [r.getMessage() for r in caplog.records if r.name == "academy.mail"]
    assert logged and "Recipient address rejected" in logged[0]
    assert not any("an.peeters" in line for line in logged)


async def test_a_server_with_a_jobs_process_sends_its_mail_from_there(  # type: ignore[no-untyped-def]
        database_url, tmp_path, inbox) -> None:
    """In production the outbox is sent by the jobs process beside the server (api.jobs),
    so a burst of mail never runs on the event loop that answers requests."""
    from api.app import create_app
    from api.settings import load_settings
    from tests.client import AppClient
    from tests.support import TEST_SECRET, bearer, migrated_database

    box, url = inbox
    async with migrated_database(database_url, "academy_m") as db_url:
        settings = load_settings(env={}, data_dir=tmp_path, database_url=db_url, smtp_url=url,
                                 secret_key=TEST_SECRET, harvest_in_background=True)
        app = create_app(settings)
        async with AppClient(app) as client:
            assert app.state.mail_sender._task is None  # noqa: SLF001 - this process sends nothing
            key = await committed_issuer(app, client)
            r = await client.post(ISSUE.format(slug="ucll"), json=request_body(),
                                  headers=bearer(key))
            assert r.status_code == 201, r.text
            message = await asyncio.to_thread(box.wait_for, "Wondzorg")
    assert message["To"] == "an.peeters@example.org"
    assert not list((tmp_path / "outbox").glob("*.eml"))  # over SMTP, not the file fallback
