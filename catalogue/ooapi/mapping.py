"""Our catalogue as OOAPI v5 objects: Service, Organization, Course and CourseOffering.

Pure mapping, no I/O. The rule is the publishing contract's: a value we do not know is left
out, never guessed. Where OOAPI v5 *requires* a value we may not have, the choice is fixed
here and documented on the function that makes it:

- ``teachingLanguage`` (required, ISO 639-2): the first listed language, else the first
  offering's, else ``"und"``, ISO 639-2's own code for "undetermined".
- ``level`` (required): from the EQF level only (5 associate degree, 6 bachelor, 7 master,
  8 doctoral), otherwise ``"undefined"``. OOAPI's levels 1-4 name Dutch secondary vocational
  programmes (mbo), which none of our courses is, so EQF 1-4 is ``"undefined"`` too. The
  course type says nothing reliable about level; it and the EQF level go into ``ext``.
- ``description`` (required, at least one text): the course title when the partner gave no
  description, so the field repeats what is known instead of inventing text.
- ``resultExpected`` (required on offerings): true when completing the course earns ECTS
  credits or a micro-credential, which are only awarded on an assessed result.
- CourseOffering requires ``startDate`` and ``endDate``; an edition without both is not a
  valid courseOffering and is left out of the OOAPI view.

Ids are stable UUIDs: ``courseId`` is the course's own id; ``organizationId`` is a UUIDv5
of the institution slug; ``offeringId`` is derived from (course id, position), see
``offering_id``.
"""


import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from catalogue.structs import OutStruct

__all__ = [
    "CODE_TO_ISO639_1",
    "ISO639_2",
    "LEVELS",
    "MAX_OFFERINGS",
    "MODES_OF_DELIVERY",
    "NAMESPACE",
    "UNDETERMINED",
    "Address",
    "Cost",
    "Course",
    "CourseOffering",
    "CourseRecord",
    "IdentifierEntry",
    "InstitutionRecord",
    "LanguageTypedString",
    "Organization",
    "Service",
    "StudyLoad",
    "course",
    "course_offerings",
    "eqf_levels_for",
    "level",
    "modes_for",
    "offering",
    "offering_candidates",
    "offering_id",
    "organization",
    "organization_id",
    "service",
    "teaching_language",
]

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://academy.kuleuven.be/ooapi/v5")

# ISO 639-1 (our documents) to ISO 639-2/T (OOAPI's teachingLanguage), for every code the
# course schema accepts; generated from Debian's iso-codes 639-2 table (checked by a test).
_ISO639 = """
aa:aar ab:abk ae:ave af:afr ak:aka am:amh an:arg ar:ara as:asm av:ava ay:aym az:aze ba:bak
be:bel bg:bul bh:bih bi:bis bm:bam bn:ben bo:bod br:bre bs:bos ca:cat ce:che ch:cha co:cos
cr:cre cs:ces cu:chu cv:chv cy:cym da:dan de:deu dv:div dz:dzo ee:ewe el:ell en:eng eo:epo
es:spa et:est eu:eus fa:fas ff:ful fi:fin fj:fij fo:fao fr:fra fy:fry ga:gle gd:gla gl:glg
gn:grn gu:guj gv:glv ha:hau he:heb hi:hin ho:hmo hr:hrv ht:hat hu:hun hy:hye hz:her ia:ina
id:ind ie:ile ig:ibo ii:iii ik:ipk io:ido is:isl it:ita iu:iku ja:jpn jv:jav ka:kat kg:kon
ki:kik kj:kua kk:kaz kl:kal km:khm kn:kan ko:kor kr:kau ks:kas ku:kur kv:kom kw:cor ky:kir
la:lat lb:ltz lg:lug li:lim ln:lin lo:lao lt:lit lu:lub lv:lav mg:mlg mh:mah mi:mri mk:mkd
ml:mal mn:mon mr:mar ms:msa mt:mlt my:mya na:nau nb:nob nd:nde ne:nep ng:ndo nl:nld nn:nno
no:nor nr:nbl nv:nav ny:nya oc:oci oj:oji om:orm or:ori os:oss pa:pan pi:pli pl:pol ps:pus
pt:por qu:que rm:roh rn:run ro:ron ru:rus rw:kin sa:san sc:srd sd:snd se:sme sg:sag si:sin
sk:slk sl:slv sm:smo sn:sna so:som sq:sqi sr:srp ss:ssw st:sot su:sun sv:swe sw:swa ta:tam
te:tel tg:tgk th:tha ti:tir tk:tuk tl:tgl tn:tsn to:ton tr:tur ts:tso tt:tat tw:twi ty:tah
ug:uig uk:ukr ur:urd uz:uzb ve:ven vi:vie vo:vol wa:wln wo:wol xh:xho yi:yid yo:yor za:zha
zh:zho zu:zul
"""
ISO639_2: dict[str, str] = dict(pair.split(":") for pair in _ISO639.split())  # type: ignore[misc]
CODE_TO_ISO639_1: dict[str, str] = {three: two for two, three in ISO639_2.items()}
UNDETERMINED = "und"
MAX_OFFERINGS = 200  # the course schema's maxItems for offerings
_FIXED_BITS = (0xF << 76) | (0x3 << 62)  # UUID version nibble and variant bits

