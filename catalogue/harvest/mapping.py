"""Pure mappings from what partners' feeds hold to our course documents.

Nothing here fetches or stores; every function takes parsed values and returns course
documents (``schemas/course.schema.json``) that still go through ``prepare``. A value a feed
does not give stays absent: nothing is guessed. A value we cannot read (``"4,5x"`` ECTS)
is passed through unchanged, so validation reports it with its pointer instead of the
harvest silently dropping it.

**OOAPI v5** (``Course`` + ``CourseOffering``):

============================  ==============================================================
OOAPI                         course document
============================  ==============================================================
primaryCode.code (courseId)   code
name / description           title / description (``nl-*`` → nl, ``en-*`` → en; others dropped)
learningOutcomes              learning_outcomes;  admissionRequirements → prerequisites
studyLoad {ects, value}       ects (other units are not ECTS: left out)
level                         eqf_level, by the spec's "corresponds to levelOfQualification":
                              mbo 1-4 → 1-4, associate degree → 5, bachelor → 6, master → 7,
                              doctoral → 8; other levels left out
fieldsOfStudy                 isced_codes (four-digit ISCED-F codes only)
teachingLanguage              languages (ISO 639-2 ``nld`` or BCP 47 ``nl-BE`` → ``nl``), plus
                              every offering's language
modeOfDelivery                mode: online/distance-learning → online, on campus/situated →
                              presential, hybrid → hybrid; online and presential together →
                              blended
link                          url
offering primaryCode.code     offering code (else offeringId); startDate, endDate,
                              enrollEndDate → start_date, end_date, enrolment_deadline
offering addresses            city (a ``teaching`` address first, then ``visit``, then any)
priceInformation              price_eur from the ``total costs`` entry in EUR;
                              a ``STAP eligible`` entry → incentive_eligible
maxNumberStudents             capacity
============================  ==============================================================

OOAPI v5 has no course kind: ``type`` comes from the source's ``defaults`` or is ``other``.

**CSV**: one row per offering; rows sharing a ``code`` become one course with several
offerings (course fields are read from the first such row). Default column names are
``CSV_COLUMNS``; ``languages`` is ``;``-separated, decimals may use a comma.

**Source mapping** (``HarvestSource.mapping``)::

    {"columns": {"code": "Opleidingscode", ...},   # csv: our column -> their header
     "delimiter": ";",                              # csv, default ","
     "page_size": 100,                              # ooapi-v5, default 100
     "defaults": {"type": "short_course"}}          # used when a document leaves these out
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "CSV_COLUMNS",
    "DEFAULTABLE",
    "FeedError",
    "apply_defaults",
    "check_mapping",
    "csv_documents",
    "language_code",
    "ooapi_document",
]

CSV_COLUMNS = (
    "code", "type", "title_nl", "title_en", "description_nl", "description_en", "ects",
    "eqf_level", "languages", "mode", "microcredential", "url", "offering_code", "start_date",
    "end_date", "city", "campus", "price_eur", "offering_language",
)
DEFAULTABLE = ("type", "microcredential", "mode", "languages")
_OFFERING_COLUMNS = ("offering_code", "start_date", "end_date", "city", "campus", "price_eur",
                     "offering_language")
_MAPPING_KEYS = {"columns", "delimiter", "page_size", "defaults"}


class FeedError(Exception):
    """The feed could not be read completely; the harvest must write nothing."""


def check_mapping(source_type: str, mapping: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem with a source's ``mapping``, as (JSON pointer, message) pairs."""
    errors = [(f"/mapping/{k}", "unknown mapping key") for k in mapping if k not in _MAPPING_KEYS]
    columns = mapping.get("columns", {})
    if not isinstance(columns, dict) or source_type != "csv" and columns:
        errors.append(("/mapping/columns", "only a csv source maps columns, as an object"))
    else:
        for ours, theirs in columns.items():
            if ours not in CSV_COLUMNS:
                errors.append((f"/mapping/columns/{ours}", f"not one of {', '.join(CSV_COLUMNS)}"))
            elif not isinstance(theirs, str) or not theirs.strip():
                errors.append((f"/mapping/columns/{ours}", "must name a column header"))
    delimiter = mapping.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        errors.append(("/mapping/delimiter", "must be one character (not a quote or newline)"))
    page_size = mapping.get("page_size", 100)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= 1000:
        errors.append(("/mapping/page_size", "must be an integer from 1 to 1000"))
    defaults = mapping.get("defaults", {})
    if not isinstance(defaults, dict):
        errors.append(("/mapping/defaults", "must be an object"))
    else:
        errors += [(f"/mapping/defaults/{k}", f"only {', '.join(DEFAULTABLE)} may have a default")
                   for k in defaults if k not in DEFAULTABLE]
    return errors


