"""Pathways: partners define, approve and retire them; anyone reads them; learners follow them.

Approval: ``POST /api/v1/institutions/{slug}/pathways/{code}/approve`` names the pathway
like every other pathway route (``slug`` is the awarding institution); the approver is
the institution of the calling key (scope ``issue``), which must be one of the partners
the pending version names (``credentials.pathways.approve_pathway`` answers 403
otherwise). The optional body gives the ``version`` seen.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.access import LEARNER, PUBLIC, Principal, access, any_partner, partner
from api.db import DbSession
from api.state import keyring_of
from api.routes.learners import Scope, scope_of
from api.pagination import Page, check_limit, decode_cursor, encode_cursor
from api.openapi import Doc, Example
from api.openapi_schemas import REF
from catalogue.errors import Invalid
from catalogue.validation import loads_strict
from catalogue.structs import OutStruct
from credentials.pathways import (
    PathwayOut,
    approve_pathway,
    define_pathway,
    get_pathway,
    list_pathways,
    retire_pathway,
)
from credentials.progress import PathwayProgress, learner_progress
from credentials.public_pathways import PublicPathway, list_public_pathways, public_pathway

__all__ = ["LearnerPathwayController", "PathwayController", "PublicPathwayController",
           "pathway_handlers"]



_NO_NUL = "^[^\\x00]*$"
Words = Annotated[str | None, QueryParameter(
    max_length=200, pattern=_NO_NUL, description="Words of the title, description or award")]
Slug = Annotated[str | None, QueryParameter(
    max_length=32, pattern=_NO_NUL, description="Awarding institution")]
Unit = Annotated[str | None, QueryParameter(
    max_length=161, pattern=_NO_NUL, description="A course the pathway counts, slug/CODE")]
Version = Annotated[int | None, QueryParameter(
    ge=1, le=1_000_000, description="A version that was active (default: the current one)")]


def _text(name: str, value: str | None, limit: int = 200) -> str | None:
    """A free-text query parameter: bounded, and without NUL (PostgreSQL text refuses it)."""
    if value is not None and (len(value) > limit or "\x00" in value):
        raise Invalid([(f"query:{name}", f"at most {limit} characters, no NUL")])
    return value or None


def _after(cursor: str | None) -> str | None:
    value = None if not cursor else str(decode_cursor(cursor, 1)[0])
    if value is not None and "\x00" in value:
        raise Invalid([("query:cursor", "not a cursor this server issued")])
    return value


def _after_id(cursor: str | None) -> uuid.UUID | None:
    value = _after(cursor)
    try:
        return None if value is None else uuid.UUID(value)
    except ValueError:
        raise Invalid([("query:cursor", "not a cursor this server issued")]) from None


DEFINE_DOC = Doc(statuses=frozenset({409}), also={"200": "201"},  # the same body again
                 sends={200: ("Location",), 201: ("Location",)},
                 body_examples={"application/json": Example("pathway.json")}, body={
    "description": "A pathway.",
    "required": True,
    "content": {"application/json": {"schema": {"$ref": REF + "PathwayDocument"}}},
})
RETIRE_DOC = Doc(statuses=frozenset({409}))
APPROVE_DOC = Doc(statuses=frozenset({409}), body_examples={"application/json": {"version": 1}},
                  body={
    "description": "Optional: the version seen, which must be the one awaiting approval "
                   "(so nobody approves rules they have not read).",
    "required": False,
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "properties": {"version": {"type": "integer", "minimum": 1}}}}},
})


class PathwayController(Controller):
    path = "/api/v1/institutions/{slug:str}/pathways"
    tags = ("pathways",)

    @post("/", opt=access(partner("issue")), doc=DEFINE_DOC, status_code=HTTP_201_CREATED,
          summary="Define a pathway, or a new version of it (same body: no change)",
          description="Validates the document against pathway.schema.json: the courses (of "
                      "any partner) or credentials it counts and the rule that completes it. "
                      "201 with Location for a new pathway, 200 for a new version or the same "
                      "body again. A joint pathway's version waits for every partner it names "
                      "to approve it; 409 once the pathway is retired (use a new code).",
          responses={HTTP_200_OK: ResponseSpec(
              data_container=PathwayOut, description="A new version, or the same body again")})
    async def define(self, request: Request, db_session: DbSession,
                     slug: FromPath[str]) -> Response[PathwayOut]:
        defined = await define_pathway(db_session, slug, loads_strict(await request.body()),
                                       keyring=keyring_of(request.app))
        pathway = defined.pathway
        location = f"/api/v1/institutions/{slug}/pathways/{pathway.code}"
        status = HTTP_201_CREATED if defined.outcome == "created" else HTTP_200_OK
        return Response(pathway, status_code=status, headers={"Location": location})

    @get("/", opt=access(partner("issue")), summary="Our pathways, retired ones included",
         description="The pathways this institution awards, by code, a page at a time.")
    async def list(self, db_session: DbSession, slug: FromPath[str], limit: FromQuery[int] = 50,
                   cursor: FromQuery[str | None] = None) -> Page[PathwayOut]:
        items, after = await list_pathways(db_session, slug, after=_after(cursor),
                                           limit=check_limit(limit))
        return Page(items=items, next_cursor=encode_cursor([after]) if after else None)

    @get("/{code:str}", opt=access(partner("issue")),
         summary="One of our pathways: its latest body and every version's state and approvals",
         description="404 if this institution defined no pathway with this code.")
    async def read(self, db_session: DbSession, slug: FromPath[str],
                   code: FromPath[str]) -> PathwayOut:
        return await get_pathway(db_session, slug, code)

    @post("/{code:str}/retire", opt=access(partner("issue")), doc=RETIRE_DOC,
          status_code=HTTP_200_OK,
          summary="Retire a pathway: no new awards; awards made keep following their parts",
          description="Final: the pathway leaves the public catalogue and completes for no "
                      "one else; credentials already awarded stay valid. 409 if already "
                      "retired.")
    async def retire(self, db_session: DbSession, slug: FromPath[str],
                     code: FromPath[str]) -> PathwayOut:
        return await retire_pathway(db_session, slug, code)

    @post("/{code:str}/approve", opt=access(any_partner("issue")), doc=APPROVE_DOC,
          status_code=HTTP_200_OK,
          summary="Approve the pending version of a joint pathway, as one of its partners",
          description="The approving partner is the institution of the calling key (scope "
                      "`issue`); `{slug}` is the awarding institution. 403 when the key's "
                      "institution is not one of the partners the pending version names.")
    async def approve(self, request: Request, db_session: DbSession, slug: FromPath[str],
                      code: FromPath[str]) -> PathwayOut:
        raw = await request.body()
        body: Any = loads_strict(raw) if raw.strip() else {}
        if (not isinstance(body, dict) or set(body) - {"version"}
                or type(body.get("version", 1)) is not int):
            raise Invalid([("", '{"version"?: integer}')])
        principal: Principal = request.state.principal
        defined = await approve_pathway(db_session, slug, code, principal.institution,
                                        version=body.get("version"),
                                        keyring=keyring_of(request.app))
        return defined.pathway


class PublicPathwayController(Controller):
    path = "/api/v1/pathways"
    tags = ("pathways",)

    @get("/", opt=access(PUBLIC), summary="Active pathways, as catalogue items",
         description="Every pathway with an active version, as the catalogue shows it: "
                     "its title, award and the courses it counts, filtered by words, "
                     "institution or course.")
    async def list(
        self, db_session: DbSession, q: Words = None, institution: Slug = None,
        course: Unit = None,
        limit: FromQuery[int] = 20, cursor: FromQuery[str | None] = None,
    ) -> Page[PublicPathway]:
        after = _after_id(cursor)
        items, next_after = await list_public_pathways(
            db_session, q=_text("q", q), institution=_text("institution", institution),
            course=_text("course", course),
            after=None if after is None else str(after), limit=check_limit(limit))
        return Page(items=items,
                    next_cursor=encode_cursor([next_after]) if next_after else None)

    @get("/{id:str}", opt=access(PUBLIC),
         summary="A pathway as a catalogue item (its active version, or ?version=N)",
         description="404 for an unknown id, a pathway with no active version, or a version "
                     "that never was active.")
    async def read(self, db_session: DbSession, id: FromPath[str],
                   version: Version = None) -> PublicPathway:
        if version is not None and not 1 <= version <= 1_000_000:
            raise Invalid([("query:version", "must be between 1 and 1000000")])
        return await public_pathway(db_session, id, version)


class LearnerPathwayController(Controller):
    path = "/api/v1/me/pathways"
    tags = ("learners",)

    @get("/", opt=access(LEARNER),
         summary="My progress on every pathway my credentials count towards",
         description="For each pathway one of my credentials counts towards: what is done, "
                     "what is missing, and the award once complete.")
    async def mine(self, request: Request, db_session: DbSession, limit: FromQuery[int] = 20,
                   cursor: FromQuery[str | None] = None) -> LearnerPathwayPage:
        learner = request.state.learner
        items, after = await learner_progress(
            db_session, learner.email, datetime.now(UTC).date(),
            after=_after_id(cursor), limit=check_limit(limit), issuer_id=learner.institution_id)
        return LearnerPathwayPage(items=items, scope=scope_of(learner),
                                  next_cursor=encode_cursor([str(after)]) if after else None)


class LearnerPathwayPage(OutStruct, kw_only=True):
    """Progress counted on the credentials the token's institution issued (``scope``)."""

    items: list[PathwayProgress]
    next_cursor: str | None = None
    scope: Scope


def pathway_handlers() -> list[type[Controller]]:
    """The pathway controllers, for ``create_app``'s route handlers."""
    return [PathwayController, PublicPathwayController, LearnerPathwayController]

