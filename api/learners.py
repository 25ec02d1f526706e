"""Learners: tokens from their institution, their own credentials, exports and share links.

``resolve_learner`` is the app's ``learner_resolver``: the access guard calls it for every
``LEARNER`` route and puts its result in ``request.state.learner``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from api.access import LEARNER, PUBLIC, access, bearer_token, partner
from api.db import DbSession
from api.issuers import LD_JSON, keyring_of
from api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from catalogue.validation import loads_strict
from credentials.errors import Invalid
from credentials.learners import (
    Learner,
    LearnerCredential,
    create_share,
    create_token,
    delete_share,
    learner_credentials,
    learner_for_token,
    shared_credential,
)
from credentials.reissue import reissue
from credentials.service import parse_id

__all__ = ["LearnerController", "LearnerTokenController", "ShareController", "resolve_learner"]

_encode = msgspec.json.Encoder().encode


async def resolve_learner(connection: ASGIConnection) -> Learner:
    """The learner a ``Bearer lrn_...`` token stands for; 401 when missing, unknown or expired."""
    token = bearer_token(connection)
    if token is None:
        raise NotAuthorizedException("A learner token is required: send 'Authorization: Bearer "
                                     "<token>'.", headers={"WWW-Authenticate": "Bearer"})
    async with connection.app.state.session_factory() as session:
        learner = await learner_for_token(session, token)
    if learner is None:
        raise NotAuthorizedException("The learner token is unknown or expired.",
                                     headers={"WWW-Authenticate": "Bearer"})
    return learner


class TokenOut(msgspec.Struct):
    token: str
    email: str
    expires_at: datetime


class CredentialItem(msgspec.Struct):
    id: str
    url: str
    institution: str
    course: str
    issued_on: str
    status: str
    credential: msgspec.Raw


class CredentialPage(msgspec.Struct):
    items: list[CredentialItem]
    next_cursor: str | None


class ShareOut(msgspec.Struct):
    token: str
    url: str
    credential_id: str


def _item(request: Request, found: LearnerCredential) -> CredentialItem:
    return CredentialItem(
        id=str(found.id), url=f"/api/v1/credentials/{found.id}", institution=found.institution,
        course=found.course, issued_on=found.issued_on, status=found.status,
        credential=msgspec.Raw(found.document),
    )


class LearnerTokenController(Controller):
    path = "/api/v1/institutions/{slug:str}/learners/tokens"
    tags = ["learners"]

    @post("/", opt=access(partner("issue")), status_code=HTTP_201_CREATED,
          summary="A learner access token to hand to the learner")
    async def create(self, request: Request, db_session: DbSession,
                     slug: FromPath[str]) -> TokenOut:
        body: Any = loads_strict(await request.body())
        if not isinstance(body, dict) or set(body) - {"email"}:
            raise Invalid([("", "the body is {\"email\": \"...\"}")])
        token, email, expires = await create_token(db_session, slug, body.get("email"))
        return TokenOut(token, email, expires)


class LearnerController(Controller):
    path = "/api/v1/me"
    tags = ["learners"]

    @get("/credentials", opt=access(LEARNER), summary="My credentials, newest first")
    async def mine(self, request: Request, db_session: DbSession, limit: FromQuery[int] = 50,
                   cursor: FromQuery[str | None] = None) -> Response[bytes]:
        if not 1 <= limit <= MAX_LIMIT:
            raise Invalid([("query:limit", f"must be between 1 and {MAX_LIMIT}")])
        after = None
        if cursor:
            at, ident = decode_cursor(cursor, 2)
            try:
                after = (datetime.fromisoformat(str(at)), uuid.UUID(str(ident)))
            except ValueError:
                raise Invalid([("query:cursor", "not a cursor this server issued")]) from None
        rows = await learner_credentials(db_session, request.state.learner, after=after,
                                         limit=limit + 1)
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor([last.created_at.isoformat(), str(last.id)])
        page = CredentialPage([_item(request, r) for r in rows[:limit]], next_cursor)
        return Response(_encode(page), media_type="application/json")

    @get("/credentials/export", opt=access(LEARNER),
         summary="All my credentials in one JSON file (for a wallet or a backup)")
    async def export(self, request: Request, db_session: DbSession) -> Response[bytes]:
        learner: Learner = request.state.learner
        rows = await learner_credentials(db_session, learner)
        body = _encode({
            "learner": learner.email,
            "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "credentials": [msgspec.Raw(r.document) for r in rows],
        })
        return Response(body, media_type="application/json", headers={
            "Content-Disposition": 'attachment; filename="academy-credentials.json"'})

    @post("/credentials/{id:str}/shares", opt=access(LEARNER), status_code=HTTP_201_CREATED,
          summary="A public link to one of my credentials")
    async def share(self, request: Request, db_session: DbSession, id: FromPath[str]) -> ShareOut:
        share = await create_share(db_session, request.state.learner, parse_id(id))
        base = request.app.state.settings.base_url
        return ShareOut(share.token, f"{base}/api/v1/shares/{share.token}", str(share.credential_id))

    @post("/credentials/{id:str}/reissue", opt=access(LEARNER),
          summary="My credential again, in the form every standard verifier reads")
    async def reissue(self, request: Request, db_session: DbSession,
                      id: FromPath[str]) -> Response[bytes]:
        """A credential issued before the revocation lists, signed again with the embedded
        context and a 1-bit revocation entry (``credentials.reissue``): 201 with the new
        copy; 200 with the credential as it is when it is already in that form. The old
        copy stays valid until the institution revokes the credential (both copies follow
        every status change)."""
        learner: Learner = request.state.learner
        done = await reissue(db_session, keyring_of(request.app), learner.email, parse_id(id))
        return Response(done.document, media_type=LD_JSON,
                        status_code=HTTP_201_CREATED if done.reissued else HTTP_200_OK,
                        headers={"Location": f"/api/v1/credentials/{done.id}"})

    @delete("/shares/{token:str}", opt=access(LEARNER), status_code=HTTP_204_NO_CONTENT,
            summary="Delete one of my share links")
    async def unshare(self, request: Request, db_session: DbSession, token: FromPath[str]) -> None:
        await delete_share(db_session, request.state.learner, token)


class ShareController(Controller):
    path = "/api/v1/shares"
    tags = ["learners"]

    @get("/{token:str}", opt=access(PUBLIC), summary="A credential a learner shared")
    async def read(self, db_session: DbSession, token: FromPath[str]) -> Response[bytes]:
        found = await shared_credential(db_session, token)
        return Response(found.document, media_type=LD_JSON)