def apply_defaults(doc: Any, defaults: Mapping[str, Any]) -> Any:
    if not isinstance(doc, dict) or not defaults:
        return doc
    return {**doc, **{k: v for k, v in defaults.items() if doc.get(k) is None}}


# --------------------------------------------------------------------------- languages

_ISO639_PAIRS = """
aar:aa abk:ab ave:ae afr:af aka:ak amh:am arg:an ara:ar asm:as ava:av aym:ay aze:az bak:ba
bel:be bul:bg bih:bh bis:bi bam:bm ben:bn bod:bo tib:bo bre:br bos:bs cat:ca che:ce cha:ch
cos:co cre:cr ces:cs cze:cs chu:cu chv:cv cym:cy wel:cy dan:da deu:de ger:de div:dv dzo:dz
ewe:ee ell:el gre:el eng:en epo:eo spa:es est:et eus:eu baq:eu fas:fa per:fa ful:ff fin:fi
fij:fj fao:fo fra:fr fre:fr fry:fy gle:ga gla:gd glg:gl grn:gn guj:gu glv:gv hau:ha heb:he
hin:hi hmo:ho hrv:hr hat:ht hun:hu hye:hy arm:hy her:hz ina:ia ind:id ile:ie ibo:ig iii:ii
ipk:ik ido:io isl:is ice:is ita:it iku:iu jpn:ja jav:jv kat:ka geo:ka kon:kg kik:ki kua:kj
kaz:kk kal:kl khm:km kan:kn kor:ko kau:kr kas:ks kur:ku kom:kv cor:kw kir:ky lat:la ltz:lb
lug:lg lim:li lin:ln lao:lo lit:lt lub:lu lav:lv mlg:mg mah:mh mri:mi mao:mi mkd:mk mac:mk
mal:ml mon:mn mar:mr msa:ms may:ms mlt:mt mya:my bur:my nau:na nob:nb nde:nd nep:ne ndo:ng
nld:nl dut:nl nno:nn nor:no nbl:nr nav:nv nya:ny oci:oc oji:oj orm:om ori:or oss:os pan:pa
pli:pi pol:pl pus:ps por:pt que:qu roh:rm run:rn ron:ro rum:ro rus:ru kin:rw san:sa srd:sc
snd:sd sme:se sag:sg sin:si slk:sk slo:sk slv:sl smo:sm sna:sn som:so sqi:sq alb:sq srp:sr
ssw:ss sot:st sun:su swe:sv swa:sw tam:ta tel:te tgk:tg tha:th tir:ti tuk:tk tgl:tl tsn:tn
ton:to tur:tr tso:ts tat:tt twi:tw tah:ty uig:ug ukr:uk urd:ur uzb:uz ven:ve vie:vi vol:vo
wln:wa wol:wo xho:xh yid:yi yor:yo zha:za zho:zh chi:zh zul:zu
"""
_ISO639_2 = dict(pair.split(":") for pair in _ISO639_PAIRS.split())
_NO_LANGUAGE = {"und", "mul", "zxx", "mis"}


def language_code(value: Any) -> str | None:
    """ISO 639-1 from ISO 639-2 (``nld``) or BCP 47 (``nl-BE``); an unknown code is kept as is."""
    if not isinstance(value, str) or not value.strip():
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    if primary in _NO_LANGUAGE:
        return None
    return _ISO639_2.get(primary, primary)


