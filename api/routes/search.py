"""Public catalogue search and autocomplete (no key needed; only live courses)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromQuery, QueryParameter

from api.access import PUBLIC, access
from api.db import DbSession
from api.state import search_index
from api.openapi import Doc
from api.openapi_schemas import PYTHON_NON_SPACE
from catalogue.search import (
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY,
    SORTS,
    SearchQuery,
    SearchResult,
    Suggestion,
    search_courses_json,
    suggest,
)
from catalogue.structs import COURSE_TYPES, INSTITUTIONS, MODES, OutStruct

__all__ = ["SearchController", "SuggestResult"]

Many = FromQuery[list[str] | None]


class SuggestResult(OutStruct, kw_only=True):
    items: list[Suggestion]


def _tuple(values: list[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


# Cross-field rules (ects_min <= ects_max, starts_after <= starts_before, a cursor or an
# offset) are the handler's, answered with 422.
SEARCH_DOC = Doc(query={
    "q": {"type": "string", "maxLength": MAX_QUERY},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    "offset": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
    "institution": {"type": "array", "items": {"enum": list(INSTITUTIONS)}},
    "mode": {"type": "array", "items": {"enum": list(MODES)}},
    "type": {"type": "array", "items": {"enum": list(COURSE_TYPES)}},
    "sort": {"type": "string", "enum": list(SORTS)},
    "language": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]{2,3}$"}},
    "isced": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{2,4}$"}},
    "city": {"type": "array", "items": {
        "type": "string", "maxLength": 100, "pattern": PYTHON_NON_SPACE}},
    "eqf": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 8}},
    **{name: {"type": "number", "minimum": 0, "exclusiveMaximum": 1e6}
       for name in ("ects_min", "ects_max", "price_max")},
})
SUGGEST_DOC = Doc(query={
    "q": {"type": "string", "maxLength": MAX_QUERY},
    "limit": {"type": "integer", "minimum": 1, "maximum": 20},
})


class SearchController(Controller):
    path = "/api/v1"
    tags = ["search"]

    @get("/courses", opt=access(PUBLIC), doc=SEARCH_DOC, summary="Search the catalogue",
         description="Web-search syntax in q: \"phrases\", -exclusions and OR are strict; "
                     "other words are soft (courses matching more of the telling words first, "
                     "partial matches listed and marked in `match`; fillers count little; a "
                     "city or institution named in q boosts, never filters). Filters, facets "
                     "counted with every other filter applied, and a keyset cursor.")
    async def search(
        self, request: Request, db_session: DbSession,
        q: FromQuery[str | None] = None,
        institution: Many = None,
        language: Many = None,
        mode: Many = None,
        city: Many = None,
        course_type: Annotated[list[str] | None, QueryParameter(name="type")] = None,
        microcredential: FromQuery[bool | None] = None,
        ects_min: FromQuery[float | None] = None,
        ects_max: FromQuery[float | None] = None,
        eqf: FromQuery[list[int] | None] = None,
        isced: Many = None,
        price_max: FromQuery[float | None] = None,
        starts_after: FromQuery[date | None] = None,
        starts_before: FromQuery[date | None] = None,
        sort: FromQuery[str | None] = None,
        limit: FromQuery[int] = 20,
        cursor: FromQuery[str | None] = None,
    ) -> Response[SearchResult]:
        query = SearchQuery(
            q=q, institution=_tuple(institution), language=_tuple(language), mode=_tuple(mode),
            city=_tuple(city), type=_tuple(course_type), microcredential=microcredential,
            ects_min=ects_min, ects_max=ects_max, eqf=tuple(eqf or ()), isced=_tuple(isced),
            price_max=price_max, starts_after=starts_after, starts_before=starts_before,
            sort=sort, limit=limit, cursor=cursor,
        )
        data = await search_courses_json(db_session, search_index(request.app.state), query)
        return Response(data, media_type=MediaType.JSON)

    @get("/suggest", opt=access(PUBLIC), doc=SUGGEST_DOC,
         summary="Autocomplete: titles, subjects, institutions")
    async def suggest(
        self, request: Request, db_session: DbSession, q: FromQuery[str] = "",
        limit: FromQuery[int] = 8,
    ) -> SuggestResult:
        items = await suggest(db_session, search_index(request.app.state), q, limit=limit)
        return SuggestResult(items=items)
