"""The mail sender: drains the outbox (``credentials.notifications``) over SMTP or to files.

``ACADEMY_SMTP_URL`` chooses the transport:

* ``smtp://user:pass@host:port``: plain SMTP (port 25 unless given), upgraded with
  STARTTLS whenever the server offers it; ``?starttls=require`` refuses a server that
  does not, ``?starttls=off`` never upgrades (a relay on loopback);
* ``smtps://user:pass@host:port``: TLS from the first byte (port 465 unless given);
* unset: each mail is written to ``{ACADEMY_DATA_DIR}/outbox/*.eml``, for a newcomer
  under ``make run`` to open in any mail reader.

Every server process runs one :class:`MailSender` in its lifespan. It sleeps until a
queued mail's NOTIFY (or its poll, or the next retry) wakes it; several processes share
the outbox safely (``FOR UPDATE SKIP LOCKED`` in ``claim_due``). A failed attempt is
retried after ``ACADEMY_MAIL_RETRY_SECONDS`` x 2^(attempt - 1) (at most 6 hours), up to
``ACADEMY_MAIL_MAX_ATTEMPTS``; a permanent refusal (an SMTP 5xx) fails at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import ssl
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.settings import Settings
from credentials.award_mail import award_documents, complete
from credentials.notifications import (
    CHANNEL,
    Claimed,
    claim_due,
    mark_attempt_failed,
    mark_sent,
    next_due,
)

__all__ = ["Built", "FileTransport", "MailSender", "SendFailed", "SmtpTransport", "build_message",
           "parse_smtp_url", "sender_for"]

log = logging.getLogger("academy.mail")
MAX_BACKOFF = 6 * 3600.0
LEASE_SECONDS = 300.0  # a claimed mail is retried after this if its sender never reported
POLL_SECONDS = 30.0  # wake-up without a NOTIFY (e.g. the listening connection was lost)
BATCH = 100
_ADDRESS = re.compile(r"[^\s<>\"']+@[^\s<>\"']+")


class SendFailed(Exception):
    """One message was not accepted; ``permanent``: retrying cannot help (an SMTP 5xx)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Built(NamedTuple):
    """A message ready to leave: its envelope, its bytes, and a name unique in the outbox
    (the file transport's)."""

    name: str
    sender: str
    recipient: str
    message_id: str
    data: bytes


class Transport(Protocol):
    async def send_all(self, messages: list[Built]) -> list[SendFailed | None]: ...