def _texts(items: Any) -> dict[str, str] | None:
    """OOAPI LanguageTypedString list → ``{"nl": ..., "en": ...}`` (first per language wins)."""
    out: dict[str, str] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            continue
        lang = language_code(item.get("language"))
        if lang in ("nl", "en") and lang not in out and item["value"].strip():
            out[lang] = item["value"].strip()
    return out or None


# --------------------------------------------------------------------------- OOAPI v5

_EQF = {"secondary vocational education 1": 1, "secondary vocational education 2": 2,
        "secondary vocational education 3": 3, "secondary vocational education 4": 4,
        "associate degree": 5, "bachelor": 6, "master": 7, "doctoral": 8}
_MODE = {"online": "online", "distance-learning": "online", "on campus": "presential",
         "situated": "presential", "hybrid": "hybrid"}
_ISCED = re.compile(r"^[0-9]{4}$")


def _mode(values: Any) -> str | None:
    found = {_MODE.get(v) for v in (values if isinstance(values, list) else [values])
             if isinstance(v, str)} - {None}
    if "hybrid" in found:
        return "hybrid"
    if found == {"online", "presential"}:
        return "blended"
    return found.pop() if found else None


def _code(entity: Mapping[str, Any], id_field: str) -> Any:
    primary = entity.get("primaryCode")
    if isinstance(primary, dict) and isinstance(primary.get("code"), str):
        return primary["code"].strip()
    return entity.get(id_field)


def _city(addresses: Any) -> str | None:
    usable = [a for a in addresses if isinstance(a, dict) and isinstance(a.get("city"), str)
              and a["city"].strip()] if isinstance(addresses, list) else []
    for kind in ("teaching", "visit", None):
        for address in usable:
            if kind is None or address.get("addressType") == kind:
                return str(address["city"]).strip()
    return None


def _prices(costs: Any) -> tuple[Any, bool | None]:
    costs = [c for c in costs if isinstance(c, dict)] if isinstance(costs, list) else []
    price = next((c.get("amount") for c in costs if c.get("costType") == "total costs"
                  and str(c.get("currency", "")).upper() == "EUR"), None)
    incentive = True if any(c.get("costType") == "STAP eligible" for c in costs) else None
    return _number(price), incentive


def _offering(o: Mapping[str, Any]) -> dict[str, Any]:
    price, incentive = _prices(o.get("priceInformation"))
    capacity = o.get("maxNumberStudents")
    fields = {
        "code": _code(o, "offeringId"),
        "start_date": o.get("startDate"),
        "end_date": o.get("endDate"),
        "enrolment_deadline": o.get("enrollEndDate"),
        "mode": _mode(o.get("modeOfDelivery")),
        "city": _city(o.get("addresses")),
        "price_eur": price,
        "incentive_eligible": incentive,
        "capacity": int(capacity) if isinstance(capacity, float) and capacity.is_integer()
        else capacity,
        "language": language_code(o.get("teachingLanguage")),
    }
    return {k: v for k, v in fields.items() if v is not None}


def ooapi_document(course: Mapping[str, Any], offerings: Iterable[Mapping[str, Any]],
                   defaults: Mapping[str, Any]) -> dict[str, Any]:
    """One OOAPI v5 Course and its CourseOfferings as a course document (see module table)."""
    load = course.get("studyLoad")
    ects = load.get("value") if isinstance(load, dict) and load.get("studyLoadUnit") == "ects" else None
    fields = course.get("fieldsOfStudy")
    isced = [f for f in (fields if isinstance(fields, list) else [fields])
             if isinstance(f, str) and _ISCED.match(f)]
    outcomes = [t for t in map(_texts, course.get("learningOutcomes") or []) if t] \
        if isinstance(course.get("learningOutcomes"), list) else []
    offers = [_offering(o) for o in offerings]
    languages = [language_code(course.get("teachingLanguage"))] + [o.get("language") for o in offers]
    doc = {
        "code": _code(course, "courseId"),
        "type": defaults.get("type", "other"),
        "title": _texts(course.get("name")),
        "description": _texts(course.get("description")),
        "learning_outcomes": outcomes or None,
        "ects": ects,
        "eqf_level": _EQF.get(level) if isinstance(level := course.get("level"), str) else None,
        "isced_codes": list(dict.fromkeys(isced)) or None,
        "languages": list(dict.fromkeys(lang for lang in languages if lang)) or None,
        "mode": _mode(course.get("modeOfDelivery")),
        "prerequisites": _texts(course.get("admissionRequirements")),
        "url": course.get("link"),
        "offerings": offers,
    }
    return apply_defaults({k: v for k, v in doc.items() if v is not None}, defaults)


