"""The list envelope and opaque keyset cursors shared by every list endpoint."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

from catalogue.errors import Invalid
from catalogue.structs import OutStruct

__all__ = ["MAX_LIMIT", "Page", "check_limit", "decode_cursor", "encode_cursor", "newer_than",
           "time_id_cursor"]

T = TypeVar("T")
MAX_LIMIT = 100


class Page(OutStruct, Generic[T], kw_only=True):
    items: list[T]
    total: int | None = None
    next_cursor: str | None = None


def encode_cursor(values: list[object]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(values)).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[object]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = msgspec.json.decode(raw)
    except (ValueError, msgspec.DecodeError) as exc:
        raise Invalid([("query:cursor", "not a cursor this server issued")]) from exc
    if not isinstance(values, list) or len(values) != arity:
        raise Invalid([("query:cursor", "not a cursor this server issued")])
    return values


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid([("query:limit", f"must be between 1 and {MAX_LIMIT}")])
    return limit


def time_id_cursor(created_at: datetime, ident: uuid.UUID) -> str:
    """The cursor of a list ordered newest first on (created_at, id)."""
    return encode_cursor([created_at.isoformat(), str(ident)])


def newer_than(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """What :func:`time_id_cursor` encoded (``None`` for the first page)."""
    if not cursor:
        return None
    at, ident = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(at)), uuid.UUID(str(ident))
    except ValueError:
        raise Invalid([("query:cursor", "not a cursor this server issued")]) from None
