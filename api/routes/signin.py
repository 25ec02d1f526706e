"""Signing in without help: a one-time link by e-mail (``credentials.signin``), then /me.

* ``POST /api/v1/learners/sign-in`` (API) and ``POST /me/sign-in`` (the form on /me) ask for
  a link. Both answer alike whether the address is known or not (202; the page says "if
  this address holds credentials, a link is on its way"); the mail is queued in the
  outbox (``credentials.notifications``) in the same transaction, in the page's language.
  Both count toward a per-client and a per-address limit.
* ``GET /me/sign-in/{token}`` shows a button and uses nothing: mail scanners fetch links.
  ``POST /me/sign-in/{token}`` (the button, with its CSRF token) uses the link and starts
  the session cookie. Every problem (unknown, used, expired, other browser) is a page that
  says what happened, with the form to ask for a new link right there.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_202_ACCEPTED

from api.openapi import Doc
from api.openapi_schemas import EMAIL
from api.access import PUBLIC, access
from api.db import DbSession
from api.security import same_origin
from api.sessions import (
    CSRF_FIELD,
    browser_nonce,
    check_csrf,
    page_learner,
    session_cookie,
)
from api.routes.web import PAGE_ERRORS, page
from catalogue.errors import DomainError
from catalogue.validation import loads_strict
from credentials.errors import Invalid
from credentials.notifications import queue_mail
from credentials.signin import (
    LINK_MINUTES,
    LinkExpired,
    LinkOtherBrowser,
    LinkRequest,
    LinkUnknown,
    LinkUsed,
    check_link,
    redeem_link,
    request_link,
    valid_email,
)
from web.i18n import choose_language, translator

__all__ = ["SignInController", "SignInPages", "signin_handlers"]

ACCEPTED = ("If this address holds credentials, a sign-in link is on its way. It works once, "
            f"for {LINK_MINUTES} minutes.")


async def ask_for_link(request: Request, db_session: DbSession, email: object,  # type: ignore[type-arg]
                       lang: str, *, nonce: str | None) -> LinkRequest:
    """Count the request, write the link, queue its mail when the address may sign in."""
    address = valid_email(email)
    limiter = request.app.state.rate_limiter
    limiter.hit("signin", limiter.client(request))
    # Keyed by a hash: the limiter's table is never a list of addresses.
    limiter.hit("signin_address", hashlib.sha256(address.encode()).hexdigest())
    asked = await request_link(db_session, address, nonce=nonce)
    if asked.token is not None:
        t = translator(lang)
        url = f"{request.app.state.settings.base_url}/me/sign-in/{asked.token}"
        bound = t("signin.mail.bound") if nonce else ""
        await queue_mail(
            db_session, institution_id=None, to=address, kind="sign_in", language=lang,
            subject=t("signin.mail.subject"),
            text=t("signin.mail.text", url=url, minutes=LINK_MINUTES, bound=bound),
            sensitive=True, expires_at=asked.expires_at)
    return asked


SIGN_IN_DOC = Doc(body_examples={"application/json": {"email": "an.peeters@example.org"}}, body={
    "description": "The address to mail a one-time sign-in link to (sent only when it "
                   "holds credentials; the answer is the same 202 either way).",
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False, "required": ["email"],
        "properties": {"email": {"type": "string", "maxLength": 320, "pattern": EMAIL}},
    }}},
}, responses={202: {"application/json": {
    "type": "object", "required": ["detail", "email", "expires_in_seconds"],
    "properties": {"detail": {"type": "string"}, "email": {"type": "string"},
                   "expires_in_seconds": {"type": "integer"}}}}})


class SignInController(Controller):
    path = "/api/v1/learners/sign-in"
    tags = ["learners"]

    @post("/", opt=access(PUBLIC), status_code=HTTP_202_ACCEPTED, doc=SIGN_IN_DOC,
          summary="Ask for a sign-in link by e-mail (always 202: addresses cannot be probed)",
          description="When the address holds credentials, a one-time link valid 15 minutes "
                      "is mailed to it (in the Accept-Language, nl or en); it opens a session "
                      "in any browser. The answer is the same 202 when it does not. Limited "
                      "per client and per address (3 a minute, 10 mails an hour): 429 with "
                      "Retry-After.")
    async def sign_in(self, request: Request, db_session: DbSession) -> Response[dict[str, Any]]:
        """Body ``{"email": "..."}``. When the address holds credentials, a one-time link
        valid 15 minutes is mailed to it (in the language of ``Accept-Language``, nl or en);
        the answer is the same 202 when it does not. A link asked for here opens in any
        browser. Limited per client (``ACADEMY_SIGNIN_RATE_PER_MINUTE``) and per address
        (3 a minute, 10 mails an hour): 429 with ``Retry-After``."""
        body: Any = loads_strict(await request.body())
        if not isinstance(body, dict) or set(body) != {"email"}:
            raise Invalid([("/email", 'the body is {"email": "name@example.org"}')])
        lang = choose_language(None, request.cookies.get("lang"), request.headers)
        asked = await ask_for_link(request, db_session, body["email"], lang, nonce=None)
        return Response({"detail": ACCEPTED, "email": asked.email,
                         "expires_in_seconds": LINK_MINUTES * 60}, status_code=HTTP_202_ACCEPTED)


def _lang(request: Request) -> str:  # type: ignore[type-arg]
    return choose_language(request.query_params.get("lang"), request.cookies.get("lang"),
                           request.headers)


# The problem a link page names (the template's words for each) and its status.
_PROBLEMS: dict[type[DomainError], tuple[str, int]] = {
    LinkUnknown: ("unknown", 404), LinkUsed: ("used", 410), LinkExpired: ("expired", 410),
    LinkOtherBrowser: ("other_browser", 403)}


class SignInPages(Controller):
    include_in_schema = False
    exception_handlers = PAGE_ERRORS
    guards = [same_origin]

    @post("/me/sign-in", opt=access(PUBLIC), status_code=HTTP_202_ACCEPTED,
          name="web:sign-in")
    async def ask(self, request: Request, db_session: DbSession) -> Template:
        form = await request.form()
        check_csrf(request, form.get(CSRF_FIELD))
        nonce = browser_nonce(request)  # csrf_token gave every form page one
        try:
            typed = form.get("email")  # a browser's form: spaces around it are no mistake
            asked = await ask_for_link(request, db_session,
                                       typed.strip() if isinstance(typed, str) else typed,
                                       _lang(request), nonce=nonce)
        except Invalid as exc:
            return page(request, "signin.html.j2", status=422, forms=True, state="invalid",
                        detail=exc.errors[0][1], email=str(form.get("email") or "")[:320])
        return page(request, "signin.html.j2", status=HTTP_202_ACCEPTED, forms=True,
                    state="sent", email=asked.email, minutes=LINK_MINUTES)

    @get("/me/sign-in/{token:str}", opt=access(PUBLIC), name="web:sign-in-link")
    async def confirm(self, request: Request, db_session: DbSession,
                      token: FromPath[str]) -> Template:
        """Uses nothing: the button below does (a mail scanner's fetch leaves it usable)."""
        try:
            email = await check_link(db_session, token, browser_nonce(request))
        except DomainError as exc:
            return self._problem(request, exc)
        return page(request, "signin.html.j2", forms=True, state="confirm", email=email,
                    token=token)

    @post("/me/sign-in/{token:str}", opt=access(PUBLIC), status_code=303,
          name="web:sign-in-use")
    async def use(self, request: Request, db_session: DbSession,
                  token: FromPath[str]) -> Template | Redirect:
        check_csrf(request, (await request.form()).get(CSRF_FIELD))
        hours = request.app.state.settings.learner_session_hours
        try:
            started = await redeem_link(db_session, token, browser_nonce(request), hours=hours,
                                        user_agent=request.headers.get("user-agent"))
        except DomainError as exc:
            current = await page_learner(request, db_session)
            if current is not None and isinstance(exc, LinkUsed):
                return Redirect("/me", status_code=303)  # a double click: already signed in
            return self._problem(request, exc)
        return Redirect("/me", status_code=303,
                        cookies=[session_cookie(request, started.token, hours * 3600)])

    def _problem(self, request: Request, exc: DomainError) -> Template:  # type: ignore[type-arg]
        problem, status = next((v for cls, v in _PROBLEMS.items() if isinstance(exc, cls)),
                               ("unknown", 400))
        return page(request, "signin.html.j2", status=status, forms=True, state="problem",
                    problem=problem, detail=exc.detail)


def signin_handlers() -> list[type[Controller]]:
    return [SignInController, SignInPages]
