"""The learner's own data: their share links, everything in one export, and erasure.

``/api/v1/me/*`` take the session cookie of a signed-in learner (with ``X-CSRF-Token`` on
``DELETE``) or an institution's learner token; a token sees what concerns its institution
(``credentials.learner_data``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from litestar import Controller, Request, Response, delete, get
from litestar.params import FromQuery
from litestar.status_codes import HTTP_200_OK

from api.openapi import Doc
from api.access import LEARNER, access
from api.db import DbSession
from api.routes.learners import Scope, ShareOut, scope_of, share_out
from api.pagination import check_limit, newer_than, time_id_cursor
from api.sessions import forget_session, share_key
from catalogue.structs import OutStruct
from credentials.learner_data import (
    Erasure,
    erase_account,
    learner_mails,
    learner_sign_ins,
    learner_tokens,
)
from credentials.learners import Learner, learner_credentials
from credentials.shares import list_shares
from credentials.signin import list_sessions

__all__ = ["MeController"]

_encode = msgspec.json.Encoder().encode

KEPT = ("Issued credentials are the institutions' records: they stay, with the address they "
        "were issued to and the mails sent about them, and stay verifiable. Ask the issuing "
        "institution to revoke one. Everything else that was yours here is erased.")


class SharePage(OutStruct):
    items: list[ShareOut]
    next_cursor: str | None
    scope: Scope


class ErasureOut(OutStruct):
    detail: str
    scope: Scope
    erased: dict[str, int]
    kept: dict[str, int]


def _erasure_out(learner: Learner, done: Erasure) -> ErasureOut:
    erased = {"share_links": done.share_links, "sessions": done.sessions,
              "sign_in_links": done.sign_in_links, "sign_in_mails": done.sign_in_mails,
              "learner_tokens_ended": done.tokens_ended,
              "token_addresses": done.token_addresses_erased}
    return ErasureOut(KEPT, scope_of(learner), erased,
                      {"credentials": done.credentials_kept, "award_mails": done.award_mails_kept})


_OBJECT: dict[str, object] = {"type": "object"}
EXPORT_DOC = Doc(responses={200: {"application/json": {
    "type": "object", "required": ["learner", "scope", "exported_at", "credentials", "shares",
                                   "sessions", "sign_in_links", "learner_tokens",
                                   "notifications"],
    "properties": {"credentials": {"type": "array", "items": _OBJECT},
                   **{k: {"type": "array"} for k in ("shares", "sessions", "sign_in_links",
                                                     "learner_tokens", "notifications")}}}}})
ERASE_DOC = Doc(responses={200: {"application/json": ErasureOut}})


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["learners"]

    @get("/shares", opt=access(LEARNER), summary="My live share links, newest first",
         description="Each link with its URL, label and credential, a page at a time; "
                     "delete one with DELETE /api/v1/me/shares/{token or id}.")
    async def shares(self, request: Request, db_session: DbSession, limit: FromQuery[int] = 50,
                     cursor: FromQuery[str | None] = None) -> SharePage:
        check_limit(limit)
        learner: Learner = request.state.learner
        rows = await list_shares(db_session, learner, share_key(request.app.state.settings),
                                 after=newer_than(cursor), limit=limit + 1)
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = time_id_cursor(last.created_at, last.id)
        return SharePage([share_out(request, r) for r in rows[:limit]], next_cursor,
                         scope_of(learner))

    @get("/export", opt=access(LEARNER), doc=EXPORT_DOC,
         summary="Everything held about me: credentials, share links, sessions, mails",
         description="One JSON download (Content-Disposition: attachment): the credentials "
                     "byte for byte as issued, the live share links, the sign-in sessions and "
                     "links, the learner tokens institutions minted, and the mails queued to "
                     "the address (their state, never their bodies).")
    async def export(self, request: Request, db_session: DbSession) -> Response[bytes]:
        """One JSON download: the credentials byte for byte as issued, the live share links,
        the sign-in sessions and links, the learner tokens institutions minted, and the mails
        queued to the address (their state, never their bodies)."""
        learner: Learner = request.state.learner
        key = share_key(request.app.state.settings)
        signed_in = learner.institution_id is None
        body = _encode({
            "learner": learner.email,
            "scope": scope_of(learner),
            "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "credentials": [msgspec.Raw(r.document)
                            for r in await learner_credentials(db_session, learner)],
            "shares": [share_out(request, s) for s in await list_shares(db_session, learner, key)],
            "sessions": await list_sessions(db_session, learner.email) if signed_in else [],
            "sign_in_links": await learner_sign_ins(db_session, learner),
            "learner_tokens": await learner_tokens(db_session, learner),
            "notifications": await learner_mails(db_session, learner),
        })
        return Response(body, media_type="application/json", headers={
            "Content-Disposition": 'attachment; filename="academy-my-data.json"'})

    @delete("/", opt=access(LEARNER), status_code=HTTP_200_OK, doc=ERASE_DOC,
            summary="Erase what is mine (share links, sessions, sign-in links); "
                    "issued credentials stay",
            description="Deletes the learner's share links (the credentials stop being "
                        "public), sessions, sign-in links and mails, ends the institutions' "
                        "learner tokens and erases the address from their audit rows where no "
                        "credential needs it. Issued credentials are institutional records: "
                        "the answer says so and counts what was kept. With an institution's "
                        "token, only that institution's part.")
    async def erase(self, request: Request, db_session: DbSession) -> Response[bytes]:
        """Deletes the learner's share links (the credentials are no longer public), sessions,
        sign-in links and sign-in mails, ends the institutions' learner tokens, and erases
        the address from the tokens' audit rows where no credential needs it. Issued
        credentials are institutional records: the answer says so and counts what was kept.
        With an institution's token, this covers that institution only."""
        learner: Learner = request.state.learner
        done = await erase_account(db_session, learner)
        forget = [forget_session(request)] if learner.session_id is not None else []
        return Response(_encode(_erasure_out(learner, done)), media_type="application/json",
                        cookies=forget)
