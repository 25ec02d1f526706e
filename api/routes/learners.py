"""Learners: tokens from their institution, their own credentials, exports and share links.

``resolve_learner`` (``api.sessions``) is the app's ``learner_resolver``: the access guard
calls it for every ``LEARNER`` route and puts its result in ``request.state.learner``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.response import Template
from litestar.params import FromPath, FromQuery, Parameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from credentials.shares import LABEL_PATTERN
from api.access import LEARNER, PUBLIC, access, partner
from api.sessions import forget_session, resolve_learner, share_key
from api.routes.shared import shared_response
from api.db import DbSession
from api.routes.issuers import LD_JSON
from api.state import keyring_of
from api.pagination import MAX_LIMIT, newer_than, time_id_cursor
from api.openapi import OBJECT, Doc
from api.openapi_schemas import EMAIL
from catalogue.validation import loads_strict
from catalogue.structs import OutStruct
from credentials.errors import Invalid, LearnerTokenNotFound
from credentials.learners import (
    IssuedToken,
    Learner,
    LearnerCredential,
    create_token,
    delete_share,
    learner_credentials,
    list_tokens,
    revoke_session,
    revoke_token,
)
from credentials.reissue import reissue
from credentials.shares import ShareLink, create_share, delete_share_by_id
from credentials.status_changes import parse_id

EMAIL_FILTER = r"^[^@]+@[^@]+$"  # no \s: Python and JSON Schema generators disagree on U+0085
"""What the audit log's ``email`` filter accepts: an address (it is normalised as minted)."""

__all__ = ["LearnerController", "LearnerTokenController", "Scope", "ShareController",
           "resolve_learner", "scope_of"]

_encode = msgspec.json.Encoder().encode


class Scope(OutStruct):
    """What a learner token sees: the credentials of one institution."""

    institution: str | None


def scope_of(learner: Learner) -> Scope:
    return Scope(institution=learner.institution)


class TokenOut(OutStruct):
    id: str
    token: str
    email: str
    expires_at: datetime
    scope: Scope


class IssuedTokenPage(OutStruct):
    items: list[IssuedToken]
    next_cursor: str | None


class CredentialItem(OutStruct):
    id: str
    url: str
    institution: str
    course: str
    issued_on: str
    status: str
    credential: msgspec.Raw


class CredentialPage(OutStruct):
    items: list[CredentialItem]
    next_cursor: str | None
    scope: Scope


class ShareOut(OutStruct):
    token: str | None  # None: a link made before links could be listed (delete it by id)
    url: str | None
    credential_id: str
    scope: Scope
    id: str
    label: str | None
    created_at: datetime


def share_out(request: Request, link: ShareLink) -> ShareOut:
    base = request.app.state.settings.base_url
    url = f"{base}/api/v1/shares/{link.token}" if link.token else None
    return ShareOut(link.token, url, str(link.credential_id), scope_of(request.state.learner),
                    str(link.id), link.label, link.created_at)


def _item(request: Request, found: LearnerCredential) -> CredentialItem:
    return CredentialItem(
        id=str(found.id), url=f"/api/v1/credentials/{found.id}", institution=found.institution,
        course=found.course, issued_on=found.issued_on, status=found.status,
        credential=msgspec.Raw(found.document),
    )


TOKEN_DOC = Doc(body_examples={"application/json": {"email": "an.peeters@example.org"}}, body={
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False, "required": ["email"],
        "properties": {"email": {"type": "string", "maxLength": 320, "pattern": EMAIL}},
    }}},
})
MINE_DOC = Doc(responses={200: {"application/json": CredentialPage}})
EXPORT_DOC = Doc(responses={200: {"application/json": {
    "type": "object", "required": ["learner", "scope", "exported_at", "credentials"],
    "properties": {"learner": {"type": "string"}, "exported_at": {"type": "string"},
                   "scope": {"type": "object", "properties": {
                       "institution": {"type": ["string", "null"]}}},
                   "credentials": {"type": "array", "items": OBJECT}}}}})
REISSUE_DOC = Doc(statuses=frozenset({409}), sends={200: ("Location",), 201: ("Location",)},
                  responses={201: {LD_JSON: OBJECT}, 200: {LD_JSON: OBJECT}})
SHARE_CREATE_DOC = Doc(body_examples={"application/json": {"label": "Job application"}}, body={
    "description": "Optional: what the link is for (one live link per label is reused).",
    "required": False,
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "properties": {"label": {"type": "string", "minLength": 1, "maxLength": 64,
                                 "pattern": LABEL_PATTERN}}}}},
})
SHARE_DOC = Doc(responses={200: {LD_JSON: OBJECT, "application/json": OBJECT,
                                 "text/html": {"type": "string"}}})


