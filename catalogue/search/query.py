"""A search as the API receives it and the result it answers: checks, filters, cursors.

``SearchQuery`` is checked field by field (``check_query`` names each bad parameter as
``query:<name>``), turned into the index's ``Filters`` and, for keyset paging, a cursor
that encodes the sort key of the last hit shown (``encode_cursor``/``decode_cursor``).
``SearchResult`` is what ``catalogue.search.results`` answers.
"""

from __future__ import annotations

import base64
import re
from datetime import date
from typing import Annotated, Literal

import msgspec

from catalogue.errors import Invalid
from catalogue.search.facets import Filters
from catalogue.search.hits import SearchHit
from catalogue.search.match import title_threshold
from catalogue.search.snapshot import Snapshot
from catalogue.structs import COURSE_TYPES, INSTITUTIONS, MODES, OutStruct, Text
from catalogue.wire import Struct

__all__ = [
    "MAX_LIMIT",
    "MAX_OFFSET",
    "MAX_QUERY",
    "SORTS",
    "FacetValue",
    "PathwayHit",
    "SearchQuery",
    "SearchResult",
    "check_query",
    "decode_cursor",
    "encode_cursor",
    "filters_of",
]

MAX_LIMIT = 100
MAX_QUERY = 500
MAX_OFFSET = 10_000
SORTS = ("relevance", "start_date", "price", "title")


class SearchQuery(Struct, frozen=True):
    """A search as the API receives it; ``offset`` serves page-numbered consumers (OOAPI)."""

    q: str | None = None
    institution: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    mode: tuple[str, ...] = ()
    city: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    microcredential: bool | None = None
    ects_min: float | None = None
    ects_max: float | None = None
    eqf: tuple[int, ...] = ()
    isced: tuple[str, ...] = ()
    price_max: float | None = None
    starts_after: date | None = None
    starts_before: date | None = None
    sort: str | None = None
    limit: int = 20
    cursor: str | None = None
    offset: int = 0
    facets: bool = True


class FacetValue(OutStruct, kw_only=True):
    value: str
    count: int


class PathwayHit(OutStruct, kw_only=True):
    """A pathway (a stack of courses leading to an award) that the query also found."""

    id: str
    institution: str
    code: str
    title: Text
    award_title: Text | None = None
    ects: float | None = None
    eqf_level: int | None = None
    url: str


class SearchResult(OutStruct, kw_only=True):
    items: list[SearchHit]
    total: int
    total_is_estimate: bool
    facets: dict[str, list[FacetValue]]
    next_cursor: str | None
    did_you_mean: str | None
    pathways: list[PathwayHit] = []
    match: Annotated[Literal["all", "partial", "none"] | None, msgspec.Meta(description=(
        "With q: 'all' when some course met every meaningful word of q, 'partial' when the "
        "courses found each met only some of them (ranked by how many and how telling; "
        "see items[].match), 'none' when nothing matched; null without q."))] = None

# --- validation --------------------------------------------------------------------------------

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_ISCED = re.compile(r"^[0-9]{2,4}$")


def check_query(query: SearchQuery, max_limit: int) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []

    def unknown(name: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
        bad = [v for v in values if v not in allowed]
        if bad:
            errors.append((f"query:{name}", f"unknown value {bad[0]!r}; one of {', '.join(allowed)}"))

    if query.q is not None and len(query.q) > MAX_QUERY:
        errors.append(("query:q", f"at most {MAX_QUERY} characters"))
    if not 1 <= query.limit <= max_limit:
        errors.append(("query:limit", f"must be between 1 and {max_limit}"))
    if not 0 <= query.offset <= MAX_OFFSET:
        errors.append(("query:offset", f"must be between 0 and {MAX_OFFSET}"))
    if query.offset and query.cursor:
        errors.append(("query:cursor", "use either a cursor or an offset"))
    unknown("institution", query.institution, INSTITUTIONS)
    unknown("mode", query.mode, MODES)
    unknown("type", query.type, COURSE_TYPES)
    if query.sort is not None:
        unknown("sort", (query.sort,), SORTS)
    if bad := [v for v in query.language if not _LANGUAGE.match(v)]:
        errors.append(("query:language", f"{bad[0]!r} is not a language code such as nl or en"))
    if bad := [v for v in query.isced if not _ISCED.match(v)]:
        errors.append(("query:isced", f"{bad[0]!r} is not an ISCED-F code such as 09 or 0913"))
    if bad := [v for v in query.city if not v.strip() or len(v) > 100]:
        errors.append(("query:city", "a city is 1 to 100 characters"))
    if bad := [v for v in query.eqf if not 1 <= v <= 8]:
        errors.append(("query:eqf", f"EQF levels are 1 to 8, not {bad[0]}"))
    for name in ("ects_min", "ects_max", "price_max"):
        value = getattr(query, name)
        if value is not None and not 0 <= value < 1e6:
            errors.append((f"query:{name}", "must be a number from 0"))
    if query.ects_min is not None and query.ects_max is not None and query.ects_min > query.ects_max:
        errors.append(("query:ects_min", "ects_min is above ects_max"))
    if query.starts_after and query.starts_before and query.starts_after > query.starts_before:
        errors.append(("query:starts_after", "starts_after is after starts_before"))
    return errors


def filters_of(query: SearchQuery) -> Filters:
    return Filters(
        institution=query.institution, language=tuple(v.lower() for v in query.language),
        mode=query.mode, city=query.city, type=query.type, microcredential=query.microcredential,
        ects_min=query.ects_min, ects_max=query.ects_max, eqf=query.eqf, isced=query.isced,
        price_max=query.price_max, starts_after=query.starts_after,
        starts_before=query.starts_before,
    )


# --- cursors -------------------------------------------------------------------------------------


def encode_cursor(sort: str, key: object, tiebreak: int) -> str:
    raw = msgspec.json.encode([sort, key, tiebreak])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, snap: Snapshot) -> tuple[float, int]:
    bad = Invalid([("query:cursor", "not a cursor this server issued for this sort")])
    try:
        values = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, msgspec.DecodeError):
        raise bad from None
    if not (isinstance(values, list) and len(values) == 3 and values[0] == sort
            and type(values[2]) is int):
        raise bad
    key = values[1]
    if sort == "title":
        if not isinstance(key, str):
            raise bad
        return title_threshold(snap, key), values[2]
    if key is None:
        return float("inf"), values[2]
    if type(key) not in (int, float):
        raise bad
    return float(key), values[2]
