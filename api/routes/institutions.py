"""Institutions: the six partners of the Association."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.params import FromPath

from api.access import PUBLIC, access
from api.db import DbSession
from api.openapi import Doc, Example
from api.pagination import Page
from catalogue.institutions import get_institution, list_institutions
from catalogue.structs import OutStruct

__all__ = ["InstitutionController", "InstitutionOut"]


class InstitutionOut(OutStruct, kw_only=True):
    slug: str
    name: str
    short_name: str
    country: str
    website: str


class InstitutionController(Controller):
    path = "/api/v1/institutions"
    tags = ["institutions"]

    @get("/", opt=access(PUBLIC), summary="List the partner institutions",
         description="The six partners of the Association, each with its slug (the "
                     "{slug} of every other route), name and website; never paged.")
    async def list(self, db_session: DbSession) -> Page[InstitutionOut]:
        rows = await list_institutions(db_session)
        items = [msgspec.convert(r, InstitutionOut, from_attributes=True) for r in rows]
        return Page(items=items, total=len(items), next_cursor=None)

    @get("/{slug:str}", opt=access(PUBLIC), summary="One partner institution",
         doc=Doc(response_examples={200: Example("responses/institution.json")}),
         description="One partner by its slug; 404 for any other slug.")
    async def get(self, db_session: DbSession, slug: FromPath[str]) -> InstitutionOut:
        row = await get_institution(db_session, slug)
        return msgspec.convert(row, InstitutionOut, from_attributes=True)
