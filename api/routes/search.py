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
SEARCH_PARAMS = {
    "q": "Words to find in titles, descriptions, outcomes and subjects: \"a phrase\", "
         "-excluded, a OR b; other words are soft (more matched ranks higher).",
    "institution": "Only these partners (repeat the parameter for several).",
    "language": "Only courses taught in these languages (codes as in the course documents, e.g. nl, en).",
    "mode": "Only these modes of delivery (repeatable).",
    "city": "Only courses given in these cities (repeatable).",
    "type": "Only these course types (repeatable).",
    "microcredential": "true: only microcredentials; false: none.",
    "ects_min": "At least this many ECTS credits.",
    "ects_max": "At most this many ECTS credits (not below ects_min: 422).",
    "eqf": "Only these EQF levels, 1 to 8 (repeatable).",
    "isced": "Only these ISCED-F field codes (repeatable).",
    "price_max": "At most this price in euro.",
    "starts_after": "Only courses with an offering starting on or after this date.",
    "starts_before": "Only courses with an offering starting on or before this date.",
    "sort": "The order: relevance, start_date, price or title.",
    "limit": f"How many courses a page holds (1 to {MAX_LIMIT}, default 20).",
}
SEARCH_DOC = Doc(params=SEARCH_PARAMS, query={
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
SUGGEST_DOC = Doc(params={"q": "What the user typed so far.",
                          "limit": "How many suggestions (1 to 20, default 8)."}, query={
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
         summary="Autocomplete: titles, subjects, institutions",
         description="Suggestions for a search box as the user types: course titles, "
                     "subjects and institutions starting with (or containing) the words in q; "
                     "an empty q suggests nothing.")
    async def suggest(
        self, request: Request, db_session: DbSession, q: FromQuery[str] = "",
        limit: FromQuery[int] = 8,
    ) -> SuggestResult:
        items = await suggest(db_session, search_index(request.app.state), q, limit=limit)
        return SuggestResult(items=items)