class LearnerTokenController(Controller):
    path = "/api/v1/institutions/{slug:str}/learners/tokens"
    tags = ["learners"]

    @post("/", opt=access(partner("issue")), doc=TOKEN_DOC, status_code=HTTP_201_CREATED,
          summary="A learner access token to hand to the learner",
          description="Mints a token (lrn_..., shown once: only its hash is kept) for the "
                      "learner with this e-mail address, valid for a limited number of hours "
                      "and scoped to this institution's credentials. Hand it to the learner; "
                      "every mint is kept in the audit log.")
    async def create(self, request: Request, db_session: DbSession,
                     slug: FromPath[str]) -> TokenOut:
        body: Any = loads_strict(await request.body())
        if not isinstance(body, dict) or set(body) - {"email"}:
            raise Invalid([("", "the body is {\"email\": \"...\"}")])
        minted = await create_token(
            db_session, slug, body.get("email"),
            hours=request.app.state.settings.learner_token_hours,
            api_key_id=request.state.principal.key_id)
        return TokenOut(id=str(minted.id), token=minted.token, email=minted.email,
                        expires_at=minted.expires_at, scope=Scope(institution=minted.institution))

    @get("/", opt=access(partner("issue")),
         summary="Every learner token this institution minted (the audit log), newest first",
         description="Who was given a token, when, by which key, until when, and whether "
                     "and by whom it was revoked; never the token itself.")
    async def audit(self, db_session: DbSession, slug: FromPath[str], limit: FromQuery[int] = 50,
                    cursor: FromQuery[str | None] = None,
                    email: Annotated[str | None, Parameter(
                        pattern=EMAIL_FILTER, max_length=320,
                        description="Only tokens minted for this e-mail address")] = None,
                    ) -> IssuedTokenPage:
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid([("query:limit", f"must be between 1 and {MAX_LIMIT}")])
        rows = await list_tokens(db_session, slug, email=email, after=newer_than(cursor),
                                 limit=limit + 1)
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = time_id_cursor(last.minted_at, last.id)
        return IssuedTokenPage(items=rows[:limit], next_cursor=next_cursor)

    @delete("/{token_id:str}", opt=access(partner("issue")), status_code=HTTP_204_NO_CONTENT,
            summary="Revoke a learner token this institution minted",
            description="The token stops working at once (204); the audit log records who "
                        "revoked it. 404 for a token another institution minted.")
    async def revoke(self, request: Request, db_session: DbSession, slug: FromPath[str],
                     token_id: FromPath[str]) -> None:
        try:
            ident = uuid.UUID(token_id)
        except ValueError:  # no token has such an id
            raise LearnerTokenNotFound(f"{slug} minted no learner token with this id (ids are "
                                       "UUIDs, from the mint response or the list).") from None
        key = request.state.principal
        await revoke_token(db_session, slug, ident, f"key:{key.key_id}")


