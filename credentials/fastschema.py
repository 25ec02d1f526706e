"""Fast yes/no schema checks in front of ``credentials.validation``.

``credentials.validation`` (jsonschema) takes 1-4 ms per document and names every
problem; at hundreds of credentials a second that is most of the time. jsonschema-rs
answers "valid?" in about 30 us. We only trust its *yes*: a document it rejects, or that
fails one of the checks JSON Schema cannot express, goes to ``credentials.validation``,
whose answer (and messages) then decide. So the fast path can only be as strict as the
reference, never laxer where rs agrees; ``tests/credentials/test_issuing.py`` checks
the two agree on valid and broken documents.

``credentialStatus``: OB 3.0's formal schema allows a single status object. Every
credential carries exactly one, a 2-bit ``BitstringStatusListEntry`` (``statusPurpose``
``message``, revoked and suspended in one entry, ``credentials.status``), so
:func:`ob3_violations` is the official schema as it is, with no exception.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import jsonschema_rs

from credentials.rules import GradeError, normalise_grade
from credentials.validation import (
    OB3_FILE,
    SCHEMAS,
    Violation,
    validate_issuance_request,
    validate_ob3,
    validate_resolved,
)

__all__ = ["check_request", "check_resolved", "ob3_violations"]


@cache
def _microcredential() -> dict[str, Any]:
    return json.loads((SCHEMAS / "microcredential.schema.json").read_bytes())


@cache
def _request_validator() -> Any:
    return jsonschema_rs.Draft202012Validator(_microcredential(), validate_formats=True)


@cache
def _resolved_validator() -> Any:
    schema = copy.deepcopy(_microcredential())
    schema["$ref"] = "#/$defs/resolved"
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


@cache
def _ob3_validator() -> Any:
    return jsonschema_rs.Draft201909Validator(
        json.loads(OB3_FILE.read_bytes()), validate_formats=True
    )


def _semantics_ok(doc: dict[str, Any]) -> bool:
    assessment = doc.get("assessment")
    if isinstance(assessment, dict) and "grade_scale" in assessment:
        scale = assessment["grade_scale"]
        try:
            normalise_grade(scale["pass"], scale)
            if "grade" in assessment and normalise_grade(assessment["grade"], scale) < 10:
                return False
        except (GradeError, KeyError, TypeError, ValueError):
            return False
    issued, until = doc.get("issued_on"), doc.get("valid_until")
    return not (isinstance(issued, str) and isinstance(until, str) and until < issued)


def check_request(doc: Any) -> list[Violation]:
    """Same answer as ``validate_issuance_request``, fast when the request is valid."""
    if isinstance(doc, dict) and _request_validator().is_valid(doc) and _semantics_ok(doc):
        return []
    return validate_issuance_request(doc)


def check_resolved(doc: dict[str, Any]) -> list[Violation]:
    """Same answer as ``validate_resolved``, fast when every EU element is there."""
    if _resolved_validator().is_valid(doc) and _semantics_ok(doc):
        return []
    return validate_resolved(doc)


def ob3_violations(credential: Any) -> list[Violation]:
    """Same answer as ``validate_ob3`` (the official OB3 AchievementCredential schema)."""
    if _ob3_validator().is_valid(credential):
        return []
    return validate_ob3(credential)
