"""Content hashes of course documents: change detection and HTTP entity tags."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import msgspec

from catalogue.structs import CourseIn, to_course_in

__all__ = ["content_hash", "etag"]

_canonical = msgspec.json.Encoder(order="sorted")


def content_hash(course: CourseIn | Mapping[str, Any]) -> str:
    """SHA-256 (64 hex digits) of the course's canonical JSON.

    Canonical means: converted to ``CourseIn`` (numbers and dates typed, an absent field
    and a null or default one are the same), keys sorted, no whitespace. Two documents
    that say the same thing hash the same, so an unchanged republish is not rewritten.
    List order is kept: it is part of what the partner said. A mapping must be valid
    and carry its ``code``.
    """
    if not isinstance(course, CourseIn):
        course = to_course_in(course)
    return hashlib.sha256(_canonical.encode(course)).hexdigest()


def etag(hash_: str) -> str:
    """The strong entity tag (quoted, RFC 9110) for a content hash."""
    return f'"{hash_}"'
