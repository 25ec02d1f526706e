"""Validation of course documents against the published contract, ``schemas/course.schema.json``.

Two steps, both reporting *every* problem as a ``Violation`` (RFC 6901 JSON pointer and a
message), never just the first:

1. ``loads_strict`` turns raw bytes into JSON values and refuses what is not I-JSON
   (RFC 7493): malformed syntax, invalid UTF-8, duplicate member names, NaN/Infinity,
   and strings holding NUL or unpaired surrogates, which PostgreSQL ``jsonb`` cannot
   store anyway. It raises ``MalformedJSON`` (a 400 at the edge).
2. ``validate_course`` checks a parsed document against the JSON Schema (Draft 2020-12,
   formats ``date`` and ``uri`` enforced) and then the rules a schema cannot express:
   an offering ending before it starts, an enrolment deadline after the end, an offering
   language outside the course's languages, duplicate offering codes, and a body code
   that differs from the URL's (a 422 at the edge).

The validators are built once, over a ``referencing.Registry`` of ``schemas/``; nothing is
ever fetched from the network. The module is longer than most because the parser, the
schema's message wording and its fast-path mirror are one contract and change together.
"""

from __future__ import annotations

# The fast-path types below are built from the schema file at import; type checkers
# cannot follow that, so they see them as Any.
# mypy: disable-error-code="valid-type"
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from msgspec import Meta
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from catalogue.wire import Struct

__all__ = [
    "COURSE_SCHEMA_ID",
    "SCHEMA_DIR",
    "MalformedJSON",
    "Violation",
    "check_code",
    "loads_strict",
    "schema_registry",
    "validate_course",
]

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
COURSE_SCHEMA_ID = "https://academy.kuleuven.be/schemas/course.schema.json"
# Limits, patterns and enumerations for check_code and the fast path come from the file.
_DEFS = json.loads((SCHEMA_DIR / "course.schema.json").read_text(encoding="utf-8"))["$defs"]
_CODE = re.compile(_DEFS["codeBody"]["pattern"])


class Violation(Struct):
    """One broken rule: where (JSON pointer, ``""`` for the whole document) and what."""

    pointer: str
    message: str


class MalformedJSON(ValueError):
    """The bytes are not a single I-JSON value; ``violations`` says where and why."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("; ".join(f"{v.pointer or '/'}: {v.message}" for v in violations))

    def __reduce__(self) -> tuple[type[MalformedJSON], tuple[list[Violation]]]:
        # Raised in worker processes (batch parsing): must survive pickling.
        return type(self), (self.violations,)


# --------------------------------------------------------------------------- parsing


class _Members(dict):
    """An object whose JSON text repeated some member names (the last one wins)."""

    duplicates: list[str]


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_BAD_CHAR = re.compile(r"[\x00\ud800-\udfff]")
# Only escapes can put NUL or a lone surrogate into a decoded string: raw control
# characters are a syntax error and invalid UTF-8 is refused before decoding.
_BAD_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


def loads_strict(raw: bytes | str) -> Any:
    """Parse one JSON value, refusing anything that is not I-JSON (see module docstring)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8: {exc.reason} at byte {exc.start}"
        raise MalformedJSON([Violation(pointer="", message=msg)]) from None
    repeated = False

    def object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        repeated = True
        obj = _Members(pairs)
        obj.duplicates = [k for k, count in Counter(k for k, _ in pairs).items() if count > 1]
        return obj

    decoder = json.JSONDecoder(
        object_pairs_hook=object_pairs, parse_float=_finite, parse_constant=_no_constant
    )
    try:
        value = decoder.decode(text)
    except json.JSONDecodeError as exc:
        msg = f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise MalformedJSON([Violation(pointer="", message=msg)]) from None
    except ValueError as exc:
        raise MalformedJSON([Violation(pointer="", message=f"malformed JSON: {exc}")]) from None
    except RecursionError:
        msg = "malformed JSON: nested too deeply"
        raise MalformedJSON([Violation(pointer="", message=msg)]) from None
    walk = repeated or _BAD_ESCAPE.search(text)
    if walk and (problems := list(_parse_problems(value, []))):
        raise MalformedJSON(problems)
    return value


