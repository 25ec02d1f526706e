"""The credential pages: a credential as its holder, its issuer or an employer sees it, and
/verify.

``/credentials/{id}`` (holder and issuer; its JSON at ``/json``) and every live share link
(``api.routes.shared``) render ``credential_page``: the verdict on top in words, then what
an employer reads (``api.routes.web_credential``, ``web.credential_facts``). ``/verify``
takes a pasted credential, an uploaded file or a pasted link of this registry, which is
looked up in our database and never fetched. ``POST /me/credentials/{id}/qr`` makes the
holder's QR code: a share link labelled ``qr``, only when they ask for it.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.access import PUBLIC, access
from api.db import DbSession
from api.readers import readable_credential
from api.routes.issuers import LD_JSON
from api.routes.showing import badge_src, certificate_response, holder_links
from api.routes.web import PAGE_ERRORS, page, page_language, verify_limit
from api.routes.web_credential import (
    LinkProblem,
    looks_like_link,
    qr_context,
    resolve_link,
    verdict_context,
    viewer_of,
)
from api.security import same_origin
from api.sessions import CSRF_FIELD, check_csrf, share_key
from api.state import keyring_of, status_cache_of
from api.verification import prover_of, stored_prover, verdicts_of, verify_cost
from catalogue.validation import MalformedJSON, loads_strict
from credentials.errors import CredentialNotFound
from credentials.oid4vci import holds
from credentials.proofs.limits import MAX_BODY_BYTES
from credentials.purpose_shares import purpose_share
from credentials.status_changes import Stored, parse_id
from credentials.verifying import verify_credential
from web.i18n import translator

__all__ = ["CredentialPages", "credential_page"]


class CredentialPages(Controller):
    include_in_schema = False
    exception_handlers = PAGE_ERRORS
    guards = [same_origin]  # forms that change state come from our own pages only

    @get("/credentials/{id:str}", opt=access(PUBLIC), name="web:credential")
    async def credential(self, request: Request, db_session: DbSession,
                         id: FromPath[str]) -> Template | Response[bytes]:
        if id.endswith(".pdf"):  # /credentials/{id}.pdf: a path parameter is a whole segment
            return await certificate_response(request, db_session, id)
        stored = await readable_credential(request, db_session, parse_id(id))
        url = f"{request.app.state.settings.base_url}/credentials/{stored.id}"
        return await credential_page(request, db_session, stored, url,
                                     f"/credentials/{stored.id}/json")

    @get("/credentials/{id:str}/json", opt=access(PUBLIC), name="web:credential-json")
    async def credential_json(self, request: Request, db_session: DbSession,
                              id: FromPath[str]) -> Response[bytes]:
        stored = await readable_credential(request, db_session, parse_id(id))
        return Response(stored.document, media_type=LD_JSON, headers={
            "Content-Disposition": f'attachment; filename="credential-{stored.id}.json"'})

    @get("/verify", opt=access(PUBLIC), name="web:verify")
    async def verify_form(self, request: Request) -> Template:
        return page(request, "verify.html.j2", pasted="")

    # Changes nothing: other sites may offer a "verify on Academy" button that posts here.
    # The access guard counts it as public; verify_limit counts it as a verification too.
    @post("/verify", opt=access(PUBLIC) | {"cross_site": True}, guards=[verify_limit],
          status_code=200, name="web:verify-post", request_max_body_size=MAX_BODY_BYTES)
    async def verify(self, request: Request, db_session: DbSession) -> Template:
        form = await request.form()
        upload = form.get("file")
        pasted = form.get("credential")
        raw: bytes | str = pasted if isinstance(pasted, str) else ""
        if isinstance(upload, UploadFile):
            content = await upload.read()
            raw = content if content.strip() else raw
        if isinstance(raw, str) and not raw.strip():
            t = translator(page_language(request))
            return page(request, "verify.html.j2", status=422, pasted="", error="",
                        problems=[t("verify.empty")])
        if (extra := verify_cost(raw) - 1) > 0:  # verify_limit counted one
            limiter = request.app.state.rate_limiter
            limiter.hit("verify", limiter.client(request), extra)
        if isinstance(raw, str) and looks_like_link(raw):
            return await self._verify_link(request, db_session, raw)
        try:
            document = loads_strict(raw)
        except (MalformedJSON, msgspec.DecodeError, ValueError) as exc:
            return page(request, "verify.html.j2", status=422, pasted=_shown(raw),
                        error=str(exc), problems=[])
        return await _verified(request, db_session, document, None, pasted=_shown(raw))

    async def _verify_link(self, request: Request, db_session: DbSession, raw: str) -> Template:
        """A pasted link of this registry, resolved from our database (never fetched)."""
        try:
            found = await resolve_link(request, db_session, raw)
        except LinkProblem as problem:
            t = translator(page_language(request))
            return page(request, "verify.html.j2", status=422, pasted=_shown(raw),
                        error="", heading=t("verify.url.bad"),
                        problems=[t(problem.key, host=problem.host)])
        return await _verified(request, db_session, msgspec.json.decode(found.stored.document),
                               found.stored.id, pasted=_shown(raw), linked=found.page_url)

    @post("/me/credentials/{id:str}/qr", opt=access(PUBLIC), status_code=303,
          name="web:credential-qr")
    async def make_qr(self, request: Request, db_session: DbSession,
                      id: FromPath[str]) -> Redirect:
        """The holder asks for a QR code: their ``qr`` share link, made once and reused."""
        check_csrf(request, (await request.form()).get(CSRF_FIELD))
        stored = await readable_credential(request, db_session, parse_id(id))
        learner, owns = await viewer_of(request, db_session, stored.id)
        if learner is None or not owns:
            raise CredentialNotFound(f"No credential {stored.id} of yours.")
        await purpose_share(db_session, share_key(request.app.state.settings), stored.id,
                            learner.email, "qr")
        return Redirect(f"/credentials/{stored.id}#qr", status_code=303)


async def credential_page(request: Request, db_session: DbSession, stored: Stored,
                          page_url: str, download_url: str, *,
                          share: str | None = None) -> Template:
    """The credential page (by id for its holder and issuer, or through share link
    ``share``): the verdict on top, then what an employer reads (``web_credential``)."""
    document = msgspec.json.decode(stored.document)
    app = request.app
    report = await verify_credential(
        db_session, keyring_of(app), document, cache=await status_cache_of(app),
        prover=stored_prover(verdicts_of(app), stored.id, prover_of(app)))
    learner, owns = await viewer_of(request, db_session, stored.id)
    holder = owns and stored.status != "revoked" and await holds(
        db_session, learner.email, stored.id) if learner else False
    shown = await verdict_context(request, db_session, document, report,
                                  page_language(request), learner if share is None else None)
    qr = await qr_context(request, db_session, stored, share, owns and share is None, learner)
    return page(request, "credential.html.j2", **shown, **qr, page_url=page_url,
                holder=holder, download_url=download_url, credential_id=stored.id,
                forms=holder or qr["qr_offer"], shared=share is not None,
                badge_url=badge_src(document, app.state.settings.base_url),
                links=holder_links(stored.id) if owns and share is None else None)


async def _verified(request: Request, db_session: DbSession, document: Any,
                    stored_id: uuid.UUID | None, **context: Any) -> Template:
    """/verify's answer: the same verdict and facts as the credential page (a stored
    credential's proof verdict is reused until its status changes)."""
    app = request.app
    prover = prover_of(app)
    if stored_id is not None:
        prover = stored_prover(verdicts_of(app), stored_id, prover)
    report = await verify_credential(db_session, keyring_of(app), document,
                                     cache=await status_cache_of(app), prover=prover)
    shown = await verdict_context(request, db_session, document, report,
                                  page_language(request), None)
    return page(request, "verify.html.j2", **shown, **context)


def _shown(raw: bytes | str) -> str:
    """The submitted text, to show it back in the form (bounded, and only if it is text)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return ""
    return raw[:200_000]

