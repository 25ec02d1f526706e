"""The reads behind the OOAPI v5 endpoints: pages of organizations, courses and offerings.

Only non-withdrawn courses are visible. Bad parameters raise ``Invalid`` with pointers
``query:<name>`` (OOAPI answers every bad request with 400). Unknown and malformed ids
raise ``NotFound``: for a consumer both mean "no such resource".

``q`` follows the spec's definition, not the catalogue search's: "items having a name,
abbreviation or description containing the given search term (exact partial match, case
insensitive)". It is a bound ILIKE pattern, with accents folded on both sides.
"""

from __future__ import annotations

import math
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Generic, TypeVar

import msgspec
from cachetools import LRUCache
from sqlalchemy import ColumnElement, false, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from catalogue.errors import Invalid, NotFound
from catalogue.models import Course, Institution, Offering
from catalogue.ooapi import mapping as ooapi
from catalogue.structs import OutStruct
from catalogue.wire import Struct

__all__ = [
    "LEVELS",
    "MAX_QUERY",
    "MODES_OF_DELIVERY",
    "ORGANIZATION_TYPES",
    "PAGE_SIZES",
    "CourseFilter",
    "OfferingFilter",
    "OrganizationFilter",
    "Page",
    "PageRequest",
    "course_by_id",
    "course_offerings",
    "course_page",
    "offering_by_id",
    "organizations",
]

T = TypeVar("T")
PAGE_SIZES = (10, 20, 50, 100, 250)
MAX_PAGE_NUMBER = 2**31 - 1  # pageNumber is an int32
MAX_QUERY = 500
LEVELS = (
    "secondary vocational education", "secondary vocational education 1",
    "secondary vocational education 2", "secondary vocational education 3",
    "secondary vocational education 4", "associate degree", "bachelor", "master", "doctoral",
    "undefined", "undivided", "nt2-1", "nt2-2",
)
MODES_OF_DELIVERY = ("distance-learning", "on campus", "online", "hybrid", "situated")
ORGANIZATION_TYPES = ("root", "institute", "department", "faculty", "branch", "academy", "school")


class Page(OutStruct, Generic[T], rename="camel"):
    """The spec's Pagination envelope."""

    page_size: int
    page_number: int
    has_previous_page: bool
    has_next_page: bool
    total_pages: int
    items: list[T]


class PageRequest(Struct, frozen=True):
    size: int = 10
    number: int = 1

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


class OrganizationFilter(Struct, frozen=True):
    q: str | None = None
    primary_code: str | None = None
    organization_type: str | None = None
    sort: str | None = None


class CourseFilter(Struct, frozen=True):
    q: str | None = None
    primary_code: str | None = None
    teaching_language: str | None = None
    level: str | None = None
    modes_of_delivery: tuple[str, ...] = ()
    sort: str | None = None


class OfferingFilter(Struct, frozen=True):
    q: str | None = None
    teaching_language: str | None = None
    modes_of_delivery: tuple[str, ...] = ()
    result_expected: bool | None = None
    since: date | None = None
    until: date | None = None
    sort: str | None = None


# --- input ---------------------------------------------------------------------------------------


def _page_errors(page: PageRequest) -> list[tuple[str, str]]:
    errors = []
    if page.size not in PAGE_SIZES:
        errors.append(("query:pageSize", f"must be one of {', '.join(map(str, PAGE_SIZES))}"))
    if not 1 <= page.number <= MAX_PAGE_NUMBER:
        errors.append(("query:pageNumber", "must be a whole number from 1"))
    return errors


def _text_errors(name: str, value: str | None) -> list[tuple[str, str]]:
    if value is not None and (len(value) > MAX_QUERY or "\x00" in value):
        return [(f"query:{name}", f"at most {MAX_QUERY} characters, without NUL")]
    return []


def _enum_errors(name: str, values: Sequence[str], allowed: Sequence[str]) -> list[tuple[str, str]]:
    bad = [v for v in values if v not in allowed]
    return [(f"query:{name}", f"unknown value {bad[0]!r}; one of {', '.join(allowed)}")] if bad else []


def _language_errors(value: str | None) -> list[tuple[str, str]]:
    if value is not None and not (len(value) == 3 and value.isascii() and value.isalpha()
                                  and value.islower()):
        return [("query:teachingLanguage", "an ISO 639-2 code of three lower-case letters, e.g. nld")]
    return []


def _sort(raw: str | None, allowed: Sequence[str], default: str) -> list[tuple[str, bool]]:
    """``name,-courseId`` as (attribute, descending) pairs; unknown attributes are errors."""
    items = [s.strip() for s in (raw or default).split(",")]
    _raise(_enum_errors("sort", items, [*allowed, *(f"-{a}" for a in allowed)]))
    return [(s.lstrip("-"), s.startswith("-")) for s in items]


