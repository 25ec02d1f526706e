"""Showing a credential anywhere: badge images, the baked badge, the PDF, LinkedIn, short links.

Public: the badge image of every achievement (``.../courses/{code}/image.svg``,
``/api/v1/pathways/{id}/image.svg``: stable URLs, ETag, cacheable) and the short share
link ``/s/{token}`` printed on certificates. Holder and issuer only (404 for anyone else,
as for a missing credential): the certificate ``/credentials/{id}.pdf``, the baked
badge ``/credentials/{id}/badge.svg``; holder only: ``/credentials/{id}/linkedin``.
``readable`` is the one access check of these routes.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date
from typing import Any, Final

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import PUBLIC, access, authenticate, bearer_token
from api.db import DbSession
from api.sessions import page_learner, share_key
from api.openapi import Doc
from catalogue.errors import NotFound
from credentials.badge import IMAGE_SUFFIX, badge_svg, bake
from credentials.certificate import certificate_from, render_pdf
from credentials.errors import CredentialNotFound, Invalid, ShareNotFound
from credentials.learners import TOKEN_PREFIX, Learner, learner_for_token
from credentials.linkedin import linkedin_url
from credentials.purpose_shares import purpose_share
from credentials.status_changes import Stored, get_credential, parse_id
from credentials.showing import (
    course_badge,
    credential_owner,
    held_by,
    institution_colour,
    pathway_badge,
)

__all__ = ["BadgeImageController", "ShowingController", "badge_src", "certificate_response",
           "holder_links", "readable", "showing_handlers"]

SVG_DOC = Doc(responses={200: {"image/svg+xml": {"type": "string"}}}, sends={200: ("ETag",)})

SVG = "image/svg+xml"
LANGS = ("nl", "en")
_SHARE_TOKEN = re.compile(r"^shr_[A-Za-z0-9_-]{16,64}$")
_COURSE = re.compile(r"/api/v1/institutions/([a-z0-9-]+)/courses/([A-Za-z0-9._-]+)$")
_PATHWAY = re.compile(r"/api/v1/pathways/([0-9a-f-]{36})$")
# SVG can carry scripts: ours never does, and a browser opening it directly runs none.
_SVG_HEADERS: Final = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
                "X-Content-Type-Options": "nosniff"}


def _image(request: Request, svg: bytes, max_age: int = 3600) -> Response[bytes]:
    etag = '"' + hashlib.sha256(svg).hexdigest()[:32] + '"'
    headers = {**_SVG_HEADERS, "ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(b"", status_code=304, headers=headers)
    return Response(svg, media_type=SVG, headers=headers)


class BadgeImageController(Controller):
    tags = ["credentials"]

    @get("/api/v1/institutions/{slug:str}/courses/{code:str}/image.svg", opt=access(PUBLIC),
         doc=SVG_DOC,
         summary="The badge image of a course's achievement (OB 3.0 achievement.image)",
         description="An SVG drawn from the course's title and institution (withdrawn "
                     "courses too: issued credentials point to it), with an ETag: send it as "
                     "If-None-Match for 304. 404 for an unknown course.")
    async def course_image(self, request: Request, db_session: DbSession, slug: FromPath[str],
                           code: FromPath[str]) -> Response[bytes]:
        svg = await course_badge(db_session, slug, code)
        if svg is None:
            raise NotFound(f"{slug} has no course {code!r}, so no badge image.")
        return _image(request, svg)

    @get("/api/v1/pathways/{id:str}/image.svg", opt=access(PUBLIC), doc=SVG_DOC,
         summary="The badge image of a pathway's award (OB 3.0 achievement.image)",
         description="An SVG drawn from the pathway's award, with an ETag: send it as "
                     "If-None-Match for 304. 404 for an unknown pathway.")
    async def pathway_image(self, request: Request, db_session: DbSession,
                            id: FromPath[str]) -> Response[bytes]:
        try:
            pathway = uuid.UUID(id)
        except ValueError:
            pathway = None
        svg = await pathway_badge(db_session, pathway) if pathway else None
        if svg is None:
            raise NotFound(f"No pathway {id!r}, so no badge image.")
        return _image(request, svg)


# --- who may read a credential by id ------------------------------------------------------------


async def _learner(request: Request, db: AsyncSession) -> Learner | None:
    """A learner's bearer token, else the page's session (or pasted token) cookie."""
    token = bearer_token(request)
    if token and token.startswith(TOKEN_PREFIX):
        return await learner_for_token(db, token)
    return await page_learner(request, db)


async def readable(request: Request, db: AsyncSession, stored: Stored, *,
                   holder_only: bool = False) -> Learner | None:
    """The access rule of a credential read by id: its holder (learner token, as a cookie
    or a bearer token) or its issuing institution (a partner key with ``issue``). Anyone
    else gets the 404 of a missing credential. Returns the holder, if it is one."""
    learner = await _learner(request, db)
    if learner is not None and await held_by(db, stored.id, learner):
        return learner
    if not holder_only:
        token = bearer_token(request)
        principal = await authenticate(db, token) if token else None
        if principal is not None and principal.may("issue", stored.institution):
            return None
    raise CredentialNotFound(f"No credential {stored.id}.")


def short_url(request: Request, token: str) -> str:
    return f"{request.app.state.settings.base_url}/s/{token}"


async def _purpose_url(request: Request, db: AsyncSession, stored: Stored, purpose: str) -> str:
    email = await credential_owner(db, stored.id)
    key = share_key(request.app.state.settings)
    return short_url(request, await purpose_share(db, key, stored.id, email, purpose))


def _lang(request: Request, document: dict[str, Any]) -> str:
    chosen = request.query_params.get("lang")
    if chosen is None:
        language = ((document.get("credentialSubject") or {}).get("achievement") or {}).get(
            "inLanguage")
        return language if language in LANGS else "en"
    if chosen not in LANGS:
        raise Invalid([("query:lang", f"the certificate is in nl or en, not {chosen!r}")])
    return chosen


async def certificate_response(request: Request, db: AsyncSession,
                               id: str) -> Response[bytes]:
    """``GET /credentials/{id}.pdf`` (routed through the credential page's path)."""
    stored = await get_credential(db, parse_id(id.removesuffix(".pdf")))
    await readable(request, db, stored)
    document = msgspec.json.decode(stored.document)
    lang = _lang(request, document)
    cert = certificate_from(document, status=stored.status,
                            short_url=await _purpose_url(request, db, stored, "certificate"),
                            colour=await institution_colour(db, stored.institution))
    # ~0.1-0.3 s of CPU (font subsetting): off the event loop, which serves everyone else.
    pdf = await anyio.to_thread.run_sync(render_pdf, cert, lang)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="certificate-{stored.id}-{lang}.pdf"',
        "Cache-Control": "private, no-store",  # its status can change any time
        "Content-Language": lang})


