"""A harvest run: the whole feed fetched, then stored with snapshot semantics.

A run first fetches the *whole* feed. If any request fails (timeout, HTTP error, refused
connection, malformed JSON or CSV on any page), the run is recorded as ``failed`` and
nothing is written or withdrawn. Otherwise every document goes through the same
``prepare``/``store`` as a push, under the source's own institution and with source
``harvest:<name>``; a course published by push or by another source is ``skipped`` unless
the source has ``overwrite_push``. Only a complete, non-empty feed whose every item has a
code withdraws this source's courses that are absent from it (an invalid item still counts
as present). Each run is one ``harvest_run`` row; everything here flushes, the caller
commits.

What a URL may reach and how much a run may read is the ``FetchPolicy``
(``catalogue.harvest.net``); the feed is parsed as it arrives (``catalogue.harvest.stream``)
and a run's errors never quote it (``catalogue.harvest.report``). Runs requested through
the API are jobs (``catalogue.harvest.jobs``); ``run_harvest`` is the direct way (the CLI).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse
from urllib.request import url2pathname

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.harvest.mapping import FeedError, apply_defaults, ooapi_document
from catalogue.harvest.net import Budget, FetchPolicy, location_problem, open_client, stream_body
from catalogue.harvest.report import safe_code, safe_violation
from catalogue.harvest.sources import is_url
from catalogue.harvest.stream import csv_stream, json_array_stream, json_value
from catalogue.models import HarvestRun, HarvestSource
from catalogue.service import prepare_many, store, withdraw_absent

__all__ = [
    "DEFAULT_TIMEOUT",
    "Outcome",
    "Progress",
    "deadline_message",
    "failed",
    "fetch_documents",
    "run_harvest",
    "store_documents",
]

log = logging.getLogger("academy.harvest")

DEFAULT_TIMEOUT = 10.0
MAX_PAGES = 10_000
MAX_ERRORS = 20
STORE_CHUNK = 1_000

Progress = Callable[[int, int | None, str], None]
"""``progress(done, total, phase)``; ``total`` is None while it is not known yet."""


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- fetching

async def _file_chunks(location: str, budget: Budget) -> AsyncIterator[bytes]:
    """A local file (sources set through the CLI only) in pieces, within the budget."""
    path = Path(url2pathname(urlparse(location).path) if location.startswith("file:") else location)
    try:
        with path.open("rb") as fh:
            while chunk := await asyncio.to_thread(fh.read, 1024 * 1024):
                budget.take_bytes(len(chunk), str(path))
                yield chunk
    except OSError as exc:
        raise FeedError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None


async def _ooapi_pages(client: httpx.AsyncClient, url: str, page_size: int,
                       budget: Budget) -> list[dict[str, Any]]:
    """Every item of an OOAPI paginated list, following ``hasNextPage``, a page at a time."""
    items: list[dict[str, Any]] = []
    for number in range(1, MAX_PAGES + 1):
        where = f"{url} page {number}"
        page = await json_value(stream_body(client, url, budget, where,
                                            {"pageSize": page_size, "pageNumber": number}), where)
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise FeedError(f"{where} is not an OOAPI page (no 'items' list)")
        if not all(isinstance(item, dict) for item in page["items"]):
            raise FeedError(f"{where} holds items that are not objects")
        items += page["items"]
        if page.get("hasNextPage") is not True:
            return items
        if not page["items"]:
            raise FeedError(f"{where} is empty but claims a next page")
    raise FeedError(f"{url} has more than {MAX_PAGES} pages")


async def _ooapi(client: httpx.AsyncClient, base: str, mapping: Mapping[str, Any],
                 budget: Budget, progress: Progress) -> list[dict[str, Any]]:
    base, size = base.rstrip("/"), int(mapping.get("page_size", 100))
    courses = await _ooapi_pages(client, f"{base}/courses", size, budget)
    budget.take_items(len(courses), f"{base}/courses")
    progress(0, len(courses), "offerings")
    ids = [c.get("courseId") for c in courses]
    if bad := [i for i, cid in enumerate(ids) if not isinstance(cid, str) or not cid]:
        raise FeedError(f"course {bad[0] + 1} of {base}/courses has no courseId")
    ids_ok: list[str] = [str(cid) for cid in ids]
    gate, done = asyncio.Semaphore(8), 0

    async def offerings(course_id: str) -> list[dict[str, Any]]:
        nonlocal done
        async with gate:
            found = await _ooapi_pages(
                client, f"{base}/courses/{quote(course_id, safe='')}/offerings", size, budget)
        done += 1
        progress(done, len(courses), "offerings")
        return found

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(offerings(cid)) for cid in ids_ok]
    except* FeedError as failed:
        raise failed.exceptions[0] from None
    defaults = mapping.get("defaults", {})
    return [ooapi_document(c, t.result(), defaults) for c, t in zip(courses, tasks, strict=True)]


async def fetch_documents(
    type_: str, location: str, mapping: Mapping[str, Any], *,
    policy: FetchPolicy | None = None, progress: Progress | None = None,
) -> list[Any]:
    """The whole feed as course documents (not yet validated); ``FeedError`` if incomplete.

    Within ``policy``: only the hosts it allows, its caps on bytes, compression and items.
    """
    policy = policy or FetchPolicy()
    report = progress or (lambda done, total, phase: None)
    budget = Budget(policy)
    report(0, None, "fetch")
    if not is_url(location):
        chunks = _file_chunks(location, budget)
        return await _parse(type_, chunks, mapping, budget, location)
    if why := location_problem(location, policy):
        raise FeedError(f"the source's location {why}")
    async with open_client(policy) as client:
        if type_ == "ooapi-v5":
            return await _ooapi(client, location, mapping, budget, report)
        return await _parse(type_, stream_body(client, location, budget, location), mapping,
                            budget, location)


async def _parse(type_: str, chunks: AsyncIterator[bytes], mapping: Mapping[str, Any],
                 budget: Budget, where: str) -> list[Any]:
    if type_ == "csv":
        return await csv_stream(chunks, mapping, budget, where)
    docs = await json_array_stream(chunks, budget, where)
    return [apply_defaults(d, mapping.get("defaults", {})) for d in docs]


# --------------------------------------------------------------------------- storing

def _error(code: str | None, pointer: str, message: str) -> dict[str, Any]:
    return {"code": code, "pointer": pointer, "message": message}


Outcome = tuple[str, dict[str, int], list[dict[str, Any]]]
"""``(status, counts, errors)`` of a run."""


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(("fetched", "created", "updated", "unchanged", "skipped",
                          "withdrawn", "invalid"), 0)


def failed(message: str, counts: dict[str, int] | None = None) -> Outcome:
    return "failed", counts or empty_counts(), [_error(None, "", message)]


async def store_documents(session: AsyncSession, source: HarvestSource, docs: Sequence[Any],
                          progress: Progress | None = None) -> Outcome:
    """Validate and store a complete feed under snapshot semantics; flushes, never commits.

    Runs of one source store one after another (a transaction-scoped advisory lock), so a
    CLI run and a job that fetched at the same time cannot interleave their withdrawals.
    """
    counts = empty_counts()
    counts["fetched"] = len(docs)
    ready, invalid = prepare_many(docs)
    counts["invalid"] = len(invalid)
    errors = [_error(safe_code(r.code), *safe_violation(r.index, v))
              for r in invalid for v in (r.errors or [])][:MAX_ERRORS]
    unnamed = sum(1 for r in invalid if not r.code)
    name = f"harvest:{source.name}"
    try:
        async with session.begin_nested():
            await session.execute(select(func.pg_advisory_xact_lock(
                func.hashtextextended(f"harvest_source:{source.id}", 0))))
            stored: dict[str, Any] = {}
            for start in range(0, len(ready), STORE_CHUNK):
                stored |= await store(session, source.institution_id,
                                      ready[start:start + STORE_CHUNK], source=name,
                                      overwrite_push=source.overwrite_push)
                if progress:
                    progress(len(stored), len(ready), "store")
            if docs and not unnamed:
                present = {p.code for p in ready} | {r.code for r in invalid if r.code}
                counts["withdrawn"] = await withdraw_absent(
                    session, source.institution_id, name, present)
    except SQLAlchemyError as exc:
        log.exception("harvest %s could not be stored", source.name)
        cause = type(getattr(exc, "orig", None) or exc).__name__
        return failed(f"the catalogue refused the harvest ({cause}); nothing was stored", counts)
    for code, outcome in stored.items():
        counts[outcome.status] += 1
        if outcome.status == "skipped" and len(errors) < MAX_ERRORS:
            errors.append(_error(code, "", "published by push or another source; not overwritten "
                                           "(set overwrite_push on the source to allow it)"))
    status = "succeeded"
    if not docs:
        status = "empty"
        errors.append(_error(None, "", "the feed is empty; nothing was withdrawn"))
    elif unnamed:
        status = "partial"
        errors.insert(0, _error(None, "", f"{unnamed} item(s) have no usable code; "
                                          "nothing was withdrawn"))
    return status, counts, errors[:MAX_ERRORS]


def deadline_message(policy: FetchPolicy) -> str:
    return f"the harvest took longer than {policy.deadline:g} s; nothing was stored"


async def _record(session: AsyncSession, source: HarvestSource, started: datetime,
                  outcome: Outcome) -> HarvestRun:
    status, counts, errors = outcome
    finished = _now()
    run = HarvestRun(source_id=source.id, queued_at=started, started_at=started,
                     finished_at=finished, status=status, counts=counts,
                     errors=list(errors[:MAX_ERRORS]))
    session.add(run)
    await session.execute(update(HarvestSource).where(HarvestSource.id == source.id)
                          .values(next_run_at=finished + timedelta(minutes=source.interval_minutes)))
    await session.flush()
    return run


async def run_harvest(
    session: AsyncSession, source: HarvestSource, *,
    policy: FetchPolicy | None = None, progress: Progress | None = None,
) -> HarvestRun:
    """Harvest ``source`` now, in this process, and record the run (the CLI's way).

    The database is first touched after the fetch, so a detached ``source`` keeps no
    transaction open while the feed is read. Statuses: ``succeeded``; ``failed`` (nothing
    written); ``empty`` and ``partial`` (stored, nothing withdrawn).
    """
    policy = policy or FetchPolicy()
    started = _now()
    try:
        async with asyncio.timeout(policy.deadline):
            docs = await fetch_documents(source.type, source.location, source.mapping,
                                         policy=policy, progress=progress)
    except FeedError as exc:
        return await _record(session, source, started, failed(str(exc)))
    except TimeoutError:
        return await _record(session, source, started, failed(deadline_message(policy)))
    return await _record(session, source, started,
                         await store_documents(session, source, docs, progress))