def _raise(errors: list[tuple[str, str]]) -> None:
    if errors:
        raise Invalid(errors)


def _page(items: list[T], total: int, page: PageRequest) -> Page[T]:
    pages = math.ceil(total / page.size)
    return Page(page_size=page.size, page_number=page.number, has_previous_page=page.number > 1,
                has_next_page=page.number < pages, total_pages=pages, items=items)


def _fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).casefold()


def _folded_contains(needle: str) -> Callable[[str | None], bool]:
    """In-memory twin of the SQL ``unaccent(..) ILIKE``: case and accents folded."""
    wanted = _fold(needle)
    return lambda haystack: bool(haystack) and wanted in _fold(haystack)  # type: ignore[arg-type]


# --- organizations -------------------------------------------------------------------------------


async def organizations(session: AsyncSession, f: OrganizationFilter, page: PageRequest
                        ) -> Page[ooapi.Organization]:
    """The six partners are few: filter, sort and page them in memory."""
    _raise(_page_errors(page) + _text_errors("q", f.q) + _text_errors("primaryCode", f.primary_code)
           + _enum_errors("organizationType", [f.organization_type] if f.organization_type else [],
                          ORGANIZATION_TYPES))
    sort = _sort(f.sort, ("organizationId", "name"), "name")
    rows = await session.execute(select(Institution.slug, Institution.name, Institution.short_name,
                                        Institution.website))
    orgs = [ooapi.organization(ooapi.InstitutionRecord(slug=s, name=n, short_name=sn, website=w))
            for s, n, sn, w in rows]
    if f.q is not None:
        contains = _folded_contains(f.q)
        orgs = [o for o in orgs if any(contains(n.value) for n in o.name) or contains(o.short_name)]
    if f.primary_code is not None:
        orgs = [o for o in orgs if o.primary_code.code == f.primary_code]
    if f.organization_type is not None:
        orgs = [o for o in orgs if o.organization_type == f.organization_type]
    for attribute, descending in reversed(sort):
        key: Any = (lambda o: str(o.organization_id)) if attribute == "organizationId" else (
            lambda o: o.name[0].value.casefold())
        orgs.sort(key=key, reverse=descending)
    return _page(orgs[page.offset:page.offset + page.size], len(orgs), page)


# --- courses -------------------------------------------------------------------------------------


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _title(lang: str) -> ColumnElement[str]:
    return Course.document["title"][lang].astext