def _parse_problems(value: Any, path: list[str | int]) -> Iterator[Violation]:
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            yield Violation(pointer=_pointer([*path, key]), message=f"duplicate member {key!r}")
        for key, item in value.items():
            if _BAD_CHAR.search(key):
                msg = "member name holds NUL or an unpaired surrogate"
                yield Violation(pointer=_pointer([*path, key]), message=msg)
            yield from _parse_problems(item, [*path, key])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _parse_problems(item, [*path, i])
    elif isinstance(value, str) and _BAD_CHAR.search(value):
        msg = "string holds NUL or an unpaired surrogate"
        yield Violation(pointer=_pointer(path), message=msg)


# --------------------------------------------------------------------------- schema


@cache
def schema_registry() -> Registry:
    """Every ``schemas/*.schema.json``, by ``$id``; unknown URIs fail instead of being fetched."""
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((resource.id() or path.resolve().as_uri(), resource))
    return Registry().with_resources(resources).crawl()  # the default retrieve never fetches


@cache
def _validators() -> tuple[Draft202012Validator, Draft202012Validator]:
    registry = schema_registry()
    schema = registry.contents(COURSE_SCHEMA_ID)
    Draft202012Validator.check_schema(schema)
    course = Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    batch_item = course.evolve(schema={"$ref": f"{COURSE_SCHEMA_ID}#/$defs/batchItem"})
    return course, batch_item


def check_code(code: str) -> str | None:
    """Why ``code`` is not an acceptable course or offering code, or None when it is."""
    if not code:
        return "must not be empty"
    if len(code) > 128:
        return f"must be at most 128 characters long (got {len(code)})"
    if not _CODE.search(code):
        return "may only hold letters, digits, '.', '_' and '-', and not only dots"
    return None


def validate_course(doc: Any, *, code_from_url: str | None, fast: bool = True) -> list[Violation]:
    """Every violation of the course contract in ``doc``, sorted by pointer; empty when valid.

    ``code_from_url`` is the code of ``PUT .../courses/{code}``: the body may then omit
    ``code``, and a body code that differs is a violation at ``/code``. Without it (a
    batch item) the body must carry ``code``.

    With ``fast`` (the default) a document is first tried against strict msgspec types
    that accept a subset of what the schema accepts (tests check that subset property);
    only a document they refuse goes through jsonschema, which is ~25 times slower and
    names every violation. ``fast=False`` always runs jsonschema.
    """
    if not (fast and _fast_accepts(doc, needs_code=code_from_url is None)):
        course, batch_item = _validators()
        validator = batch_item if code_from_url is None else course
        found = [v for error in validator.iter_errors(doc) for v in _describe(error)]
    else:
        found = []
    if isinstance(doc, dict):
        found.extend(_semantic_violations(doc, code_from_url))
    elif code_from_url is not None and (why := check_code(code_from_url)):
        found.append(Violation(pointer="/code", message=f"the code in the URL {why}"))
    unique = {(v.pointer, v.message): v for v in found}
    return sorted(unique.values(), key=lambda v: (_sort_key(v.pointer), v.message))


# --------------------------------------------------------------------------- semantics

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: Any) -> date | None:
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _semantic_violations(doc: dict[str, Any], code_from_url: str | None) -> Iterator[Violation]:
    if code_from_url is not None:
        if why := check_code(code_from_url):
            yield Violation(pointer="/code", message=f"the code in the URL {why}")
        elif isinstance(doc.get("code"), str) and doc["code"] != code_from_url:
            msg = f"{doc['code']!r} differs from the code in the URL, {code_from_url!r}"
            yield Violation(pointer="/code", message=msg)
    languages = doc.get("languages")
    languages = [x for x in languages if isinstance(x, str)] if isinstance(languages, list) else []
    offerings = doc.get("offerings")
    if not isinstance(offerings, list):
        return
    first_use: dict[str, int] = {}
    for i, offering in enumerate(offerings):
        if not isinstance(offering, dict):
            continue
        at = f"/offerings/{i}"
        start, end = _date(offering.get("start_date")), _date(offering.get("end_date"))
        deadline = _date(offering.get("enrolment_deadline"))
        if start and end and end < start:
            yield Violation(
                pointer=f"{at}/end_date", message=f"ends ({end}) before it starts ({start})"
            )
        if deadline and end and deadline > end:
            msg = f"enrolment deadline ({deadline}) is after the end date ({end})"
            yield Violation(pointer=f"{at}/enrolment_deadline", message=msg)
        language = offering.get("language")
        if languages and isinstance(language, str) and language not in languages:
            msg = f"{language!r} is not among the course's languages ({', '.join(languages)})"
            yield Violation(pointer=f"{at}/language", message=msg)
        code = offering.get("code")
        if isinstance(code, str):
            if code in first_use:
                msg = f"duplicate offering code {code!r}, also at /offerings/{first_use[code]}"
                yield Violation(pointer=f"{at}/code", message=msg)
            else:
                first_use[code] = i


