"""Harvest sources of an institution, manual runs and the run history.

Partner keys may only set URLs (https, unless the server allows http) of public hosts;
local files are for operators, through ``academy sources set`` (see ``catalogue.harvest``).
A manual run is queued for the harvest worker (``catalogue.harvest.jobs``): ``POST .../run``
answers 202 at once with the run, which ``GET .../harvests/{id}`` then follows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from api.access import access, partner
from api.db import DbSession
from api.errors import problem
from api.jobs import harvest_policy
from api.pagination import Page, check_limit, decode_cursor, encode_cursor
from api.openapi import Doc, Example
from api.openapi_schemas import PYTHON_NON_SPACE, REF, SPACE
from catalogue.errors import Invalid, NotFound
from catalogue.harvest import (
    CSV_COLUMNS,
    DEFAULTABLE,
    MAX_INTERVAL,
    MIN_INTERVAL,
    PUBLIC_URL_PATTERN,
    SOURCE_TYPES,
    RunInProgress,
    delete_source,
    get_run,
    get_source,
    list_runs,
    list_sources,
    put_source,
    request_run,
)
from catalogue.models import HarvestRun, HarvestSource
from catalogue.validation import loads_strict
from catalogue.wire import Struct
from catalogue.structs import OutStruct

__all__ = ["HarvestController", "RunOut", "SourceIn", "SourceOut"]


class SourceIn(Struct):
    type: Literal["ooapi-v5", "json", "csv"]
    location: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    interval_minutes: Annotated[int, msgspec.Meta(ge=MIN_INTERVAL, le=MAX_INTERVAL)] = 1440
    mapping: dict[str, Any] = msgspec.field(default_factory=dict)
    overwrite_push: bool = False


class SourceOut(OutStruct, kw_only=True):
    institution: str
    name: str
    type: str
    location: str
    interval_minutes: int
    mapping: dict[str, Any]
    overwrite_push: bool
    next_run_at: datetime | None
    created_at: datetime


class RunOut(OutStruct, kw_only=True):
    """``status``: queued, running, then succeeded, failed (nothing written), empty or partial
    (nothing withdrawn). ``progress``: the phase (queued, fetch, offerings, store, finished)
    with ``done`` of ``total`` where known. ``errors`` say where, never what the feed held."""

    id: int
    source: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    progress: dict[str, Any] | None
    counts: dict[str, int]
    errors: list[dict[str, Any]]


def _source_out(source: HarvestSource, slug: str) -> SourceOut:
    return msgspec.convert({**_columns(source), "institution": slug}, SourceOut)


def _run_out(run: HarvestRun, source_name: str) -> RunOut:
    return msgspec.convert({**_columns(run), "source": source_name}, RunOut)


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__mapper__.column_attrs}



# SourceIn and HarvestMapping as the handler checks them (more than the Structs say).
_NON_BLANK = {"type": "string", "minLength": 1, "pattern": PYTHON_NON_SPACE}
SOURCE_EXAMPLE = {"type": "ooapi-v5", "location": "https://ooapi.example.org/ooapi/v5",
                  "interval_minutes": 1440, "overwrite_push": False}
SOURCE_DOC = Doc(sends={201: ("Location",)},
                 response_examples={200: Example("responses/harvest-source.json"),
                                    201: Example("responses/harvest-source.json")},
                 body_examples={"application/json": SOURCE_EXAMPLE}, components={
    "SourceIn": {
        "type": "object", "additionalProperties": False, "required": ["type", "location"],
        "properties": {
            "type": {"type": "string", "enum": list(SOURCE_TYPES)},
            "location": {"type": "string", "maxLength": 2048,
                         "pattern": PUBLIC_URL_PATTERN.replace(r"\s", SPACE),
                         "description": "An https URL of a public host (http only where the "
                                        "server allows it); local files only through the CLI."},
            "interval_minutes": {"type": "integer", "minimum": MIN_INTERVAL, "maximum": MAX_INTERVAL,
                                 "default": 1440},
            "mapping": {"$ref": REF + "HarvestMapping"},
            "overwrite_push": {"type": "boolean", "default": False},
        },
        # Only a csv source maps columns.
        "if": {"properties": {"type": {"const": "csv"}}},
        "then": {},
        "else": {"properties": {"mapping": {"properties": {"columns": {"maxProperties": 0}}}}},
    },
    "HarvestMapping": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "columns": {"type": "object", "propertyNames": {"enum": list(CSV_COLUMNS)},
                        "additionalProperties": _NON_BLANK,
                        "description": "Our column name -> the header in their CSV."},
            "delimiter": {"type": "string", "minLength": 1, "maxLength": 1,
                          "not": {"enum": ["\"", "\r", "\n"]}},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 1000},
            "defaults": {"type": "object", "propertyNames": {"enum": list(DEFAULTABLE)}},
        },
    },
})
RUN_DOC = Doc(statuses=frozenset({409}), responses={202: {"application/json": RunOut}},
              sends={202: ("Location",), 409: ("Location",)},
              response_examples={202: Example("responses/harvest-run.json")})
RUNS_DOC = Doc(params={"source": "Only the runs of this source (its name)."})


class HarvestController(Controller):
    path = "/api/v1/institutions/{slug:str}"
    tags = ["harvesting"]

    @put("/sources/{name:str}", opt=access(partner("publish")), doc=SOURCE_DOC,
         status_code=HTTP_200_OK,
         summary="Create or replace a harvest source (http(s) locations only)",
         description="A source is an OOAPI v5 endpoint, a JSON feed of course documents or a "
                     "CSV file (mapped by `mapping.columns`), harvested every interval_minutes. "
                     "The location must be an https URL of a public host (422 for IP literals "
                     "and local names; every address a run connects to must be public too; "
                     "files only through the CLI). overwrite_push lets the harvest replace "
                     "courses published by push or another source (skipped otherwise). 201 "
                     "with Location when new, 200 when replaced.")
    async def set_source(self, request: Request, db_session: DbSession, slug: FromPath[str],
                         name: FromPath[str], data: JSONBody[SourceIn]) -> Response[SourceOut]:
        loads_strict(await request.body())  # what msgspec lets through: duplicate keys, NUL
        source, created = await put_source(
            db_session, slug, name, data.type, data.location, data.interval_minutes,
            data.mapping, data.overwrite_push, policy=harvest_policy(request.app.state.settings))
        if created:
            return Response(_source_out(source, slug), status_code=HTTP_201_CREATED,
                            headers={"Location": f"/api/v1/institutions/{slug}/sources/{name}"})
        return Response(_source_out(source, slug))

    @get("/sources", opt=access(partner("publish")), summary="Our harvest sources",
         description="This institution's harvest sources by name, each with its next run.")
    async def sources(
        self, db_session: DbSession, slug: FromPath[str],
        limit: FromQuery[int] = 50, cursor: FromQuery[str | None] = None,
    ) -> Page[SourceOut]:
        after = str(decode_cursor(cursor, 1)[0]) if cursor else None
        rows, next_after = await list_sources(db_session, slug, after=after, limit=check_limit(limit))
        return Page(items=[_source_out(r, slug) for r in rows],
                    next_cursor=encode_cursor([next_after]) if next_after else None)

    @get("/sources/{name:str}", opt=access(partner("publish")), summary="One harvest source",
         description="The source's settings and when it runs next; 404 if there is none of "
                     "this name.")
    async def read_source(self, db_session: DbSession, slug: FromPath[str],
                         name: FromPath[str]) -> SourceOut:
        return _source_out(await get_source(db_session, slug, name), slug)

    @delete("/sources/{name:str}", opt=access(partner("publish")),
            summary="Remove a harvest source and its history (its courses stay)",
            description="Deletes the source and its run history (204); the courses it brought "
                        "in stay published (withdraw them one by one if wanted).")
    async def remove_source(self, db_session: DbSession, slug: FromPath[str],
                            name: FromPath[str]) -> None:
        await delete_source(db_session, slug, name)

    @post("/sources/{name:str}/run", opt=access(partner("publish")), doc=RUN_DOC,
          status_code=HTTP_202_ACCEPTED,
          summary="Queue a harvest of this source now (202); follow it at the Location given "
                  "(409 while a run of it is queued or running)",
          description="Queues a run for the harvest worker and answers 202 with it at once; "
                      "follow its status and progress at the Location "
                      "(GET .../harvests/{run_id}). One run of a source at a time: 409, with "
                      "the Location of the run under way, while one is queued or running.")
    async def run(self, request: Request, db_session: DbSession, slug: FromPath[str],
                  name: FromPath[str]) -> Response[Any]:
        source = await get_source(db_session, slug, name)
        try:
            run = await request_run(db_session, source)
        except RunInProgress as busy:
            path = f"/api/v1/institutions/{slug}/harvests/{busy.run_id}"
            refused = problem(409, f"Run {busy.run_id} of {name!r} is still queued or running; "
                                   f"a source runs one harvest at a time. Follow it at {path}.",
                              title="Harvest already running", headers={"Location": path},
                              request=request)
            refused.content["run"] = busy.run_id
            return refused
        return Response(_run_out(run, name), status_code=HTTP_202_ACCEPTED,
                        headers={"Location": f"/api/v1/institutions/{slug}/harvests/{run.id}"})

    @get("/harvests/{run_id:str}", opt=access(partner("publish")),
         summary="One harvest run: its status, progress, counts and errors",
         description="status goes queued, running, then succeeded, failed (nothing written), "
                     "empty or partial (nothing withdrawn); progress gives the phase and done "
                     "of total; errors say where a feed item failed, never its contents.")
    async def read_run(self, db_session: DbSession, slug: FromPath[str],
                       run_id: FromPath[str]) -> RunOut:
        # A string in the route, so that the access rule answers before the id is parsed.
        if not run_id.isdigit() or len(run_id) > 18:
            raise NotFound(f"{slug} has no harvest run {run_id!r}.")
        run, source_name = await get_run(db_session, slug, int(run_id))
        return _run_out(run, source_name)

    @get("/harvests", opt=access(partner("publish")), doc=RUNS_DOC,
         summary="Harvest runs, newest first",
         description="Every run of this institution's sources (or of one, with ?source=), "
                     "newest first, a page at a time.")
    async def runs(
        self, db_session: DbSession, slug: FromPath[str], source: FromQuery[str | None] = None,
        limit: FromQuery[int] = 50, cursor: FromQuery[str | None] = None,
    ) -> Page[RunOut]:
        after = decode_cursor(cursor, 1)[0] if cursor else None
        if after is not None and not isinstance(after, int):
            raise Invalid([("query:cursor", "not a cursor this server issued")])
        rows, next_after = await list_runs(db_session, slug, source, after=after,
                                           limit=check_limit(limit))
        return Page(items=[_run_out(run, source_name) for run, source_name in rows],
                    next_cursor=encode_cursor([next_after]) if next_after else None)
