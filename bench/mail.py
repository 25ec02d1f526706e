"""What queueing the award mail adds to batch issuance, and how fast the outbox drains.

    .venv/bin/python bench/mail.py [--batch 1000] [--rounds 8]

In this process, on a fresh embedded database (fsync off, as in the other benches): UCLL
publishes one course; one warm-up batch fills the caches (shapes, key, status lists).
Then ``--rounds`` times each, alternating, a batch of ``--batch`` new learners is issued
with ``credentials.issuing.issue`` and committed:

* **without mail**: the award mail turned off for the session
  (``credentials.award_mail.set_award_mail``), as before the outbox;
* **with mail**: one award mail per credential queued in the same transaction (one
  multi-row INSERT for the batch).

Reported: the time of a batch (median and best) with and without, and the difference;
the criterion is at most 10 %. On a shared machine the difference of two medians is
noisy, so the time spent queueing itself (``queue_award_mails``: reading the title from
each document and the one INSERT) is timed too, as a share of a batch without mail. Then the mails queued in the run are drained by
``api.mail.MailSender.drain_once`` to ``.eml`` files and to a real SMTP server on loopback
(aiosmtpd): mails per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _harness import machine

SECRET = "bench-secret-key-not-for-production-0123456789"
BASE = "http://127.0.0.1:8000"
ROOT = Path(__file__).resolve().parent.parent


def _requests(n: int, seed: str) -> list[dict[str, Any]]:
    import json

    base = json.loads((ROOT / "schemas/examples/microcredential-request.json").read_text())
    return [{**base, "learner": {"email": f"l.{seed}.{i}@example.org", "name": f"Learner {i}"}}
            for i in range(n)]


async def _drain(sender: Any, expected: int) -> float:
    started = time.perf_counter()
    done = 0
    while done < expected:
        sent = await sender.drain_once()
        if sent == 0:
            break
        done += sent
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    import json

    import msgspec
    from aiosmtpd.controller import Controller
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from api.db import make_engine, run_migrations
    from api.embedded import EmbeddedPostgres
    from api.mail import FileTransport, MailSender, parse_smtp_url
    from api.settings import load_settings
    from catalogue.service import publish_one
    from credentials import issuing
    from credentials.award_mail import set_award_mail
    from credentials.keys import KeyRing

    data_dir = Path(tempfile.mkdtemp(prefix="academy-bench-mail-"))
    server = EmbeddedPostgres(data_dir, options={"fsync": "off", "synchronous_commit": "off"})
    try:
        server.start()
        server.psql('CREATE DATABASE "bench"')
        engine = make_engine(server.url("bench"))
        async with engine.connect() as conn:
            await conn.run_sync(run_migrations)
            await conn.commit()
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        keyring = KeyRing(SECRET, BASE)
        course = json.loads((ROOT / "schemas/examples/course-ucll-microcredential.json").read_text())
        course.pop("code")
        async with sessions() as s:  # under the code the example request names
            await publish_one(s, "ucll", "MC-TOETS", course)
            await s.commit()

        async def batch(seed: str, mail: bool) -> float:
            bodies = _requests(args.batch, seed)
            started = time.perf_counter()
            async with sessions() as s:
                set_award_mail(s, mail)
                outcomes = await issuing.issue(s, keyring, "ucll", bodies)
                await s.commit()
            elapsed = time.perf_counter() - started
            assert all(o.status == "created" for o in outcomes), outcomes[:1]
            return elapsed

        queueing: list[float] = []
        queue_award_mails = issuing.queue_award_mails

        async def timed_queue(session: Any, institution_id: int, rows: Any) -> None:
            started = time.perf_counter()
            await queue_award_mails(session, institution_id, rows)
            if session.info.get("academy.award_mail", True):
                queueing.append(time.perf_counter() - started)

        issuing.queue_award_mails = timed_queue  # type: ignore[assignment]
        await batch("warm", True)
        queueing.clear()
        times: dict[bool, list[float]] = {True: [], False: []}
        for r in range(args.rounds):
            order = (False, True) if r % 2 == 0 else (True, False)
            for mail in order:
                times[mail].append(await batch(f"{r}-{mail}", mail))
        async with sessions() as s:
            queued = await s.scalar(text("SELECT count(*) FROM mail_outbox"))
        print(f"\nbatch issuance of {args.batch} credentials, in process, committed, "
              f"{args.rounds} rounds each, alternating:")
        for mail, label in ((False, "without mail"), (True, "with award mail")):
            xs = times[mail]
            print(f"  {label:16s} median {statistics.median(xs) * 1000:7.0f} ms   best "
                  f"{min(xs) * 1000:7.0f} ms   ({args.batch / statistics.median(xs):.0f} "
                  f"credentials/s)")
        added = statistics.median(times[True]) / statistics.median(times[False]) - 1
        best = min(times[True]) / min(times[False]) - 1
        print(f"  mail adds {added * 100:+.1f} % (median), {best * 100:+.1f} % (best); "
              f"{queued} mails queued in all")
        share = statistics.median(queueing) / statistics.median(times[False])
        print(f"  queueing itself: median {statistics.median(queueing) * 1000:.0f} ms, max "
              f"{max(queueing) * 1000:.0f} ms per batch = {share * 100:.1f} % of a batch "
              f"without mail")

        settings = load_settings(env={}, data_dir=data_dir, secret_key=SECRET)
        drained = await _drain(MailSender(settings, FileTransport(data_dir / "outbox"), sessions),
                               args.batch)
        print(f"\ndrain to .eml files: {args.batch} mails in {drained:.2f} s = "
              f"{args.batch / drained:.0f} mails/s")

        class Sink:
            async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(Sink(), hostname="127.0.0.1", port=port)
        controller.start()
        try:
            url = f"smtp://127.0.0.1:{port}"
            smtp = MailSender(msgspec.structs.replace(settings, smtp_url=url),
                              parse_smtp_url(url), sessions)
            drained = await _drain(smtp, args.batch)
        finally:
            controller.stop()
        print(f"drain to an SMTP server on loopback (aiosmtpd, one connection per 100): "
              f"{args.batch} mails in {drained:.2f} s = {args.batch / drained:.0f} mails/s")
        await engine.dispose()
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("ACADEMY_LOG_LEVEL", "WARNING")
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    print(machine())
    asyncio.run(main(parser.parse_args()))
