"""Partners publish their courses: upsert, batch, withdraw, read back."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.access import partner, access
from api.db import DbSession
from api.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor
from catalogue.errors import Invalid
from catalogue.hashing import etag
from catalogue.institutions import get_institution
from catalogue.service import (
    ItemResult,
    get_course,
    list_courses,
    prepare_many,
    publish_one,
    store,
    withdraw_course,
)
from catalogue.structs import CourseOut
from catalogue.validation import MalformedJSON, loads_strict
from catalogue.wire import Struct

__all__ = ["CourseController", "BatchResult", "MAX_BATCH"]

MAX_BATCH = 10_000


class BatchResult(Struct):
    atomic: bool
    created: int
    updated: int
    unchanged: int
    invalid: int
    items: list[ItemResult]


def parse_body(raw: bytes, content_type: str) -> Any:
    """JSON, or NDJSON (one document a line) when the content type says so."""
    if "ndjson" in content_type or "jsonl" in content_type:
        docs = []
        for number, line in enumerate(raw.splitlines(), start=1):
            if line.strip():
                try:
                    docs.append(loads_strict(line))
                except MalformedJSON as exc:
                    raise MalformedJSON([
                        v.__class__(pointer=f"/{number - 1}{v.pointer}",
                                    message=f"line {number}: {v.message}")
                        for v in exc.violations
                    ]) from None
        return docs
    return loads_strict(raw)


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid([("query:limit", f"must be between 1 and {MAX_LIMIT}")])
    return limit


class CourseController(Controller):
    path = "/api/v1/institutions/{slug:str}/courses"
    tags = ["publishing"]

    @put("/{code:str}", opt=access(partner("publish")), status_code=HTTP_200_OK,
         summary="Create or update one course (idempotent)")
    async def upsert(
        self, request: Request, db_session: DbSession, slug: FromPath[str], code: FromPath[str]
    ) -> Response[CourseOut]:
        doc = parse_body(await request.body(), "application/json")
        stored, course = await publish_one(
            db_session, slug, code, doc, if_match=request.headers.get("if-match")
        )
        status = HTTP_201_CREATED if stored.status == "created" else HTTP_200_OK
        headers = {"ETag": etag(stored.hash)}
        if status == HTTP_201_CREATED:
            headers["Location"] = f"/api/v1/institutions/{slug}/courses/{code}"
        return Response(course, status_code=status, headers=headers)

    @get("/{code:str}", opt=access(partner("publish")), summary="One of our courses")
    async def read(self, db_session: DbSession, slug: FromPath[str], code: FromPath[str]) -> Response[CourseOut]:
        course = await get_course(db_session, slug, code)
        return Response(course, headers={"ETag": course.etag})

    @get("/", opt=access(partner("publish")), summary="Our courses, withdrawn ones flagged")
    async def list(
        self, db_session: DbSession, slug: FromPath[str],
        limit: FromQuery[int] = 50, cursor: FromQuery[str | None] = None,
    ) -> Page[CourseOut]:
        after = str(decode_cursor(cursor, 1)[0]) if cursor else None
        items, next_after, total = await list_courses(db_session, slug, after=after, limit=_limit(limit))
        return Page(items=items, total=total,
                    next_cursor=encode_cursor([next_after]) if next_after else None)

    @delete("/{code:str}", opt=access(partner("publish")), summary="Withdraw a course")
    async def withdraw(self, db_session: DbSession, slug: FromPath[str], code: FromPath[str]) -> None:
        await withdraw_course(db_session, slug, code)

    @post("/batch", opt=access(partner("publish")), status_code=HTTP_200_OK,
          summary="Publish up to 10,000 courses (JSON array or NDJSON)")
    async def batch(
        self, request: Request, db_session: DbSession, slug: FromPath[str],
        atomic: FromQuery[bool] = False,
    ) -> BatchResult:
        institution = await get_institution(db_session, slug)
        docs = parse_body(await request.body(), request.headers.get("content-type", ""))
        if not isinstance(docs, list):
            raise Invalid([("", "the body must be a JSON array (or NDJSON) of course documents")])
        if len(docs) > MAX_BATCH:
            raise Invalid([("", f"a batch holds at most {MAX_BATCH} courses, not {len(docs)}")])
        ready, invalid = prepare_many(docs)
        if atomic and invalid:
            raise Invalid(
                [(f"/{r.index}{v.pointer}", v.message) for r in invalid for v in r.errors or []],
                detail=f"{len(invalid)} of {len(docs)} courses are invalid; nothing was stored.",
            )
        stored = await store(db_session, institution.id, ready)
        results = invalid + [
            ItemResult(index=i, code=p.code, status=stored[p.code].status, etag=etag(p.hash))
            for i, p in _indexed(docs, ready)
        ]
        results.sort(key=lambda r: r.index)
        counts = {s: 0 for s in ("created", "updated", "unchanged", "invalid")}
        for r in results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return BatchResult(atomic=atomic, created=counts["created"], updated=counts["updated"],
                           unchanged=counts["unchanged"], invalid=counts["invalid"], items=results)


def _indexed(docs: list[Any], ready: list[Any]) -> list[tuple[int, Any]]:
    by_code = {p.code: p for p in ready}
    out = []
    for index, doc in enumerate(docs):
        code = doc.get("code") if isinstance(doc, dict) else None
        if code in by_code:
            out.append((index, by_code.pop(code)))
    return out