def _course_conditions(f: CourseFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [~Course.withdrawn]
    if f.q:
        pattern = func.unaccent(_like(f.q))
        fields = [_title("nl"), _title("en"), Course.code,
                  Course.document["description"]["nl"].astext,
                  Course.document["description"]["en"].astext]
        conditions.append(or_(*(func.unaccent(field).ilike(pattern, escape="\\") for field in fields)))
    if f.primary_code is not None:
        conditions.append(Course.code == f.primary_code)
    if f.teaching_language is not None:
        first_offering_language = (
            select(Offering.language)
            .where(Offering.course_id == Course.id, Offering.language.is_not(None))
            .order_by(Offering.position).limit(1).scalar_subquery()
        )
        primary = func.coalesce(Course.languages[1], first_offering_language)
        if f.teaching_language == ooapi.UNDETERMINED:
            conditions.append(primary.is_(None))
        elif two := ooapi.CODE_TO_ISO639_1.get(f.teaching_language):
            conditions.append(primary == two)
        else:
            conditions.append(false())
    if f.level is not None:
        levels, unknown = ooapi.eqf_levels_for(f.level)
        conditions.append(or_(Course.eqf_level.in_(levels), Course.eqf_level.is_(None) if unknown
                              else false()))
    if f.modes_of_delivery:
        modes = ooapi.modes_for(f.modes_of_delivery)
        offered = select(Offering.course_id).where(Offering.course_id == Course.id,
                                                   Offering.mode.in_(modes)).exists()
        conditions.append(or_(Course.mode.in_(modes), offered) if modes else false())
    return conditions


_COURSE_COLUMNS = (Course.id, Course.code, Institution.slug, Course.document)


def _record(row: Any) -> ooapi.CourseRecord:
    return ooapi.CourseRecord(id=row[0], code=row[1], institution=row[2], document=row[3])


async def course_page(session: AsyncSession, f: CourseFilter, page: PageRequest
                      ) -> Page[ooapi.Course]:
    _raise(_page_errors(page) + _text_errors("q", f.q) + _text_errors("primaryCode", f.primary_code)
           + _language_errors(f.teaching_language)
           + _enum_errors("level", [f.level] if f.level else [], LEVELS)
           + _enum_errors("modeOfDelivery", f.modes_of_delivery, MODES_OF_DELIVERY))
    order = []
    for attribute, descending in _sort(f.sort, ("courseId", "name"), "name"):
        column = Course.id if attribute == "courseId" else Course.title_sort
        order.append(column.desc() if descending else column.asc())
    conditions = _course_conditions(f)
    # The page walks the (title_sort, id) index and stops when full; the total is counted
    # apart from it, on columns only unless ``q`` asks for the documents' texts.
    # Deep pages skip rows by the index alone; only the page's documents are read.
    ids = select(Course.id).where(*conditions) \
        .order_by(*order, Course.id).offset(page.offset).limit(page.size).subquery()
    rows = (await session.execute(
        select(*_COURSE_COLUMNS)
        .join(ids, ids.c.id == Course.id)
        .join(Institution, Institution.id == Course.institution_id)
        .order_by(*order, Course.id)
    )).all()
    return _page([ooapi.course(_record(r)) for r in rows],
                 await _course_total(session, f, conditions), page)


# Totals by (search stamp, filter): consumers page through the same listing, and every
# publication moves the stamp, so a remembered count is exact.
TOTALS_KEPT = 256
_TOTALS: LRUCache[tuple[int, CourseFilter], int] = LRUCache(TOTALS_KEPT)


async def _course_total(session: AsyncSession, f: CourseFilter,
                        conditions: list[ColumnElement[bool]]) -> int:
    stamp = int(await session.scalar(text("SELECT seq FROM search_state WHERE id = 1")) or 0)
    key = (stamp, msgspec.structs.replace(f, sort=None))
    total = _TOTALS.get(key)
    if total is None:
        total = int(await session.scalar(
            select(func.count()).select_from(Course).where(*conditions)) or 0)
        _TOTALS[key] = total
    return total


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {what} with id {value!r}.") from None


async def course_by_id(session: AsyncSession, course_id: str) -> ooapi.CourseRecord:
    cid = _uuid(course_id, "course")
    row = (await session.execute(
        select(*_COURSE_COLUMNS).join(Institution, Institution.id == Course.institution_id)
        .where(Course.id == cid, ~Course.withdrawn)
    )).first()
    if row is None:
        raise NotFound(f"No course with id {course_id!r}.")
    return _record(row)


# --- offerings -----------------------------------------------------------------------------------


def _offering_matches(o: ooapi.CourseOffering, f: OfferingFilter) -> bool:
    if f.since is not None and o.start_date < f.since:
        return False
    if f.until is not None and o.end_date > f.until:
        return False
    if f.result_expected is not None and o.result_expected != f.result_expected:
        return False
    if f.teaching_language is not None and o.teaching_language != f.teaching_language:
        return False
    if f.modes_of_delivery and not set(o.mode_of_delivery or ()) & set(f.modes_of_delivery):
        return False
    if f.q is not None:
        contains = _folded_contains(f.q)
        texts = [t.value for t in o.name + o.description] + [o.primary_code.code]
        return any(contains(t) for t in texts)
    return True


_OFFERING_SORT: dict[str, Callable[[ooapi.CourseOffering], Any]] = {
    "offeringId": lambda o: str(o.offering_id),
    "name": lambda o: o.name[0].value.casefold() if o.name else "",
    "startDate": lambda o: o.start_date,
    "endDate": lambda o: o.end_date,
}


async def course_offerings(session: AsyncSession, course_id: str, f: OfferingFilter,
                           page: PageRequest, *, today: date) -> Page[ooapi.CourseOffering]:
    """A course's editions (at most 200, so filtered in memory); by default those starting
    today or later, as the spec prescribes (``since`` defaults to today)."""
    _raise(_page_errors(page) + _text_errors("q", f.q) + _language_errors(f.teaching_language)
           + _enum_errors("modeOfDelivery", f.modes_of_delivery, MODES_OF_DELIVERY))
    sort = _sort(f.sort, tuple(_OFFERING_SORT), "startDate")
    record = await course_by_id(session, course_id)
    if f.since is None:
        f = msgspec.structs.replace(f, since=today)
    found = [o for o in ooapi.course_offerings(record) if _offering_matches(o, f)]
    for attribute, descending in reversed(sort):
        found.sort(key=_OFFERING_SORT[attribute], reverse=descending)
    return _page(found[page.offset:page.offset + page.size], len(found), page)


async def offering_by_id(session: AsyncSession, offering_id: str) -> ooapi.CourseOffering:
    """Reverse ``offering_id``: one primary-key look-up over its candidate course ids."""
    oid = _uuid(offering_id, "offering")
    candidates = dict(ooapi.offering_candidates(oid))
    rows = await session.execute(
        select(Offering.course_id, Offering.position)
        .join(Course, Course.id == Offering.course_id)
        .where(Offering.course_id.in_(candidates), ~Course.withdrawn)
    )
    for course_id, position in rows.all():
        if candidates.get(course_id) == position:
            record = await course_by_id(session, str(course_id))
            if (found := ooapi.offering(record, position)) is not None:
                return found
    raise NotFound(f"No offering with id {offering_id!r}.")