@dataclass(frozen=True)
class SmtpTransport:
    hostname: str
    port: int
    use_tls: bool
    start_tls: bool | None
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None

    async def send_all(self, messages: list[Built]) -> list[SendFailed | None]:
        """Send over one connection; a connection failure fails every message (retried)."""
        client = aiosmtplib.SMTP(
            hostname=self.hostname, port=self.port, use_tls=self.use_tls,
            start_tls=self.start_tls, username=self.username, password=self.password,
            timeout=self.timeout, tls_context=self.tls_context)
        try:
            await client.connect()
        except aiosmtplib.SMTPResponseException as exc:  # e.g. 535: the login was refused
            return [SendFailed(f"SMTP {exc.code}: {exc.message}")] * len(messages)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return [SendFailed(f"cannot reach {self.hostname}:{self.port}: {exc}")] * len(messages)
        results: list[SendFailed | None] = []
        try:
            for message in messages:
                results.append(await self._one(client, message))
        finally:
            with suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
        return results

    @staticmethod
    async def _one(client: aiosmtplib.SMTP, message: Built) -> SendFailed | None:
        try:
            await client.sendmail(message.sender, [message.recipient], message.data)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            return SendFailed("; ".join(f"SMTP {r.code}: {r.message}" for r in exc.recipients),
                              permanent=all(c >= 500 for c in codes))
        except aiosmtplib.SMTPResponseException as exc:
            return SendFailed(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return SendFailed(f"SMTP: {exc}")
        return None


@dataclass(frozen=True)
class FileTransport:
    """Writes each message to ``directory/<date>-<outbox id>.eml`` (complete or absent)."""

    directory: Path

    async def send_all(self, messages: list[Built]) -> list[SendFailed | None]:
        return await asyncio.to_thread(self._write_all, messages)

    def _write_all(self, messages: list[Built]) -> list[SendFailed | None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        results: list[SendFailed | None] = []
        for message in messages:
            path = self.directory / f"{message.name}.eml"
            partial = path.with_suffix(".eml.part")
            try:
                partial.write_bytes(message.data)
                os.replace(partial, path)
                results.append(None)
            except OSError as exc:
                results.append(SendFailed(f"cannot write {path}: {exc}"))
        return results


def parse_smtp_url(url: str) -> SmtpTransport:
    """``ACADEMY_SMTP_URL`` as a transport, or ValueError saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("ACADEMY_SMTP_URL must start with smtp:// (STARTTLS when offered) or "
                         "smtps:// (TLS), e.g. smtp://user:password@mail.example.org:587")
    if not parts.hostname:
        raise ValueError("ACADEMY_SMTP_URL names no host (smtp://user:password@host:port)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("ACADEMY_SMTP_URL: the port is not a number") from None
    mode = parse_qs(parts.query).get("starttls", ["auto"])[-1]
    if mode not in ("auto", "require", "off"):
        raise ValueError("ACADEMY_SMTP_URL: starttls must be auto, require or off")
    tls = parts.scheme == "smtps"
    return SmtpTransport(
        hostname=parts.hostname, port=port or (465 if tls else 25), use_tls=tls,
        start_tls=False if tls or mode == "off" else (True if mode == "require" else None),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None)


def _domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def build_message(mail: Claimed, mail_from: str) -> EmailMessage:
    """The MIME message of an outbox row: text, plus HTML as an alternative when present.

    Its Message-ID derives from the row (the same on every attempt), so a duplicate
    after a sender crash is recognisable as one.
    """
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = Address(addr_spec=mail.recipient)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    stamp = mail.created_at.strftime("%Y%m%d%H%M%S")
    message["Message-ID"] = f"<academy.{mail.kind}.{mail.id}.{stamp}@{_domain(mail_from)}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message.set_content(mail.body_text or "")
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    if mail.language:  # after the content: set_content drops every Content-* header
        message["Content-Language"] = mail.language
    return message


def _build_all(mails: list[Claimed], documents: dict[uuid.UUID, tuple[bytes, str]],
               mail_from: str) -> list[Built | SendFailed]:
    out: list[Built | SendFailed] = []
    envelope_from = parseaddr(mail_from)[1]
    for claimed in mails:
        mail = complete(claimed, documents)
        if isinstance(mail, str):
            out.append(SendFailed(mail, permanent=True))
            continue
        try:
            message = build_message(mail, mail_from)
            out.append(Built(f"{mail.created_at:%Y%m%d%H%M%S}-{mail.id}-{mail.kind}",
                             envelope_from, mail.recipient, message["Message-ID"],
                             message.as_bytes()))
        except (ValueError, TypeError) as exc:  # an address no header can carry
            out.append(SendFailed(f"cannot build the message: {exc}", permanent=True))
    return out


def _backoff(settings: Settings, attempts: int) -> float | None:
    if attempts >= settings.mail_max_attempts:
        return None
    return min(settings.mail_retry_seconds * 2 ** (attempts - 1), MAX_BACKOFF)


class MailSender:
    """Drains the outbox: :meth:`drain_once` for one pass, :meth:`run` until stopped."""

    def __init__(self, settings: Settings, transport: Transport,
                 session_factory: async_sessionmaker[AsyncSession] | None = None) -> None:
        self.settings = settings
        self.transport = transport
        self.session_factory = session_factory
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def drain_once(self, limit: int = BATCH) -> int:
        """Claim the mails due now (up to ``limit``), send them, record each outcome."""
        assert self.session_factory is not None, "bind a session factory first"
        async with self.session_factory() as session:
            claimed = await claim_due(session, limit=limit, lease_seconds=LEASE_SECONDS,
                                      max_attempts=self.settings.mail_max_attempts)
            documents = await award_documents(session, claimed)
            await session.commit()  # the claim holds no lock while we talk SMTP
        if not claimed:
            return 0
        # The email package takes milliseconds a message: off the event loop that serves
        # requests (a thread, which the interpreter switches away from every 5 ms).
        built = await asyncio.to_thread(_build_all, claimed, documents, self.settings.mail_from)
        ready = [b for b in built if isinstance(b, Built)]
        results = iter(await self.transport.send_all(ready) if ready else [])
        sent: list[tuple[int, str]] = []
        async with self.session_factory() as session:
            for mail, message in zip(claimed, built, strict=True):
                failure = next(results) if isinstance(message, Built) else message
                message_id = message.message_id if isinstance(message, Built) else None
                if failure is None:
                    sent.append((mail.id, message_id or ""))
                    continue
                retry = None if failure.permanent else _backoff(self.settings, mail.attempts)
                state = await mark_attempt_failed(session, mail.id, str(failure),
                                                  message_id=message_id, retry_in=retry)
                # The row keeps the server's words; the log gets them without addresses.
                log.warning("mail %s (%s) attempt %d failed, now %s: %s", mail.id, mail.kind,
                            mail.attempts, state, _ADDRESS.sub("<address>", str(failure)))
            await mark_sent(session, sent)
            await session.commit()
        return len(claimed)

    def start(self, engine: AsyncEngine) -> None:
        """Run in the background of this event loop until :meth:`stop`."""
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.run(engine, self._stop), name="academy-mail")

    async def stop(self, timeout: float = 10.0) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:  # an SMTP server that does not answer: the lease covers it
            log.warning("the mail sender did not stop within %s s; cancelled", timeout)

    def wake(self, *_: Any) -> None:
        self._wake.set()

    async def run(self, engine: AsyncEngine, stop: asyncio.Event) -> None:
        """Send until ``stop``: woken by NOTIFY, a retry falling due, or the poll."""
        listening = asyncio.create_task(self._listen(engine, stop))
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    while await self.drain_once() == BATCH:
                        pass
                    wait = await self._until_due()
                except Exception:  # the database or the disk is away: try again later
                    log.exception("the mail sender failed; retrying in %s s", POLL_SECONDS)
                    wait = POLL_SECONDS
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._first(self._wake, stop), wait)
        finally:
            listening.cancel()
            with suppress(asyncio.CancelledError):
                await listening

    @staticmethod
    async def _first(*events: asyncio.Event) -> None:
        waits = [asyncio.ensure_future(event.wait()) for event in events]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def _until_due(self) -> float:
        assert self.session_factory is not None
        async with self.session_factory() as session:
            due = await next_due(session)
        if due is None:
            return POLL_SECONDS
        return max(0.05, min(POLL_SECONDS, (due - datetime.now(UTC)).total_seconds()))

    async def _listen(self, engine: AsyncEngine, stop: asyncio.Event) -> None:
        """LISTEN on a connection of its own; reconnects, the poll covers the gaps."""
        while not stop.is_set():
            try:
                async with engine.connect() as connection:
                    raw = (await connection.get_raw_connection()).driver_connection
                    lost = asyncio.Event()
                    raw.add_termination_listener(lambda _, lost=lost: lost.set())
                    await raw.add_listener(CHANNEL, self.wake)
                    try:
                        self.wake()  # mails queued while nobody listened
                        await self._first(stop, lost)
                    finally:
                        if not lost.is_set():  # back to the pool without our LISTEN
                            with suppress(Exception):
                                await raw.remove_listener(CHANNEL, self.wake)
                    if lost.is_set():
                        await connection.invalidate()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - whatever it was, the poll still sends
                log.warning("cannot LISTEN for queued mails; polling every %s s", POLL_SECONDS)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS if not stop.is_set() else 0)


def sender_for(settings: Settings,
               session_factory: async_sessionmaker[AsyncSession] | None = None) -> MailSender:
    """The sender ``settings`` ask for (checks the ``ACADEMY_SMTP_URL`` and ``_MAIL_*``
    settings at start-up, so a mistake stops the server rather than every mail)."""
    if "@" not in parseaddr(settings.mail_from)[1]:
        raise ValueError(f"ACADEMY_MAIL_FROM {settings.mail_from!r} is not an address, e.g. "
                         "'Academy <noreply@academy.example.org>'")
    if settings.mail_max_attempts < 1 or settings.mail_retry_seconds < 0:
        raise ValueError("ACADEMY_MAIL_MAX_ATTEMPTS must be at least 1 and "
                         "ACADEMY_MAIL_RETRY_SECONDS at least 0")
    transport: Transport = (parse_smtp_url(settings.smtp_url) if settings.smtp_url
                            else FileTransport(Path(settings.data_dir) / "outbox"))
    return MailSender(settings, transport, session_factory)
