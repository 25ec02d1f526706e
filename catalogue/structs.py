"""Wire types of the catalogue: a course as stored after validation, and as read back.

Field names are the published contract of ``schemas/course.schema.json``. Input types
omit defaults, so a stored document only holds what the partner said; output types show
every field, a missing value as an explicit null.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal, get_args

import msgspec

from catalogue.wire import Struct

__all__ = [
    "COURSE_TYPES",
    "INSTITUTIONS",
    "MODES",
    "OFFERING_STATUSES",
    "CourseIn",
    "CourseOut",
    "CourseType",
    "InstitutionSlug",
    "Mode",
    "OfferingIn",
    "OfferingOut",
    "OfferingStatus",
    "OutStruct",
    "Skill",
    "SkillOut",
    "Text",
    "to_course_in",
    "to_document",
]

CourseType = Literal["postgraduate", "short_course", "microcredential", "module", "other"]
Mode = Literal["presential", "online", "blended", "hybrid", "work_based", "project_based"]
OfferingStatus = Literal["planned", "open", "full", "cancelled"]
InstitutionSlug = Literal["kuleuven", "luca", "odisee", "thomasmore", "ucll", "vives"]
Text = dict[str, str]
"""Text keyed by language code: ``{"nl": "...", "en": "..."}``."""

COURSE_TYPES: tuple[str, ...] = get_args(CourseType)
MODES: tuple[str, ...] = get_args(Mode)
OFFERING_STATUSES: tuple[str, ...] = get_args(OfferingStatus)
INSTITUTIONS: tuple[str, ...] = get_args(InstitutionSlug)


class OutStruct(msgspec.Struct, kw_only=True, gc=False):
    """Base for read models: every field is encoded, so an unknown value reads as null.

    Read models are trees, never cycles, so the cyclic collector need not track them
    (``gc=False``): caches full of them cost no collector time.
    """


class Skill(Struct):
    label: str
    esco_uri: str | None = None


class OfferingIn(Struct):
    code: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    enrolment_deadline: date | None = None
    mode: Mode | None = None
    campus: str | None = None
    city: str | None = None
    price_eur: float | None = None
    incentive_eligible: bool | None = None
    capacity: int | None = None
    language: str | None = None
    enrolment_url: str | None = None
    status: OfferingStatus | None = None


class CourseIn(Struct):
    code: str
    type: CourseType
    title: Text
    description: Text | None = None
    learning_outcomes: list[Text] | None = None
    ects: float | None = None
    eqf_level: int | None = None
    isced_codes: list[str] | None = None
    languages: list[str] | None = None
    mode: Mode | None = None
    target_group: Text | None = None
    prerequisites: Text | None = None
    microcredential: bool = False
    joint_partners: list[InstitutionSlug] | None = None
    keywords: list[str] | None = None
    skills: list[Skill] | None = None
    url: str | None = None
    offerings: list[OfferingIn] = msgspec.field(default_factory=list)


class SkillOut(OutStruct):
    label: str
    esco_uri: str | None = None


class OfferingOut(OutStruct):
    code: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    enrolment_deadline: date | None = None
    mode: Mode | None = None
    campus: str | None = None
    city: str | None = None
    price_eur: float | None = None
    incentive_eligible: bool | None = None
    capacity: int | None = None
    language: str | None = None
    enrolment_url: str | None = None
    status: OfferingStatus | None = None


class CourseOut(OutStruct, kw_only=True):
    """A course as read back: the published fields plus owner and provenance.

    ``source`` is ``"push"`` for documents published through the API, otherwise the
    name of the harvest source (or ``"demo"``). ``etag`` is the quoted HTTP entity tag.
    """

    institution: InstitutionSlug
    code: str
    type: CourseType
    title: Text
    description: Text | None = None
    learning_outcomes: list[Text] | None = None
    ects: float | None = None
    eqf_level: int | None = None
    isced_codes: list[str] | None = None
    languages: list[str] | None = None
    mode: Mode | None = None
    target_group: Text | None = None
    prerequisites: Text | None = None
    microcredential: bool = False
    joint_partners: list[InstitutionSlug] | None = None
    keywords: list[str] | None = None
    skills: list[SkillOut] | None = None
    url: str | None = None
    offerings: list[OfferingOut] = msgspec.field(default_factory=list)
    withdrawn: bool = False
    source: str
    first_seen: datetime
    last_changed: datetime
    content_hash: str
    etag: str


def to_course_in(doc: Mapping[str, Any], *, code: str | None = None) -> CourseIn:
    """Convert a document that passed ``validate_course`` into a ``CourseIn``.

    ``code`` (from the URL on PUT) wins over a code in the body; they are equal anyway
    once validation passed. Lax conversion only matters for integers written as ``3.0``,
    which JSON Schema accepts as integers.
    """
    data = dict(doc) if code is None else {**doc, "code": code}
    return msgspec.convert(data, CourseIn, strict=False)


def to_document(course: CourseIn) -> dict[str, Any]:
    """The JSON-ready document to store: what the partner said, nulls and defaults left out."""
    return msgspec.to_builtins(course)
