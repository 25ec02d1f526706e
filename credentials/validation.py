"""JSON Schema validation of the credential contracts, with messages that name EU elements.

Every ``schemas/*.schema.json`` and the official Open Badges 3.0 AchievementCredential
schema (``schemas/ob3/``, Draft 2019-09, registered under its purl ``$id``) are loaded
once, on first use, into one :class:`referencing.Registry`. The registry has no
retriever: a ``$ref`` that is not in it fails instead of reaching the network.

Each ``validate_*`` function returns every :class:`Violation` (a JSON pointer into the
document and a message), sorted by pointer; an empty list means valid. Messages about
the mandatory and optional elements of Annex I of the Council Recommendation on
micro-credentials (2022/C 243/02) start with the element's name, see
:data:`EU_ELEMENTS`. Beyond the schemas, the grade is checked against its declared
scale (:func:`credentials.rules.normalise_grade`): it must lie on the scale and not
below its pass mark, since a micro-credential records learning outcomes achieved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator, Draft202012Validator, ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from catalogue.structs import OutStruct
from credentials.rules import GradeError, normalise_grade

__all__ = [
    "EU_ELEMENTS",
    "MANDATORY_EU_ELEMENTS",
    "MICROCREDENTIAL_SCHEMA",
    "OB3_SCHEMA",
    "PATHWAY_SCHEMA",
    "Violation",
    "registry",
    "validate_issuance_request",
    "validate_ob3",
    "validate_pathway",
    "validate_resolved",
]

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
BASE = "https://academy.kuleuven.be/schemas/"
MICROCREDENTIAL_SCHEMA = BASE + "microcredential.schema.json"
PATHWAY_SCHEMA = BASE + "pathway.schema.json"
OB3_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/"
    "ob_v3p0_achievementcredential_schema.json"
)
OB3_FILE = SCHEMAS / "ob3" / "ob_v3p0_achievementcredential_schema.json"
MAX_RULE_DEPTH = 12

MANDATORY_EU_ELEMENTS: Mapping[str, str] = {
    "/learner": "identification of the learner",
    "/title": "title of the micro-credential",
    "/country": "country of the issuer",
    "/awarding_body": "awarding body",
    "/issued_on": "date of issuing",
    "/learning_outcomes": "learning outcomes",
    "/ects": "notional workload in ECTS",
    "/eqf_level": "EQF level",
    "/assessment": "type of assessment",
    "/assessment/type": "type of assessment",
    "/participation": "form of participation",
    "/quality_assurance": "type of quality assurance",
}
"""Pointer in a request or resolved document -> the mandatory Annex I element it carries."""

EU_ELEMENTS: Mapping[str, str] = {
    **MANDATORY_EU_ELEMENTS,
    "/prerequisites": "prerequisites needed to enrol",
    "/assessment/supervision": "supervision and identity verification",
    "/identity_verification": "supervision and identity verification",
    "/assessment/grade": "grade achieved",
    "/assessment/grade_scale": "grade achieved",
    "/stackability": "integration/stackability options",
    "/parts": "integration/stackability options",
    "/further_information": "further information",
}
"""Pointer -> Annex I element (mandatory and optional); messages use the longest match."""

_FORMATS = {
    "email": "is not a valid email address",
    "date": "is not a valid date (YYYY-MM-DD)",
    "iri": "is not an absolute IRI",
}
_UNEXPECTED = re.compile(r"\((.*) (?:was|were) unexpected\)")


class Violation(OutStruct, frozen=True):
    """One reason a document is invalid: where (a JSON pointer) and why."""

    pointer: str
    message: str


@cache
def registry() -> Registry:
    """All our schemas and the OB3 schema, keyed by ``$id``; built once, never fetches."""
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        contents = json.loads(path.read_bytes())
        uri = contents.get("$id", BASE + path.name)
        resources.append((uri, Resource.from_contents(contents, default_specification=DRAFT202012)))
    ob3 = json.loads(OB3_FILE.read_bytes())
    resources.append((ob3["$id"], Resource.from_contents(ob3)))
    return Registry().with_resources(resources).crawl()


@cache
def _validator(uri: str) -> Validator:
    cls = Draft201909Validator if uri == OB3_SCHEMA else Draft202012Validator
    return cls({"$ref": uri}, registry=registry(), format_checker=cls.FORMAT_CHECKER)


def validate_issuance_request(doc: Any) -> list[Violation]:
    """Check a partner's issuance request (``$defs/request``), naming missing EU elements."""
    violations = _check(MICROCREDENTIAL_SCHEMA, doc, EU_ELEMENTS)
    return _finish(violations, _semantic(doc, violations))


def validate_resolved(doc: Any) -> list[Violation]:
    """Check a request merged with course defaults: every mandatory EU element present."""
    violations = _check(MICROCREDENTIAL_SCHEMA + "#/$defs/resolved", doc, EU_ELEMENTS)
    return _finish(violations, _semantic(doc, violations))


