"""OOAPI v5 read API for other systems (eduXchange-style consumers), public and read-only.

Errors keep our problem documents but follow OOAPI's ``Problem`` schema, whose ``status``
is a string, and its status codes (bad input is a 400, never a 422): the app's error
handlers do that for every path under ``/ooapi/`` (``api.errors``), unknown ones included.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, route
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.params import FromPath, QueryParameter

from api.access import PUBLIC, access
from api.db import DbSession
from api.openapi import Doc
from api.openapi_schemas import SPACE
from catalogue import ooapi
from catalogue.ooapi import (
    LEVELS,
    MAX_QUERY,
    MODES_OF_DELIVERY,
    ORGANIZATION_TYPES,
    PAGE_SIZES,
    CourseFilter,
    OfferingFilter,
    OrganizationFilter,
    Page,
    PageRequest,
    course_by_id,
    course_offerings,
    course_page,
    offering_by_id,
    organizations,
)

__all__ = ["OOAPI_SPECIFICATION", "OoapiController"]

# The exact file this API implements (see ../shared/standards/ooapi/SOURCES.md).
OOAPI_SPECIFICATION = ("https://raw.githubusercontent.com/open-education-api/specification/"
                       "9f79a80d18983770d59055fe2adb98b7d81e7e79/v5/ooapi.yaml")
# Placeholder until Settings carries a contact address: RFC 2142 requires every mail domain
# to accept postmaster@. Read from ``settings.ooapi_contact_email`` once that exists.
DEFAULT_CONTACT = "postmaster@academy.kuleuven.be"

Q = Annotated[str | None, QueryParameter(name="q", description="Name, code or description contains")]
PageSize = Annotated[int, QueryParameter(name="pageSize", description="10, 20, 50, 100 or 250")]
PageNumber = Annotated[int, QueryParameter(name="pageNumber")]
Consumer = Annotated[str | None, QueryParameter(name="consumer",
                                                description="Accepted; we hold no consumer-specific data")]
Sort = Annotated[str | None, QueryParameter(name="sort")]
TeachingLanguage = Annotated[str | None, QueryParameter(name="teachingLanguage")]
ModeOfDelivery = Annotated[list[str] | None, QueryParameter(name="modeOfDelivery")]
PrimaryCode = Annotated[str | None, QueryParameter(name="primaryCode")]
Expand = Annotated[str | None, QueryParameter(name="expand", description="Not supported; ids are returned")]


INT32_MAX = 2**31 - 1


def _sort(*attributes: str) -> dict[str, Any]:
    one = f"-?({'|'.join(attributes)})"
    return {"type": "string", "pattern": f"^({one}(,{one})*)?$",
            "description": f"Comma-separated, '-' for descending: {', '.join(attributes)}"}


def _comma_separated(values: tuple[str, ...]) -> str:
    one = f"[{SPACE}]*({'|'.join(values)})?[{SPACE}]*"
    return f"^{one}(,{one})*$"


_TEXT = {"type": "string", "maxLength": MAX_QUERY, "pattern": "^[^\\x00]*$"}
# The query parameters as the handlers check them (OOAPI's rules are its own).
QUERY: dict[str, dict[str, Any]] = {
    "pageSize": {"type": "integer", "enum": list(PAGE_SIZES), "default": 10},
    "pageNumber": {"type": "integer", "minimum": 1, "maximum": INT32_MAX, "default": 1},
    "q": _TEXT,
    "primaryCode": _TEXT,
    # An empty value is no filter.
    "organizationType": {"type": "string", "enum": ["", *ORGANIZATION_TYPES]},
    "level": {"type": "string", "enum": ["", *LEVELS]},
    "teachingLanguage": {"type": "string", "pattern": "^[a-z]{3}$",
                         "description": "ISO 639-2, e.g. nld"},
    # Repeated, or comma-separated; blanks are ignored.
    "modeOfDelivery": {"type": "array", "items": {
        "type": "string", "pattern": _comma_separated(MODES_OF_DELIVERY)}},
}
PARAMS = {
    "sort": "Comma-separated attributes, '-' before one for descending.",
    "primaryCode": "Only the item with this primary code (the partner's own code).",
    "organizationType": "Only organizations of this OOAPI type (empty: all).",
    "level": "Only courses of this OOAPI level, e.g. bachelor, master (empty: all).",
    "teachingLanguage": "Only this teaching language (ISO 639-2, e.g. nld).",
    "modeOfDelivery": "Only these modes of delivery: repeated, or comma-separated.",
    "resultExpected": "true: only offerings that end in a result (a grade); false: none.",
    "since": "Only offerings starting on or after this date (default: today).",
    "until": "Only offerings ending on or before this date.",
}
ORGANIZATIONS_DOC = Doc(params=PARAMS, query={**QUERY, "sort": _sort("organizationId", "name")})
COURSES_DOC = Doc(params=PARAMS, query={**QUERY, "sort": _sort("courseId", "name")})
OFFERINGS_DOC = Doc(params=PARAMS, query={**QUERY,
                                          "sort": _sort("offeringId", "name", "startDate", "endDate")})


def _modes(values: list[str] | None) -> tuple[str, ...]:
    """``modeOfDelivery`` repeated (form style) or comma-separated; both are accepted."""
    return tuple(v.strip() for value in values or () for v in value.split(",") if v.strip())


class OoapiController(Controller):
    path = "/ooapi/v5"
    tags = ["ooapi"]
    opt = {"doc": Doc(query=QUERY)}  # a handler's own Doc adds its sort orders

    @get("/", opt=access(PUBLIC), summary="OOAPI service metadata",
         description="What this OOAPI v5 endpoint is: the specification it implements, its "
                     "documentation and a contact. Read-only: organizations, courses and "
                     "offerings; errors are OOAPI problems, with the status as a string.")
    async def service(self, request: Request) -> ooapi.Service:
        settings = request.app.state.settings
        return ooapi.service(
            contact_email=getattr(settings, "ooapi_contact_email", None) or DEFAULT_CONTACT,
            specification=OOAPI_SPECIFICATION,
            documentation=f"{settings.base_url}/schema",
        )

    @get("/organizations", opt=access(PUBLIC), doc=ORGANIZATIONS_DOC,
         summary="OOAPI organizations, by name",
         description="The six partners as OOAPI organizations, filtered "
                     "and paged the OOAPI way (pageSize, pageNumber); bad parameters are 400.")
    async def organizations(
        self, db_session: DbSession, q: Q = None, primary_code: PrimaryCode = None,
        organization_type: Annotated[str | None, QueryParameter(name="organizationType")] = None,
        sort: Sort = None, page_size: PageSize = 10, page_number: PageNumber = 1,
        consumer: Consumer = None,
    ) -> Page[ooapi.Organization]:
        f = OrganizationFilter(q=q, primary_code=primary_code, organization_type=organization_type,
                               sort=sort)
        return await organizations(db_session, f, PageRequest(size=page_size, number=page_number))

    @get("/courses", opt=access(PUBLIC), doc=COURSES_DOC, summary="OOAPI courses, by name",
         description="Every published course of every partner as an OOAPI course (withdrawn "
                     "ones left out), filtered and paged the OOAPI way; bad parameters are 400.")
    async def courses(
        self, db_session: DbSession, q: Q = None, primary_code: PrimaryCode = None,
        teaching_language: TeachingLanguage = None,
        level: Annotated[str | None, QueryParameter(name="level")] = None,
        mode_of_delivery: ModeOfDelivery = None, sort: Sort = None,
        page_size: PageSize = 10, page_number: PageNumber = 1, consumer: Consumer = None,
    ) -> Page[ooapi.Course]:
        f = CourseFilter(q=q, primary_code=primary_code, teaching_language=teaching_language,
                         level=level, modes_of_delivery=_modes(mode_of_delivery), sort=sort)
        return await course_page(db_session, f, PageRequest(size=page_size, number=page_number))

    @get("/courses/{courseId:str}", opt=access(PUBLIC), summary="One OOAPI course",
         description="One published course as an OOAPI course; 404 for an unknown or "
                     "withdrawn id.")
    async def course(self, db_session: DbSession, courseId: FromPath[str],
                     expand: Expand = None) -> ooapi.Course:
        return ooapi.course(await course_by_id(db_session, courseId))

    @get("/courses/{courseId:str}/offerings", opt=access(PUBLIC), doc=OFFERINGS_DOC,
         summary="OOAPI offerings of a course, from today by default",
         description="The course's offerings (dates, places, prices) starting today or later, "
                     "or within the since/until window; 404 for an unknown course.")
    async def course_offerings(
        self, db_session: DbSession, courseId: FromPath[str],
        q: Q = None, teaching_language: TeachingLanguage = None,
        mode_of_delivery: ModeOfDelivery = None,
        result_expected: Annotated[bool | None, QueryParameter(name="resultExpected")] = None,
        since: Annotated[date | None, QueryParameter(name="since")] = None,
        until: Annotated[date | None, QueryParameter(name="until")] = None,
        sort: Sort = None, page_size: PageSize = 10, page_number: PageNumber = 1,
        consumer: Consumer = None,
    ) -> Page[ooapi.CourseOffering]:
        f = OfferingFilter(q=q, teaching_language=teaching_language,
                           modes_of_delivery=_modes(mode_of_delivery),
                           result_expected=result_expected, since=since, until=until, sort=sort)
        return await course_offerings(db_session, courseId, f,
                                      PageRequest(size=page_size, number=page_number),
                                      today=date.today())

    @get("/offerings/{offeringId:str}", opt=access(PUBLIC), summary="One OOAPI course offering",
         description="One offering of a published course; 404 for an unknown id.")
    async def offering(self, db_session: DbSession, offeringId: FromPath[str],
                       expand: Expand = None) -> ooapi.CourseOffering:
        return await offering_by_id(db_session, offeringId)

    # Without these, a wrong method or an unknown OOAPI path (e.g. /programs) would be answered
    # by the app before reaching this controller, with a problem document OOAPI does not accept.
    @route(["/", "/organizations", "/courses", "/courses/{courseId:str}",
            "/courses/{courseId:str}/offerings", "/offerings/{offeringId:str}"],
           http_method=["POST", "PUT", "PATCH", "DELETE"], opt=access(PUBLIC),
           include_in_schema=False)
    async def read_only(self, request: Request) -> None:
        raise MethodNotAllowedException(f"{request.method} is not allowed on {request.url.path}.",
                                        headers={"Allow": "GET"})

    @route("/{rest:path}", http_method=["GET", "POST", "PUT", "PATCH", "DELETE"],
           opt=access(PUBLIC), include_in_schema=False)
    async def not_implemented(self, request: Request, rest: FromPath[str]) -> None:
        raise NotFoundException(f"No resource at {request.url.path}; this server implements "
                                "the OOAPI v5 organizations, courses and offerings endpoints.")
