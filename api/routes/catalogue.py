"""Partners publish their courses: upsert, batch, withdraw, read back."""

from __future__ import annotations

import json

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.access import partner, access
from api.db import DbSession
from api.pagination import Page, check_limit, decode_cursor, encode_cursor
from api.openapi import Doc, Example
from api.openapi_schemas import REF
from catalogue.errors import Invalid
from catalogue.hashing import etag
from catalogue.institutions import get_institution
from catalogue.courses import get_course, list_courses
from catalogue.service import (
    MAX_BATCH,
    ItemResult,
    prepare_raw,
    publish_one,
    store_rows,
    withdraw_course,
)
from catalogue.structs import CourseOut
from catalogue.validation import MalformedJSON, Violation, loads_strict
from catalogue.wire import Struct

EMPTY_BATCH = ("the batch holds no item: send a JSON array or NDJSON of one or more documents "
               "(to withdraw courses, DELETE each)")

__all__ = ["BatchResult", "CourseController", "MAX_BATCH"]

OFFLOAD_BYTES = 256 * 1024  # bigger batch bodies are parsed and validated in a worker process


class BatchResult(Struct):
    atomic: bool
    created: int
    updated: int
    unchanged: int
    invalid: int
    items: list[ItemResult]



def _without_code(doc: dict[str, object]) -> dict[str, object]:
    doc.pop("code", None)
    return doc


UPSERT_DOC = Doc(statuses=frozenset({412}), headers=frozenset({"If-Match"}),
                 sends={200: ("ETag",), 201: ("ETag", "Location")},
                 response_examples={200: Example("responses/course.json"),
                                    201: Example("responses/course.json")},
                 body_examples={"application/json": Example("course-ucll-microcredential.json",
                                                            _without_code)}, body={
    "description": "A course document; the code comes from the URL.",
    "required": True,
    "content": {"application/json": {"schema": {"$ref": REF + "CourseUpsert"}}},
})
READ_DOC = Doc(sends={200: ("ETag",)}, response_examples={200: Example("responses/course.json")})
BATCH_DOC = Doc(response_examples={200: Example("responses/course-batch.json")}, params={"atomic": "true: store every course or none (422 naming each invalid "
                                  "one); false (default): store the valid ones, report the rest."},
                body_examples={"application/json": Example("courses.ndjson", lambda text: [
                                   json.loads(line) for line in text.splitlines() if line.strip()]),
                               "application/x-ndjson": Example("courses.ndjson")}, body={
    "description": "Up to 10,000 course documents, each with its code: a JSON array, "
                   "or NDJSON (one document a line).",
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": REF + "CourseBatch"}},
        "application/x-ndjson": {"schema": {"$ref": REF + "CourseBatch"}},
    },
})


class CourseController(Controller):
    path = "/api/v1/institutions/{slug:str}/courses"
    tags = ["publishing"]

    @put("/{code:str}", opt=access(partner("publish")), doc=UPSERT_DOC, status_code=HTTP_200_OK,
         summary="Create or update one course (idempotent)",
         description="Validates the document against course.schema.json and stores it under "
                     "the code in the URL: 201 with Location when new, 200 when updated or "
                     "unchanged (the same body again changes nothing). The ETag answered is "
                     "the version; send it back as If-Match to update only that version (412 "
                     "if someone changed it since). Publishing again a withdrawn course "
                     "brings it back. 422 lists every violation by JSON pointer.")
    async def upsert(
        self, request: Request, db_session: DbSession, slug: FromPath[str], code: FromPath[str]
    ) -> Response[CourseOut]:
        doc = loads_strict(await request.body())
        stored, course = await publish_one(
            db_session, slug, code, doc, if_match=request.headers.get("if-match")
        )
        status = HTTP_201_CREATED if stored.status == "created" else HTTP_200_OK
        headers = {"ETag": etag(stored.hash)}
        if status == HTTP_201_CREATED:
            headers["Location"] = f"/api/v1/institutions/{slug}/courses/{code}"
        return Response(course, status_code=status, headers=headers)

    @get("/{code:str}", opt=access(partner("publish")), doc=READ_DOC,
         summary="One of our courses",
         description="The course as stored, with its ETag (withdrawn courses too, flagged); "
                     "404 if this institution never published this code.")
    async def read(self, db_session: DbSession, slug: FromPath[str], code: FromPath[str]) -> Response[CourseOut]:
        course = await get_course(db_session, slug, code)
        return Response(course, headers={"ETag": course.etag})

    @get("/", opt=access(partner("publish")), summary="Our courses, withdrawn ones flagged",
         description="Every course this institution published, by code, a page at a time; "
                     "total counts them all.")
    async def list(
        self, db_session: DbSession, slug: FromPath[str],
        limit: FromQuery[int] = 50, cursor: FromQuery[str | None] = None,
    ) -> Page[CourseOut]:
        after = str(decode_cursor(cursor, 1)[0]) if cursor else None
        items, next_after, total = await list_courses(db_session, slug, after=after, limit=check_limit(limit))
        return Page(items=items, total=total,
                    next_cursor=encode_cursor([next_after]) if next_after else None)

    @delete("/{code:str}", opt=access(partner("publish")), summary="Withdraw a course",
            description="Takes the course out of search and OOAPI (204). Credentials already "
                        "issued for it stay valid; PUT the course again to bring it back.")
    async def withdraw(self, db_session: DbSession, slug: FromPath[str], code: FromPath[str]) -> None:
        await withdraw_course(db_session, slug, code)

    @post("/batch", opt={**access(partner("publish")), "ndjson": True}, doc=BATCH_DOC,
          status_code=HTTP_200_OK,
          summary="Publish up to 10,000 courses (JSON array or NDJSON)",
          description="Each document carries its code. By default every valid course is "
                      "stored and each item reports created, updated, unchanged or invalid "
                      "(with its errors); with atomic=true one invalid item rejects the "
                      "batch (422) and nothing is stored. An empty batch is 400.")
    async def batch(
        self, request: Request, db_session: DbSession, slug: FromPath[str],
        atomic: FromQuery[bool] = False,
    ) -> BatchResult:
        institution = await get_institution(db_session, slug)
        raw = await request.body()
        content_type = request.headers.get("content-type", "")
        if len(raw) >= OFFLOAD_BYTES:
            rows, invalid, indexes = await request.app.state.cpu_pool.run(prepare_raw, raw, content_type)
        else:
            rows, invalid, indexes = prepare_raw(raw, content_type)
        if not invalid and not indexes:
            raise MalformedJSON([Violation("", EMPTY_BATCH)])
        if atomic and invalid:
            raise Invalid(
                [(f"/{r.index}{v.pointer}", v.message) for r in invalid for v in r.errors or []],
                detail=f"{len(invalid)} of {len(invalid) + len(indexes)} courses are invalid; "
                       "nothing was stored.",
            )
        stored = await store_rows(db_session, institution.id, rows)
        results = invalid + [
            ItemResult(index=i, code=code, status=stored[code].status, etag=etag(hash_))
            for i, code, hash_ in zip(indexes, rows.codes, rows.hashes)
        ]
        results.sort(key=lambda r: r.index)
        counts = dict.fromkeys(("created", "updated", "unchanged", "invalid", "skipped"), 0)
        for r in results:
            counts[r.status] += 1
        return BatchResult(atomic=atomic, created=counts["created"], updated=counts["updated"],
                           unchanged=counts["unchanged"], invalid=counts["invalid"], items=results)