# --------------------------------------------------------------------------- messages


def _pointer(path: Any) -> str:
    """RFC 6901: ``~`` becomes ``~0`` and ``/`` becomes ``~1``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _sort_key(pointer: str) -> tuple[tuple[int, int | str], ...]:
    parts = pointer.split("/")[1:]
    # isascii: str.isdigit is also true of '³' and other digits int() refuses
    return tuple((0, int(p)) if p.isascii() and p.isdigit() else (1, p) for p in parts)


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    type(None): "null",
    int: "a number",
    float: "a number",
}
_TYPE_NAMES = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "boolean": "a boolean",
    "null": "null",
    "number": "a number",
    "integer": "an integer",
}


def _describe(error: ValidationError) -> Iterator[Violation]:
    """Turn a jsonschema error into violations with partner-readable messages."""
    path = list(error.absolute_path)
    kind, expected, instance, schema = (
        error.validator,
        error.validator_value,
        error.instance,
        error.schema,
    )
    at = _pointer(path)
    if kind == "required":
        for name in expected:
            if (
                isinstance(instance, dict)
                and name not in instance
                and error.message.startswith(repr(name))
            ):
                yield Violation(pointer=_pointer([*path, name]), message="is required")
        return
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = schema.get("properties", {})
        hint = f"; expected one of: {', '.join(known)}" if 0 < len(known) <= 5 else ""
        for name in instance:
            if name not in known:
                yield Violation(
                    pointer=_pointer([*path, name]), message=f"unknown field {name!r}{hint}"
                )
        return
    yield Violation(pointer=at, message=_message(kind, expected, instance, schema, error.message))


def _message(kind: Any, expected: Any, instance: Any, schema: dict[str, Any], fallback: str) -> str:
    described = schema.get("description")
    match kind:
        case "type":
            names = [expected] if isinstance(expected, str) else expected
            wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
            return f"must be {wanted}, not {_JSON_TYPES.get(type(instance), 'that')}"
        case "enum" if len(expected) <= 12:
            return f"{_show(instance)} is not one of: {', '.join(_show(x) for x in expected)}"
        case "enum":
            return f"{_show(instance)} is not accepted: {described or 'unknown value'}"
        case "pattern":
            return f"{_show(instance)} is not valid: {described or 'must match ' + expected}"
        case "format":
            form = {"date": "date (YYYY-MM-DD)", "uri": "absolute URI"}.get(expected, expected)
            return f"{_show(instance)} is not a valid {form}"
        case "minimum":
            return f"must be at least {expected}, not {_show(instance)}"
        case "maximum":
            return f"must be at most {expected}, not {_show(instance)}"
        case "minLength" if expected == 1:
            return "must not be empty"
        case "minLength":
            return f"must be at least {expected} characters long"
        case "maxLength":
            return f"must be at most {expected} characters long (got {len(instance)})"
        case "minItems":
            return f"must have at least {expected} item(s)"
        case "maxItems":
            return f"must have at most {expected} items (got {len(instance)})"
        case "minProperties" if set(schema.get("properties", ())) == {"nl", "en"}:
            return "must hold text in at least one language (nl or en)"
        case "uniqueItems":
            return "must not repeat items"
    return fallback if len(fallback) <= 300 else fallback[:299] + "…"


# --------------------------------------------------------------------------- fast path
# Strict msgspec types mirroring the schema, with its limits and enumerations read from
# the schema file: ~25 times faster than jsonschema on a valid document. They must never accept a document the schema refuses (the contract
# tests fuzz that); refusing more is harmless, jsonschema then decides.

_COURSE, _OFFERING = _DEFS["course"]["properties"], _DEFS["offering"]["properties"]


def _str(schema: dict[str, Any]) -> Any:
    limits = {"min_length": "minLength", "max_length": "maxLength", "pattern": "pattern"}
    return Annotated[str, Meta(**{k: schema[v] for k, v in limits.items() if v in schema})]


def _num(schema: dict[str, Any], kind: type) -> Any:
    return Annotated[kind, Meta(ge=schema["minimum"], le=schema["maximum"])]


def _list(item: Any, schema: dict[str, Any]) -> Any:
    limits = Meta(min_length=schema.get("minItems", 0), max_length=schema["maxItems"])
    return Annotated[list[item], limits]  # type: ignore[valid-type]


def _enum(values: list[Any]) -> Any:
    return Literal[tuple(v for v in values if v is not None)]


def _text(schema: dict[str, Any]) -> Any:
    body = _DEFS["textBody"]["properties"]["nl"]
    limit = schema.get("properties", {}).get("nl", {}).get("maxLength", body["maxLength"])
    item = Annotated[str, Meta(min_length=1, max_length=limit, pattern=body["pattern"])]
    return Annotated[dict[Literal["nl", "en"], item], Meta(min_length=1)]


_Code = _str(_DEFS["codeBody"])
_Url = _str(_DEFS["urlOrNull"])
_Lang = _enum(_DEFS["language"]["enum"])
_Mode = _enum(_DEFS["modeOrNull"]["enum"])
_Label = _str(_DEFS["skill"]["properties"]["label"])
_EscoUri = _str(_DEFS["skill"]["properties"]["esco_uri"])
_Price = _num(_OFFERING["price_eur"], float)
_Capacity = _num(_OFFERING["capacity"], int)
_Status = _enum(_OFFERING["status"]["enum"])
_Campus, _City = _str(_OFFERING["campus"]), _str(_OFFERING["city"])
_Type = _enum(_COURSE["type"]["enum"])
_Title, _Description = _text(_COURSE["title"]), _text({})
_Outcomes = _list(_text(_COURSE["learning_outcomes"]["items"]), _COURSE["learning_outcomes"])
_Note = _text(_COURSE["target_group"])
_Ects, _Eqf = _num(_COURSE["ects"], float), _num(_COURSE["eqf_level"], int)
_Isced = _list(_str(_COURSE["isced_codes"]["items"]), _COURSE["isced_codes"])
_Languages = _list(_Lang, _COURSE["languages"])
_Partners = _list(_enum(_DEFS["institution"]["enum"]), _COURSE["joint_partners"])
_Keywords = _list(_str(_COURSE["keywords"]["items"]), _COURSE["keywords"])


class _FastSkill(Struct):
    label: _Label
    esco_uri: _EscoUri | None = None


class _FastOffering(Struct):
    code: _Code | None = None
    start_date: date | None = None
    end_date: date | None = None
    enrolment_deadline: date | None = None
    mode: _Mode | None = None
    campus: _Campus | None = None
    city: _City | None = None
    price_eur: _Price | None = None
    incentive_eligible: bool | None = None
    capacity: _Capacity | None = None
    language: _Lang | None = None
    enrolment_url: _Url | None = None
    status: _Status | None = None


_Skills = _list(_FastSkill, _COURSE["skills"])
_Offerings = _list(_FastOffering, _COURSE["offerings"])


class _FastCourse(Struct):
    type: _Type
    title: _Title
    code: _Code | msgspec.UnsetType = msgspec.UNSET  # may be absent, never null
    description: _Description | None = None
    learning_outcomes: _Outcomes | None = None
    ects: _Ects | None = None
    eqf_level: _Eqf | None = None
    isced_codes: _Isced | None = None
    languages: _Languages | None = None
    mode: _Mode | None = None
    target_group: _Note | None = None
    prerequisites: _Note | None = None
    microcredential: bool = False
    joint_partners: _Partners | None = None
    keywords: _Keywords | None = None
    skills: _Skills | None = None
    url: _Url | None = None
    offerings: _Offerings = msgspec.field(default_factory=list)


def _fast_accepts(doc: Any, *, needs_code: bool) -> bool:
    """True only if ``doc`` certainly satisfies the schema. The keywords msgspec lacks,
    ``uniqueItems`` and ``format: uri``, are checked here by hand."""
    if not isinstance(doc, dict) or needs_code and "code" not in doc:
        return False
    try:
        course: Any = msgspec.convert(doc, _FastCourse)
    except msgspec.ValidationError:
        return False
    for values in (course.isced_codes, course.languages, course.joint_partners, course.keywords):
        if values is not None and len(set(values)) != len(values):
            return False
    uris = [course.url, *(o.enrolment_url for o in course.offerings)]
    uris += [s.esco_uri for s in course.skills or ()]
    conforms = Draft202012Validator.FORMAT_CHECKER.conforms
    return all(uri is None or conforms(uri, "uri") for uri in uris)
