"""Harvesting: partners' feeds pulled into the catalogue, with snapshot semantics.

A run first fetches the *whole* feed. If any request fails (timeout, HTTP error, refused
connection, malformed JSON or CSV on any page), the run is recorded as ``failed`` and
nothing is written or withdrawn. Otherwise every document goes through the same
``prepare``/``store`` as a push, under the source's own institution and with source
``harvest:<name>``; a course published by push or by another source is ``skipped`` unless
the source has ``overwrite_push``. Only a complete, non-empty feed whose every item has a
code withdraws this source's courses that are absent from it (an invalid item still counts
as present). Each run is one ``harvest_run`` row; the caller commits.

Sources with a local file location can only be set with ``allow_files`` (the CLI); the API
accepts URLs only, so a partner key cannot make the server read its disk. What a URL may
reach and how much a run may read is the ``FetchPolicy`` (``catalogue.harvest.net``); the
feed is parsed as it arrives (``catalogue.harvest.stream``) and a run's errors never quote
it (``catalogue.harvest.report``). Runs requested through the API are jobs
(``catalogue.harvest.jobs``); ``run_harvest`` is the direct way (the CLI).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse
from urllib.request import url2pathname

import httpx
from sqlalchemy import func, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from catalogue.errors import Invalid, NotFound
from catalogue.harvest.mapping import FeedError, apply_defaults, check_mapping, ooapi_document
from catalogue.harvest.net import Budget, FetchPolicy, location_problem, open_client, stream_body
from catalogue.harvest.report import safe_code, safe_violation
from catalogue.harvest.stream import csv_stream, json_array_stream, json_value
from catalogue.institutions import get_institution
from catalogue.models import HarvestRun, HarvestSource, Institution
from catalogue.service import prepare_many, store, withdraw_absent

__all__ = [
    "MAX_INTERVAL",
    "DEFAULT_TIMEOUT",
    "MIN_INTERVAL",
    "SOURCE_TYPES",
    "URL_PATTERN",
    "FeedError",
    "FetchPolicy",
    "Outcome",
    "Progress",
    "delete_source",
    "fetch_documents",
    "find_sources",
    "get_run",
    "get_source",
    "list_runs",
    "list_sources",
    "put_source",
    "run_harvest",
    "store_documents",
]

log = logging.getLogger("academy.harvest")

SOURCE_TYPES = ("ooapi-v5", "json", "csv")
MIN_INTERVAL = 5
MAX_INTERVAL = 60 * 24 * 366  # a year: longer is a typo, and the column is int32
DEFAULT_TIMEOUT = 10.0
MAX_PAGES = 10_000
MAX_ERRORS = 20
STORE_CHUNK = 1_000
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# What the API documents a feed URL to be (api/openapi.py, with ``\s`` spelled out): a host,
# an optional numeric port. ``[^\n]``, not ``.``, which ECMA-262 and Python read differently.
URL_PATTERN = r"^https?://[^/?#@:\[\]\s]+(:[0-9]*)?([/?#][^\n]*)?$"
_URL = re.compile(URL_PATTERN)  # fullmatch: "$" is the end, as in ECMA-262

Progress = Callable[[int, int | None, str], None]
"""``progress(done, total, phase)``; ``total`` is None while it is not known yet."""


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- sources

def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _check_source(name: str, type_: str, location: str, interval_minutes: int,
                  mapping: Mapping[str, Any], allow_files: bool, policy: FetchPolicy) -> None:
    errors: list[tuple[str, str]] = []
    if not _NAME.match(name):
        errors.append(("path:name", "1 to 64 lower-case letters, digits, '-' or '_'"))
    if type_ not in SOURCE_TYPES:
        errors.append(("/type", f"must be one of {', '.join(SOURCE_TYPES)}"))
    if not MIN_INTERVAL <= interval_minutes <= MAX_INTERVAL:
        errors.append(("/interval_minutes", f"must be between {MIN_INTERVAL} and {MAX_INTERVAL}"))
    if "\x00" in location:
        errors.append(("/location", "must not contain NUL characters"))
    elif _is_url(location):
        try:
            host = urlparse(location).hostname
        except ValueError as exc:
            errors.append(("/location", f"not a valid URL: {exc}"))
        else:
            if not host:
                errors.append(("/location", "the URL has no host"))
            elif not _URL.fullmatch(location):
                errors.append(("/location", "not a valid URL: a host and an optional port number"))
            elif why := location_problem(location, policy):
                errors.append(("/location", why))
    elif type_ == "ooapi-v5" or not allow_files:
        errors.append(("/location", "must be an http(s) URL (local files only through the CLI)"))
    errors += check_mapping(type_, mapping)
    if errors:
        raise Invalid(errors)


async def put_source(
    session: AsyncSession, slug: str, name: str, type: str, location: str,
    interval_minutes: int, mapping: Mapping[str, Any] | None = None,
    overwrite_push: bool = False, *, allow_files: bool = False,
    policy: FetchPolicy | None = None,
) -> tuple[HarvestSource, bool]:
    """Create or replace a source; returns it and whether it was created (it is due at once)."""
    institution = await get_institution(session, slug)
    mapping = dict(mapping or {})
    _check_source(name, type, location, interval_minutes, mapping, allow_files,
                  policy or FetchPolicy())
    values: dict[str, Any] = {"type": type, "location": location, "mapping": mapping,
                              "interval_minutes": interval_minutes, "overwrite_push": overwrite_push}
    stmt: Executable = (
        insert(HarvestSource)
        .values(institution_id=institution.id, name=name, **values)
        .on_conflict_do_update(index_elements=["institution_id", "name"], set_=values)
        .returning(HarvestSource, literal_column("xmax = 0"))
        .execution_options(populate_existing=True)
    )
    source, created = (await session.execute(stmt)).one()
    return source, bool(created)


async def get_source(session: AsyncSession, slug: str, name: str) -> HarvestSource:
    institution = await get_institution(session, slug)
    source = await session.scalar(select(HarvestSource).where(
        HarvestSource.institution_id == institution.id, HarvestSource.name == name))
    if source is None:
        raise NotFound(f"{slug} has no harvest source {name!r}.")
    return source


async def list_sources(
    session: AsyncSession, slug: str, *, after: str | None = None, limit: int = 100
) -> tuple[list[HarvestSource], str | None]:
    """A page of one institution's sources, keyset on name."""
    institution = await get_institution(session, slug)
    rows = list(await session.scalars(
        select(HarvestSource).where(HarvestSource.institution_id == institution.id,
                                    HarvestSource.name > (after or ""))
        .order_by(HarvestSource.name).limit(limit + 1)))
    return rows[:limit], rows[limit - 1].name if len(rows) > limit else None