def validate_pathway(doc: Any) -> list[Violation]:
    """Check a pathway's shape; :func:`credentials.rules.check_satisfiable` does the rest."""
    if isinstance(doc, Mapping) and _depth(doc.get("rules")) > MAX_RULE_DEPTH:
        return [Violation("/rules", f"rules nest deeper than {MAX_RULE_DEPTH} levels")]
    award = {"/award" + pointer: name for pointer, name in EU_ELEMENTS.items()}
    return _finish(_check(PATHWAY_SCHEMA, doc, award), [])


def validate_ob3(credential: Any) -> list[Violation]:
    """Check a credential against the official OB3 AchievementCredential schema."""
    return _finish(_check(OB3_SCHEMA, credential, {}), [])


def _check(uri: str, doc: Any, elements: Mapping[str, str]) -> list[Violation]:
    found: list[Violation] = []
    for error in _validator(uri).iter_errors(doc):
        found.extend(_describe(error, elements))
    return found


def _describe(error: ValidationError, elements: Mapping[str, str]) -> list[Violation]:
    pointer = _pointer(error.absolute_path)
    custom = error.schema.get("x-error") if isinstance(error.schema, Mapping) else None
    if isinstance(custom, Mapping):
        custom = custom.get(str(error.validator))
    if error.validator in ("required", "dependentRequired") and not custom:
        return _missing(error, pointer, elements)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        if names := _UNEXPECTED.search(error.message):
            found = re.findall(r"'((?:[^'\\]|\\.)*)'", names.group(1))
            return [Violation(pointer + _pointer([n]), f"unknown field '{n}'") for n in found]
    return [Violation(pointer, _prefixed(custom or _message(error), pointer, elements))]


def _missing(error: ValidationError, pointer: str, elements: Mapping[str, str]) -> list[Violation]:
    """One violation per missing property, at the pointer where it should be."""
    instance = error.instance
    if not isinstance(instance, Mapping):
        return []
    if error.validator == "required":
        wanted = [(name, "") for name in error.validator_value]
    else:  # dependentRequired
        given = error.validator_value.items()
        wanted = [(name, prop) for prop, needs in given if prop in instance for name in needs]
    out = []
    for name, because in wanted:
        if name in instance:
            continue
        where = pointer + _pointer([name])
        if not because and where in elements and elements.get(pointer) != elements[where]:
            out.append(Violation(where, f"missing EU element '{elements[where]}' ({where[1:]})"))
        else:
            detail = f"'{name}' is required" + (f" with '{because}'" if because else "")
            out.append(Violation(where, _prefixed(detail, where, elements)))
    return out


def _message(error: ValidationError) -> str:
    if error.validator == "format":
        fmt = str(error.validator_value)
        return _FORMATS.get(fmt, f"is not a valid {fmt}")
    message, shown = error.message, repr(error.instance)
    if len(shown) > 80 and message.startswith(shown):  # keep the reason, not the value
        message = "value" + message[len(shown) :]
    return message if len(message) <= 300 else message[:297] + "..."


def _prefixed(message: str, pointer: str, elements: Mapping[str, str]) -> str:
    parts = pointer.split("/")
    for end in range(len(parts), 1, -1):
        element = elements.get("/".join(parts[:end]))
        if element:
            return f"{element}: {message}"
    return message


def _semantic(doc: Any, found: list[Violation]) -> list[Violation]:
    """Checks JSON Schema cannot express: grade against its scale, dates in order."""
    if not isinstance(doc, Mapping):
        return []
    out: list[Violation] = []
    troubled = {v.pointer for v in found}
    assessment = doc.get("assessment")
    if (
        isinstance(assessment, Mapping)
        and "grade_scale" in assessment
        and not any(p.startswith("/assessment") for p in troubled)
    ):
        out.extend(_grade(assessment))
    issued, until = doc.get("issued_on"), doc.get("valid_until")
    dates_ok = not troubled & {"/issued_on", "/valid_until"}
    if isinstance(issued, str) and isinstance(until, str) and dates_ok:
        if date.fromisoformat(until) < date.fromisoformat(issued):
            message = f"expiry date {until} is before the date of issuing {issued}"
            out.append(Violation("/valid_until", message))
    return out


def _grade(assessment: Mapping[str, Any]) -> list[Violation]:
    scale = assessment["grade_scale"]
    try:
        normalise_grade(scale["pass"], scale)
    except GradeError as exc:
        return [Violation("/assessment/grade_scale", f"grade achieved: {exc}")]
    if "grade" not in assessment:
        return []
    grade = assessment["grade"]
    try:
        normalised = normalise_grade(grade, scale)
    except GradeError as exc:
        return [Violation("/assessment/grade", f"grade achieved: {exc}")]
    if normalised < 10:
        return [
            Violation(
                "/assessment/grade",
                f"grade achieved: {grade!r} is below the pass mark {scale['pass']!r}; "
                "a micro-credential records learning outcomes achieved",
            )
        ]
    return []


def _finish(found: list[Violation], more: list[Violation]) -> list[Violation]:
    return sorted(set(found + more), key=lambda v: (v.pointer, v.message))


def _pointer(path: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _depth(node: Any) -> int:
    """Nesting depth of lists and objects, without recursion (the input is untrusted)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            children: Iterable[Any] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > 4 * MAX_RULE_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest // 2