# --------------------------------------------------------------------------- CSV

_TRUE = {"true", "1", "yes", "y", "ja", "j", "waar"}
_FALSE = {"false", "0", "no", "n", "nee", "onwaar"}


def _number(value: Any) -> Any:
    """A decimal from ``"4.5"`` or ``"4,5"``; anything unreadable is returned for validation."""
    if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _integer(value: str) -> Any:
    return int(value) if re.fullmatch(r"[0-9]+", value) else value


def _boolean(value: str) -> Any:
    return True if value.lower() in _TRUE else False if value.lower() in _FALSE else value


def csv_documents(header_row: list[str], rows: Iterable[list[str]], mapping: Mapping[str, Any],
                  where: str = "the CSV") -> list[dict[str, Any]]:
    """Rows (one per offering) grouped by ``code`` into course documents, in feed order."""
    header = {ours: mapping.get("columns", {}).get(ours, ours) for ours in CSV_COLUMNS}
    if header_row and header["code"] not in header_row:
        raise FeedError(f"{where} has no {header['code']!r} column")
    # A repeated header name means its last column, as csv.DictReader reads it.
    position = {name: i for i, name in enumerate(header_row)}
    at = {ours: position.get(theirs) for ours, theirs in header.items()}
    courses: dict[str, dict[str, Any]] = {}
    anonymous: list[dict[str, Any]] = []
    for row in rows:
        cell = {ours: (row[i] if i is not None and i < len(row) else "").strip() or None
                for ours, i in at.items()}
        code = cell["code"]
        doc = courses.get(code) if code else None
        if doc is None:
            doc = _csv_course(cell)
            if code:
                courses[code] = doc
            else:
                anonymous.append(doc)
        if any(cell[c] for c in _OFFERING_COLUMNS):
            doc["offerings"].append(_csv_offering(cell))
    defaults = mapping.get("defaults", {})
    return [apply_defaults(d, defaults) for d in [*courses.values(), *anonymous]]


def _csv_course(cell: Mapping[str, str | None]) -> dict[str, Any]:
    title = {lang: cell[f"title_{lang}"] for lang in ("nl", "en") if cell[f"title_{lang}"]}
    description = {lang: cell[f"description_{lang}"] for lang in ("nl", "en")
                   if cell[f"description_{lang}"]}
    languages = [language_code(p) for p in re.split(r"[;,]", cell["languages"] or "")]
    doc: dict[str, Any] = {
        "code": cell["code"],
        "type": cell["type"],
        "title": title or None,
        "description": description or None,
        "ects": _number(cell["ects"]),
        "eqf_level": _integer(cell["eqf_level"]) if cell["eqf_level"] else None,
        "languages": list(dict.fromkeys(lang for lang in languages if lang)) or None,
        "mode": cell["mode"],
        "microcredential": _boolean(cell["microcredential"]) if cell["microcredential"] else None,
        "url": cell["url"],
    }
    return {**{k: v for k, v in doc.items() if v is not None}, "offerings": []}


def _csv_offering(cell: Mapping[str, str | None]) -> dict[str, Any]:
    offering = {
        "code": cell["offering_code"],
        "start_date": cell["start_date"],
        "end_date": cell["end_date"],
        "city": cell["city"],
        "campus": cell["campus"],
        "price_eur": _number(cell["price_eur"]),
        "language": language_code(cell["offering_language"]),
    }
    return {k: v for k, v in offering.items() if v is not None}
