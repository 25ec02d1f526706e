"""Mail for tests: a real SMTP server on loopback (aiosmtpd) that keeps what it accepts, the
app's sender pointed at it, and readers of the outbox and of delivered messages."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import msgspec
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import text

from api.mail import MailSender, parse_smtp_url

__all__ = ["FROM", "Inbox", "bodies", "delivered", "free_port", "inbox", "outbox", "sender",
           "smtp_server"]

FROM = "Academy <noreply@academy.example>"


class Inbox:
    """An aiosmtpd handler that keeps what it accepts (or refuses recipients with 550)."""

    def __init__(self, refuse: bool = False) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.arrived = threading.Condition()  # notified with each message accepted
        self.logins: list[tuple[bytes, bytes]] = []
        self.refuse = refuse
        self.refusal = "550 5.1.1 No such mailbox here"

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if self.refuse:
            return self.refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, subject: str, count: int = 1, timeout: float = 60) -> EmailMessage:
        """The ``count``-th message whose subject holds ``subject``, waiting (up to
        ``timeout`` s, then an assertion error) for a server's sender to deliver it."""
        def found() -> list[EmailMessage]:
            return [m for _, m in self.messages if subject in str(m["Subject"])]
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(found()) >= count, timeout), (
                f"no mail {subject!r} arrived; got {[str(m['Subject']) for _, m in self.messages]}")
            return found()[count - 1]

    def authenticate(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s@cret", handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smtp_server(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_require_tls=False)
    controller.start()
    return controller


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    box, port = Inbox(), free_port()
    controller = smtp_server(box, port)
    yield box, f"smtp://mailer:s%40cret@127.0.0.1:{port}"
    controller.stop()


def sender(settings, session_factory, url: str, **changes: Any) -> MailSender:  # type: ignore[no-untyped-def]
    configured = msgspec.structs.replace(settings, smtp_url=url, mail_from=FROM, **changes)
    return MailSender(configured, parse_smtp_url(url), session_factory)


async def outbox(session_factory, email: str | None = None) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    async with session_factory() as s:
        rows = await s.execute(text(
            "SELECT o.*, i.slug FROM mail_outbox o LEFT JOIN institution i "
            "ON i.id = o.institution_id WHERE CAST(:e AS text) IS NULL OR recipient = :e "
            "ORDER BY o.id"), {"e": email})
        return [dict(r._mapping) for r in rows]


async def delivered(app, tmp_path) -> list[EmailMessage]:  # type: ignore[no-untyped-def]  # noqa: F811
    """Send what is queued through the app's own sender (no ACADEMY_SMTP_URL: .eml files)
    and read the messages back, oldest first."""
    await app.state.mail_sender.drain_once()
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for path in sorted((tmp_path / "outbox").glob("*.eml"))]


def bodies(message: EmailMessage) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(),  # type: ignore[union-attr]
            message.get_body(("html",)).get_content())  # type: ignore[union-attr]