async def _badge_of(db: AsyncSession, stored: Stored, document: dict[str, Any]) -> bytes:
    achievement = (document.get("credentialSubject") or {}).get("achievement") or {}
    ident = str(achievement.get("id", ""))
    svg = None
    if match := _COURSE.search(ident):
        svg = await course_badge(db, match[1], match[2])
    elif match := _PATHWAY.search(ident):
        svg = await pathway_badge(db, uuid.UUID(match[1]))
    if svg is None:
        issuer = document.get("issuer") or {}
        svg = badge_svg(str(achievement.get("name") or document.get("name") or "?"),
                        str(issuer.get("name", "")), await institution_colour(
                            db, stored.institution))
    return svg


def badge_src(document: dict[str, Any], base_url: str) -> str | None:
    """Where a page shows the credential's badge from: its ``achievement.image``, or for a
    credential issued before images, the image of its achievement if the id is ours."""
    achievement = (document.get("credentialSubject") or {}).get("achievement") or {}
    image = achievement.get("image")
    url = image.get("id") if isinstance(image, dict) else image
    if not isinstance(url, str):
        ident = achievement.get("id")
        if not (isinstance(ident, str) and (_COURSE.search(ident) or _PATHWAY.search(ident))):
            return None
        url = ident + IMAGE_SUFFIX
    return url.removeprefix(base_url) if url.startswith(base_url + "/") else url


def holder_links(credential_id: uuid.UUID) -> dict[str, str]:
    """The links the credential page offers its holder."""
    base = f"/credentials/{credential_id}"
    return {"pdf_url": f"{base}.pdf", "baked_url": f"{base}/badge.svg",
            "linkedin_url": f"{base}/linkedin"}


class ShowingController(Controller):
    include_in_schema = False

    @get("/credentials/{id:str}/badge.svg", opt=access(PUBLIC), name="web:baked-badge")
    async def baked(self, request: Request, db_session: DbSession,
                    id: FromPath[str]) -> Response[bytes]:
        """The badge with the credential baked in (OB 3.0 §5.3.2), to download."""
        stored = await get_credential(db_session, parse_id(id))
        await readable(request, db_session, stored)
        svg = bake(await _badge_of(db_session, stored, msgspec.json.decode(stored.document)),
                   stored.document)
        return Response(svg, media_type=SVG, headers={
            **_SVG_HEADERS, "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="badge-{stored.id}.svg"'})

    @get("/credentials/{id:str}/linkedin", opt=access(PUBLIC), name="web:linkedin")
    async def linkedin(self, request: Request, db_session: DbSession,
                       id: FromPath[str]) -> Redirect:
        """To LinkedIn's add-certification form, its certification URL a share link made
        for it (reused while it lives): the profile stays verifiable until the learner
        deletes that link."""
        stored = await get_credential(db_session, parse_id(id))
        await readable(request, db_session, stored, holder_only=True)
        document = msgspec.json.decode(stored.document)
        until = document.get("validUntil")
        url = linkedin_url(
            name=str(document.get("name", "")),
            organisation=str((document.get("issuer") or {}).get("name", "")),
            issued=date.fromisoformat(str(document["validFrom"])[:10]),
            expires=date.fromisoformat(until[:10]) if isinstance(until, str) else None,
            cert_url=await _purpose_url(request, db_session, stored, "linkedin"),
            cert_id=str(stored.id))
        return Redirect(url, status_code=303, headers={"Cache-Control": "no-store"})

    @get("/s/{token:str}", opt=access(PUBLIC), name="web:short-share")
    async def short(self, token: FromPath[str]) -> Redirect:
        """A printed share link: to the share (page or JSON, as the client asks)."""
        if not _SHARE_TOKEN.match(token):
            raise ShareNotFound("No credential is shared under this link.")
        return Redirect(f"/api/v1/shares/{token}", status_code=303)


def showing_handlers() -> list[type[Controller]]:
    return [BadgeImageController, ShowingController]
