"""The catalogue as Open Education API (OOAPI) v5: stored course rows out as OOAPI objects.

A read flows through the two modules of this package::

    query parameters ─ queries ─▶ checked filters and a page request; course rows read
                                  (the only database access here), totals cached
    course rows ────── mapping ─▶ OOAPI Course, CourseOffering and Organization objects,
                                  with stable ids derived from ours (UUIDv5 / position bits)

``mapping`` is pure; the API layer (``api.ooapi``) turns pages into responses.

Code outside ``catalogue.ooapi`` imports only from this module.
"""

from catalogue.ooapi.mapping import (
    CODE_TO_ISO639_1,
    ISO639_2,
    MAX_OFFERINGS,
    NAMESPACE,
    UNDETERMINED,
    Course,
    CourseOffering,
    CourseRecord,
    InstitutionRecord,
    Organization,
    Service,
    course,
    offering_candidates,
    offering_id,
    organization,
    organization_id,
    service,
)
from catalogue.ooapi.queries import (
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

__all__ = [
    "CODE_TO_ISO639_1",
    "ISO639_2",
    "LEVELS",
    "MAX_OFFERINGS",
    "MAX_QUERY",
    "MODES_OF_DELIVERY",
    "NAMESPACE",
    "ORGANIZATION_TYPES",
    "PAGE_SIZES",
    "UNDETERMINED",
    "Course",
    "CourseFilter",
    "CourseOffering",
    "CourseRecord",
    "InstitutionRecord",
    "OfferingFilter",
    "Organization",
    "OrganizationFilter",
    "Page",
    "PageRequest",
    "Service",
    "course",
    "course_by_id",
    "course_offerings",
    "course_page",
    "offering_by_id",
    "offering_candidates",
    "offering_id",
    "organization",
    "organization_id",
    "organizations",
    "service",
]

# The OOAPI objects present themselves as ``catalogue.ooapi.X``, where they lived before
# ``mapping`` was split off: OpenAPI component names such as ``Page_catalogue.ooapi.Course_``
# are derived from it and stay as published. (``mapping`` evaluates its annotations at
# class creation, so nothing resolves type hints through ``__module__``.)
for _type in (Course, CourseOffering, Organization):
    _type.__module__ = __name__
del _type