LEVELS: dict[int, str] = {5: "associate degree", 6: "bachelor", 7: "master", 8: "doctoral"}
# Our modes (EU learning-opportunity vocabulary) to OOAPI's modesOfDelivery. "project_based"
# is a way of learning, not of delivery, and has no counterpart, so it maps to nothing.
MODES_OF_DELIVERY: dict[str, str] = {
    "presential": "on campus",
    "online": "online",
    "blended": "hybrid",
    "hybrid": "hybrid",
    "work_based": "situated",
}
_TEXT_ORDER = {"nl": 0, "en": 1}
_LANGUAGE_TAGS = {"nl": "nl-BE"}  # Flemish institutions write Flemish Dutch; English is unmarked


class _Ooapi(OutStruct, omit_defaults=True, rename="camel"):
    """OOAPI wire policy: camelCase names, unknown (default) values left out."""


class LanguageTypedString(_Ooapi, kw_only=True):
    language: str | None = None
    value: str


class IdentifierEntry(_Ooapi, kw_only=True):
    code_type: str
    code: str


class StudyLoad(_Ooapi, kw_only=True):
    study_load_unit: Literal["ects"]
    value: float


class Cost(_Ooapi, kw_only=True):
    cost_type: str
    amount: str | None = None
    currency: str | None = None


class Address(_Ooapi, kw_only=True):
    address_type: Literal["teaching"]
    additional: list[LanguageTypedString] | None = None
    city: str | None = None


class Service(_Ooapi, kw_only=True):
    contact_email: str
    specification: str
    documentation: str


class Organization(_Ooapi, kw_only=True):
    organization_id: uuid.UUID
    primary_code: IdentifierEntry
    organization_type: str
    name: list[LanguageTypedString]
    short_name: str
    link: str | None = None


class Course(_Ooapi, kw_only=True):
    course_id: uuid.UUID
    primary_code: IdentifierEntry
    name: list[LanguageTypedString]
    abbreviation: str
    description: list[LanguageTypedString]
    teaching_language: str
    level: str
    study_load: StudyLoad | None = None
    mode_of_delivery: list[str] | None = None
    first_start_date: date | None = None
    fields_of_study: str | None = None
    learning_outcomes: list[list[LanguageTypedString]] | None = None
    admission_requirements: list[LanguageTypedString] | None = None
    link: str | None = None
    organization: uuid.UUID
    ext: dict[str, Any] | None = None


class CourseOffering(_Ooapi, kw_only=True):
    offering_id: uuid.UUID
    primary_code: IdentifierEntry
    offering_type: Literal["course"]
    name: list[LanguageTypedString]
    description: list[LanguageTypedString]
    teaching_language: str
    mode_of_delivery: list[str] | None = None
    max_number_students: int | None = None
    result_expected: bool
    link: str | None = None
    start_date: date
    end_date: date
    enroll_end_date: date | None = None
    addresses: list[Address] | None = None
    price_information: list[Cost] | None = None
    course: uuid.UUID
    organization: uuid.UUID
    ext: dict[str, Any] | None = None


