"""Harvest sources and their runs as rows: set, read, list and delete them.

Sources with a local file location can only be set with ``allow_files`` (the CLI); the API
accepts URLs only, so a partner key cannot make the server read its disk. A URL must be
one the ``FetchPolicy`` lets a run reach (``catalogue.harvest.net``). Everything here
flushes at most; the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import literal_column, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from catalogue.errors import Invalid, NotFound
from catalogue.harvest.mapping import check_mapping
from catalogue.harvest.net import FetchPolicy, location_problem
from catalogue.institutions import get_institution
from catalogue.models import HarvestRun, HarvestSource, Institution

__all__ = [
    "MAX_INTERVAL",
    "MIN_INTERVAL",
    "SOURCE_TYPES",
    "URL_PATTERN",
    "delete_source",
    "find_sources",
    "get_run",
    "get_source",
    "is_url",
    "list_runs",
    "list_sources",
    "put_source",
]

SOURCE_TYPES = ("ooapi-v5", "json", "csv")
MIN_INTERVAL = 5
MAX_INTERVAL = 60 * 24 * 366  # a year: longer is a typo, and the column is int32
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# What the API documents a feed URL to be (api/openapi.py, with ``\s`` spelled out): a host,
# an optional numeric port. ``[^\n]``, not ``.``, which ECMA-262 and Python read differently.
URL_PATTERN = r"^https?://[^/?#@:\[\]\s]+(:[0-9]*)?([/?#][^\n]*)?$"
_URL = re.compile(URL_PATTERN)  # fullmatch: "$" is the end, as in ECMA-262


def is_url(location: str) -> bool:
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
    elif is_url(location):
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
