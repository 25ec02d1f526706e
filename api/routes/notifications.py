"""An institution's mails (the outbox, ``credentials.notifications``): what was sent, when,
what is still queued and why a mail failed. Never the body: it may hold a sign-in link."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import FromPath, FromQuery, QueryParameter

from api.access import access, partner
from api.db import DbSession
from api.openapi import Doc
from api.pagination import Page, check_limit, decode_cursor, encode_cursor
from catalogue.errors import Invalid
from credentials.records import get_institution
from credentials.notifications import STATES, Notification, list_notifications

__all__ = ["notification_handlers"]


@get("/api/v1/institutions/{slug:str}/notifications", opt=access(partner("issue")),
     doc=Doc(query={"state": {"type": "string", "enum": list(STATES)}},
             params={"state": "Only mails in this delivery state (default: all)."}),
     tags=["credentials"],
     summary="Our mails to learners (award mails), newest first, each with its delivery state",
     description="`state` is `queued` (waiting, or retried at `next_attempt_at` after a "
                 "failed attempt), `sending`, `sent` or `failed` (no attempt left, or the "
                 "server refused the mail for good: `last_error` says why). Filter with "
                 "`?state=`. An issuance never waits for, or fails with, its mail.")
async def list_mails(
    db_session: DbSession, slug: FromPath[str],
    # ``state`` is a name Litestar keeps for the app state.
    wanted: Annotated[str | None, QueryParameter(name="state")] = None,
    limit: FromQuery[int] = 50, cursor: FromQuery[str | None] = None,
) -> Page[Notification]:
    if wanted is not None and wanted not in STATES:
        wrong = f"must be one of {', '.join(STATES)} (or left out for all)"
        raise Invalid([("query:state", wrong)])
    after = decode_cursor(cursor, 1)[0] if cursor else None
    if after is not None and (not isinstance(after, int) or isinstance(after, bool)):
        raise Invalid([("query:cursor", "not a cursor this server issued")])
    institution = await get_institution(db_session, slug)
    rows, next_after = await list_notifications(db_session, institution.id, state=wanted,
                                                after=after, limit=check_limit(limit))
    return Page(items=rows, next_cursor=encode_cursor([next_after]) if next_after else None)


def notification_handlers() -> list[object]:
    return [list_mails]