class CourseRecord(OutStruct, frozen=True):
    """What the mapping needs of a stored course: its id, code, owner and document."""

    id: uuid.UUID
    code: str
    institution: str
    document: Mapping[str, Any]


class InstitutionRecord(OutStruct, frozen=True):
    slug: str
    name: str
    short_name: str
    website: str | None = None


# --- ids and vocabularies ------------------------------------------------------------------------


def organization_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"organization/{slug}")


@functools.cache
def _position_mask(position: int) -> int:
    # Zero where the course id's version and variant bits are, so those survive the XOR.
    return uuid.uuid5(NAMESPACE, f"offering/{position}").int & ~_FIXED_BITS


def offering_id(course_id: uuid.UUID, position: int) -> uuid.UUID:
    """The course id XOR a fixed mask per position: stable, distinct per edition, shaped like
    the course id (a version 4 UUID), and reversible. A hash (UUIDv5) of the pair could only be
    found again by hashing every offering: 330 ms for 250,000 offerings, measured; reversing
    this gives at most ``MAX_OFFERINGS`` candidate course ids for one primary-key look-up."""
    return uuid.UUID(int=course_id.int ^ _position_mask(position))


def offering_candidates(oid: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
    """Every (course id, position) that ``offering_id`` could have turned into ``oid``."""
    return [(uuid.UUID(int=oid.int ^ _position_mask(p)), p) for p in range(MAX_OFFERINGS)]


def teaching_language(code: str | None) -> str:
    return ISO639_2.get(code or "", UNDETERMINED)


def level(eqf_level: int | None) -> str:
    return LEVELS.get(eqf_level or 0, "undefined")


def eqf_levels_for(ooapi_level: str) -> tuple[list[int], bool]:
    """The EQF levels (and whether "unknown" counts) that ``level`` maps to ``ooapi_level``."""
    levels = [eqf for eqf, name in LEVELS.items() if name == ooapi_level]
    if ooapi_level == "undefined":
        return [1, 2, 3, 4], True
    return levels, False


def modes_for(modes_of_delivery: Iterable[str]) -> list[str]:
    """Our modes that map to any of ``modes_of_delivery``."""
    wanted = set(modes_of_delivery)
    return [ours for ours, theirs in MODES_OF_DELIVERY.items() if theirs in wanted]


def _modes(modes: Iterable[str | None]) -> list[str] | None:
    mapped = [MODES_OF_DELIVERY[m] for m in modes if m in MODES_OF_DELIVERY]
    return list(dict.fromkeys(mapped)) or None


def _texts(text: Mapping[str, str] | None) -> list[LanguageTypedString]:
    """Dutch first, then English: JSONB keeps no key order, so the order is ours."""
    ordered = sorted((text or {}).items(), key=lambda item: (_TEXT_ORDER.get(item[0], 9), item[0]))
    return [LanguageTypedString(language=_LANGUAGE_TAGS.get(lang, lang), value=value)
            for lang, value in ordered if value]


# --- objects -------------------------------------------------------------------------------------


def service(*, contact_email: str, specification: str, documentation: str) -> Service:
    return Service(contact_email=contact_email, specification=specification,
                   documentation=documentation)


def organization(inst: InstitutionRecord) -> Organization:
    """A partner institution. Its type is ``institute``: the catalogue aggregates six
    institutions, so none of them is the root of this endpoint, and we hold no record of
    the Association above them to present as one."""
    return Organization(
        organization_id=organization_id(inst.slug),
        primary_code=IdentifierEntry(code_type="identifier", code=inst.slug),
        organization_type="institute",
        name=[LanguageTypedString(language="nl-BE", value=inst.name)],
        short_name=inst.short_name,
        link=inst.website or None,
    )


def _primary_language(doc: Mapping[str, Any]) -> str | None:
    languages = doc.get("languages") or []
    if languages:
        return str(languages[0])
    return next((o["language"] for o in doc.get("offerings") or [] if o.get("language")), None)


def _result_expected(doc: Mapping[str, Any]) -> bool:
    return bool(doc.get("microcredential") or doc.get("type") == "microcredential"
                or doc.get("ects"))


def _description(doc: Mapping[str, Any]) -> list[LanguageTypedString]:
    return _texts(doc.get("description")) or _texts(doc.get("title"))


def course(record: CourseRecord) -> Course:
    doc = record.document
    starts = [date.fromisoformat(o["start_date"]) for o in doc.get("offerings") or []
              if o.get("start_date")]
    outcomes = [t for t in (_texts(o) for o in doc.get("learning_outcomes") or []) if t]
    isced = list(doc.get("isced_codes") or [])
    languages = [teaching_language(code) for code in doc.get("languages") or []]
    ext = {
        "courseType": doc.get("type"),
        "microcredential": bool(doc.get("microcredential")),
        "eqfLevel": doc.get("eqf_level"),
        "teachingLanguages": languages if len(languages) > 1 else None,
        "fieldsOfStudy": isced if len(isced) > 1 else None,
    }
    ects = doc.get("ects")
    return Course(
        course_id=record.id,
        primary_code=IdentifierEntry(code_type="identifier", code=record.code),
        name=_texts(doc.get("title")),
        abbreviation=record.code,
        description=_description(doc),
        teaching_language=teaching_language(_primary_language(doc)),
        level=level(doc.get("eqf_level")),
        study_load=StudyLoad(study_load_unit="ects", value=ects) if ects is not None else None,
        mode_of_delivery=_modes([doc.get("mode"), *(o.get("mode") for o in doc.get("offerings") or [])]),
        first_start_date=min(starts) if starts else None,
        fields_of_study=isced[0] if isced else None,
        learning_outcomes=outcomes or None,
        admission_requirements=_texts(doc.get("prerequisites")) or None,
        link=doc.get("url"),
        organization=organization_id(record.institution),
        ext={k: v for k, v in ext.items() if v is not None},
    )


def _price(value: float | None) -> list[Cost] | None:
    if value is None:
        return None
    amount = f"{Decimal(str(value)).quantize(Decimal('0.01'))}"
    # The contract defines price_eur as the participation fee, VAT included: the total cost.
    return [Cost(cost_type="total costs", amount=amount, currency="EUR")]


def _address(o: Mapping[str, Any]) -> list[Address] | None:
    if not (o.get("city") or o.get("campus")):
        return None
    # The campus name's language is not known, so it carries none.
    campus = [LanguageTypedString(value=o["campus"])] if o.get("campus") else None
    return [Address(address_type="teaching", city=o.get("city"), additional=campus)]


def offering(record: CourseRecord, position: int) -> CourseOffering | None:
    """The ``position``-th edition of the course, or None when it lacks a start or end date."""
    editions: Sequence[Mapping[str, Any]] = record.document.get("offerings") or []
    if not 0 <= position < len(editions):
        return None
    o, doc = editions[position], record.document
    if not (o.get("start_date") and o.get("end_date")):
        return None
    oid = offering_id(record.id, position)
    code = (IdentifierEntry(code_type="offeringCode", code=o["code"]) if o.get("code")
            else IdentifierEntry(code_type="uuid", code=str(oid)))
    return CourseOffering(
        offering_id=oid,
        primary_code=code,
        offering_type="course",
        name=_texts(doc.get("title")),
        description=_description(doc),
        teaching_language=teaching_language(o.get("language") or _primary_language(doc)),
        mode_of_delivery=_modes([o.get("mode") or doc.get("mode")]),
        max_number_students=o.get("capacity"),
        result_expected=_result_expected(doc),
        link=o.get("enrolment_url"),
        start_date=date.fromisoformat(o["start_date"]),
        end_date=date.fromisoformat(o["end_date"]),
        enroll_end_date=date.fromisoformat(o["enrolment_deadline"]) if o.get("enrolment_deadline") else None,
        addresses=_address(o),
        price_information=_price(o.get("price_eur")),
        course=record.id,
        organization=organization_id(record.institution),
        ext={"status": o["status"]} if o.get("status") else None,
    )


def course_offerings(record: CourseRecord) -> list[CourseOffering]:
    """Every edition that is a valid courseOffering, in the document's order."""
    found = (offering(record, i) for i in range(len(record.document.get("offerings") or [])))
    return [o for o in found if o is not None]