async def find_sources(
    session: AsyncSession, *, slug: str | None = None, name: str | None = None
) -> list[tuple[HarvestSource, str]]:
    """Sources with their institution's slug, optionally of one institution and/or name."""
    stmt = (select(HarvestSource, Institution.slug).join(Institution)
            .order_by(Institution.slug, HarvestSource.name))
    if slug is not None:
        stmt = stmt.where(HarvestSource.institution_id == (await get_institution(session, slug)).id)
    if name is not None:
        stmt = stmt.where(HarvestSource.name == name)
    return [(source, found) for source, found in await session.execute(stmt)]


async def delete_source(session: AsyncSession, slug: str, name: str) -> None:
    """Remove a source and its run history; the courses it harvested stay as they are."""
    await session.delete(await get_source(session, slug, name))
    await session.flush()


async def list_runs(
    session: AsyncSession, slug: str, name: str | None, *, after: int | None, limit: int
) -> tuple[list[tuple[HarvestRun, str]], int | None]:
    """Runs of one institution's sources (or of one), newest first, keyset on id."""
    institution = await get_institution(session, slug)
    stmt = (select(HarvestRun, HarvestSource.name).join(HarvestSource)
            .where(HarvestSource.institution_id == institution.id)
            .order_by(HarvestRun.id.desc()).limit(limit + 1))
    if name is not None:
        stmt = stmt.where(HarvestSource.id == (await get_source(session, slug, name)).id)
    if after is not None:
        stmt = stmt.where(HarvestRun.id < after)
    rows = [(run, source_name) for run, source_name in await session.execute(stmt)]
    return rows[:limit], rows[limit - 1][0].id if len(rows) > limit else None


async def get_run(session: AsyncSession, slug: str, run_id: int) -> tuple[HarvestRun, str]:
    """One run of one of the institution's sources, with the source's name."""
    institution = await get_institution(session, slug)
    found = (await session.execute(
        select(HarvestRun, HarvestSource.name).join(HarvestSource)
        .where(HarvestRun.id == run_id, HarvestSource.institution_id == institution.id))).first()
    if found is None:
        raise NotFound(f"{slug} has no harvest run {run_id}.")
    return found[0], found[1]


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
    if not _is_url(location):
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