class LearnerController(Controller):
    path = "/api/v1/me"
    tags = ["learners"]

    @get("/credentials", opt=access(LEARNER), doc=MINE_DOC, summary="My credentials, newest first",
         description="The credentials issued to the learner's e-mail address, each as "
                     "signed, with its status; a learner token sees its institution's only.")
    async def mine(self, request: Request, db_session: DbSession, limit: FromQuery[int] = 50,
                   cursor: FromQuery[str | None] = None) -> Response[bytes]:
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid([("query:limit", f"must be between 1 and {MAX_LIMIT}")])
        learner: Learner = request.state.learner
        rows = await learner_credentials(db_session, learner, after=newer_than(cursor),
                                         limit=limit + 1)
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = time_id_cursor(last.created_at, last.id)
        page = CredentialPage(items=[_item(request, r) for r in rows[:limit]],
                              next_cursor=next_cursor, scope=scope_of(learner))
        return Response(_encode(page), media_type="application/json")

    @get("/credentials/export", opt=access(LEARNER), doc=EXPORT_DOC,
         summary="All my credentials in one JSON file (for a wallet or a backup)",
         description="Every credential the token may read, as signed, in one downloadable "
                     "file (Content-Disposition: attachment); not paged.")
    async def export(self, request: Request, db_session: DbSession) -> Response[bytes]:
        learner: Learner = request.state.learner
        rows = await learner_credentials(db_session, learner)
        body = _encode({
            "learner": learner.email,
            "scope": scope_of(learner),
            "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "credentials": [msgspec.Raw(r.document) for r in rows],
        })
        return Response(body, media_type="application/json", headers={
            "Content-Disposition": 'attachment; filename="academy-credentials.json"'})

    @post("/credentials/{id:str}/shares", opt=access(LEARNER), status_code=HTTP_201_CREATED,
          doc=SHARE_CREATE_DOC,
          summary="A public link to one of my credentials",
          description="Creates a link anyone can open without a token "
                      "(GET /api/v1/shares/{token}): the credential's page in a browser, its "
                      "JSON otherwise. An optional label names what the link is for (one live "
                      "link per label, reused); delete the link to hide the credential at "
                      "once. 404 for a credential that is not the learner's.")
    async def share(self, request: Request, db_session: DbSession, id: FromPath[str]) -> ShareOut:
        """The only public way to the credential: the link shows the credential page in a
        browser and its JSON to ``Accept: application/json``; deleting it hides the credential
        at once. An optional body ``{"label": "..."}`` names what the link is for."""
        raw = await request.body()
        body: Any = loads_strict(raw) if raw.strip() else {}
        if not isinstance(body, dict) or set(body) - {"label"} or not isinstance(
                body.get("label", ""), str):
            raise Invalid([("/label", "the body is empty or {\"label\": \"...\"}")])
        link = await create_share(db_session, request.state.learner, parse_id(id),
                                  share_key(request.app.state.settings), label=body.get("label"))
        return share_out(request, link)

    @delete("/session", opt=access(LEARNER), status_code=HTTP_204_NO_CONTENT,
            summary="Sign out: end the learner token or the sign-in session of this request",
            description="The token or session used for this request stops working at once "
                        "(204); a session's cookie is cleared.")
    async def sign_out(self, request: Request, db_session: DbSession) -> Response[None]:
        learner: Learner = request.state.learner
        await revoke_session(db_session, learner)
        forget = [forget_session(request)] if learner.session_id is not None else []
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=forget)

    @post("/credentials/{id:str}/reissue", opt=access(LEARNER), doc=REISSUE_DOC,
          summary="My credential again, in the form every standard verifier reads",
          description="For a credential issued before the revocation lists: signed again "
                      "with the context embedded and a 1-bit revocation entry (201, the new "
                      "copy); 200 with the credential as it is when already in that form. The "
                      "old copy stays valid and follows every status change.")
    async def reissue(self, request: Request, db_session: DbSession,
                      id: FromPath[str]) -> Response[bytes]:
        """A credential issued before the revocation lists, signed again with the embedded
        context and a 1-bit revocation entry (``credentials.reissue``): 201 with the new
        copy; 200 with the credential as it is when it is already in that form. The old
        copy stays valid until the institution revokes the credential (both copies follow
        every status change)."""
        learner: Learner = request.state.learner
        done = await reissue(db_session, keyring_of(request.app), learner.email, parse_id(id),
                             learner.institution)
        return Response(done.document, media_type=LD_JSON,
                        status_code=HTTP_201_CREATED if done.reissued else HTTP_200_OK,
                        headers={"Location": f"/api/v1/credentials/{done.id}"})

    @delete("/shares/{token:str}", opt=access(LEARNER), status_code=HTTP_204_NO_CONTENT,
            summary="Delete one of my share links (by its token or its id)",
            description="The link stops working at once (204); 404 for a link that is not "
                        "the learner's.")
    async def unshare(self, request: Request, db_session: DbSession, token: FromPath[str]) -> None:
        try:
            share_id = uuid.UUID(token)
        except ValueError:
            await delete_share(db_session, request.state.learner, token)
        else:
            await delete_share_by_id(db_session, request.state.learner, share_id)


class ShareController(Controller):
    path = "/api/v1/shares"
    tags = ["learners"]

    @get("/{token:str}", opt={**access(PUBLIC), "page_queries": ("lang",)}, doc=SHARE_DOC,
         summary="A credential a learner shared: its page in a browser, JSON otherwise",
         description="For anyone with the link: a browser (Accept: text/html first) gets the "
                     "credential's page with its verification; application/json, "
                     "application/ld+json or no preference get the credential exactly as "
                     "signed. 404 once the learner deleted the link.")
    async def read(self, request: Request, db_session: DbSession, token: FromPath[str],
                   download: Annotated[Literal["json"] | None, QueryParameter(
                       name="format", description="json: download the credential's JSON "
                                                  "(what the page's download link asks)")] = None,
                   ) -> Response[bytes] | Template:
        """Content negotiation: a browser (``Accept: text/html`` before any JSON type) gets
        the credential page with its verification; ``application/json``,
        ``application/ld+json`` or no preference get the credential exactly as issued."""
        return await shared_response(request, db_session, token, download=download == "json")
