"""Pages for people: search, a course, a learner's own page, and the plumbing every page
uses (``page``, the friendly errors); the credential pages and /verify are
``api.routes.web_verify``.

Every page calls the same domain functions as the API (``search_courses``, ``get_course``,
``get_credential`` + ``verify_credential``, ``learner_for_token`` + ``learner_credentials``)
and renders the result; form input is parsed here, every rule is checked in the domain.
Errors on these routes become a friendly HTML page in the visitor's language.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig

from api.access import PUBLIC, access
from api.db import DbSession, driver_of
from api.pagination import newer_than, time_id_cursor
from api.errors import DOMAIN_STATUS
from api.routes.oid4vci import offer_uri
from api.state import search_index
from api.security import same_origin
from api.routes.web_me import me_context
from api.sessions import (
    CSRF_FIELD,
    SESSION_COOKIE,
    TOKEN_COOKIE,
    check_csrf,
    csrf_token,
    forget_session,
    page_learner,
)
from catalogue.errors import DomainError, Invalid
from catalogue.search import SORTS, SearchQuery, search_courses
from catalogue.courses import get_course
from catalogue.validation import MalformedJSON
from credentials.learners import learner_credentials, revoke_session
from credentials.oid4vci import create_offer
from credentials.status_changes import parse_id
from credentials.public_pathways import list_public_pathways

import web
from web.i18n import LANGUAGES, choose_language, translator
from web.course_view import (course_facts, lang_attr, marked, matched_terms, sessions,
                             snippet_lang)
from web.date_input import date_value, parse_date_input
from web.locale import Formatter
from web.views import (
    INSTITUTION_NAMES,
    course_json_ld,
    qr_svg,
)

__all__ = ["PAGE_ERRORS", "WebController", "page", "page_language", "public_limit",
           "template_config", "verify_limit"]

WEB = Path(web.__file__).resolve().parent  # templates and static files
FACETS = ("institution", "type", "mode", "language", "city")


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=WEB / "templates", engine=JinjaTemplateEngine)


# --- page plumbing ------------------------------------------------------------------------------


def _lang(request: Request) -> str:
    return choose_language(request.query_params.get("lang"), request.cookies.get("lang"),
                           request.headers)


def page_language(request: Request) -> str:
    """The language a page answers in: ``?lang=``, the cookie, the browser, Dutch."""
    return _lang(request)


def _switch_url(request: Request, lang: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "token")]
    return f"{request.url.path}?{urlencode([*params, ('lang', lang)])}"


def _context(request: Request, **context: Any) -> dict[str, Any]:
    lang = _lang(request)
    other = next(code for code in LANGUAGES if code != lang)

    def tx(value: dict[str, str] | None) -> str:
        """A language map in the page's language, else any language it has."""
        if not value:
            return ""
        return value.get(lang) or value.get(other) or next(iter(value.values()), "")

    return {"lang": lang, "t": translator(lang), "tx": tx, "fmt": Formatter(lang),
            "other_lang": other, "switch_url": _switch_url(request, other), "institutions": INSTITUTION_NAMES,
            "path": request.url.path, **context}


def _cookies(request: Request) -> list[Cookie]:
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        return [Cookie(key="lang", value=chosen, max_age=365 * 86400, samesite="lax",
                       httponly=True)]
    return []


def page(request: Request, template: str, *, status: int = 200,
         cookies: list[Cookie] | None = None, forms: bool = False, **context: Any) -> Template:
    """``forms``: the page holds a state-changing form, so it gets this browser's CSRF token
    (``api.sessions``), and the browser a nonce cookie if it had none."""
    token, fresh = csrf_token(request) if forms else ("", [])
    return Template(template_name=template, context=_context(request, csrf=token, **context),
                    status_code=status, cookies=[*_cookies(request), *fresh, *(cookies or [])],
                    headers={"Content-Language": _lang(request)})


def _error_page(request: Request, exc: Exception) -> Response[bytes]:
    """Domain and HTTP errors of a page as HTML, with the API's status code and detail."""
    headers = None
    if isinstance(exc, DomainError):
        status = next((c for cls, c in DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)
        detail = exc.detail
        errors = [m for _, m in exc.errors] if isinstance(exc, Invalid) else []
    elif isinstance(exc, HTTPException):
        status, detail, errors = exc.status_code, str(exc.detail), []
        headers = dict(exc.headers or {}) or None  # Retry-After, WWW-Authenticate
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
            errors = [f"{e.get('key', '')}: {e.get('message', '')}" for e in exc.extra
                      if isinstance(e, dict)]
    elif isinstance(exc, (MalformedJSON, msgspec.DecodeError)):
        status, detail, errors = 400, str(exc), []
    else:  # pragma: no cover - only the types in PAGE_ERRORS are routed here
        raise exc
    context = _context(request, status=status, detail=detail, errors=errors)
    engine = request.app.template_engine
    assert engine is not None, "create_app registers template_config()"
    body = engine.get_template("error.html.j2").render(**context)
    return Response(body.encode(), status_code=status, media_type="text/html", headers=headers)


def _client(connection: ASGIConnection) -> str:
    """The client a rate limit counts (trusted proxies, IPv6 /64: ``RateLimiter.client``)."""
    return connection.app.state.rate_limiter.client(connection)  # type: ignore[no-any-return]


def verify_limit(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The API's verify limit: a pasted credential costs what one sent to the API does
    (one before the form is read, the rest by its size once it is)."""
    connection.app.state.rate_limiter.hit("verify", _client(connection))


def public_limit(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """The API's public per-client limit; the access guard already counts every page, so
    this guard is for routes outside it."""
    limiter = connection.app.state.rate_limiter
    limiter.hit("public", limiter.client(connection))


# --- search form -> SearchQuery -----------------------------------------------------------------


def _many(request: Request, name: str) -> tuple[str, ...]:
    return tuple(v for v in request.query_params.getall(name, []) if v.strip())


def _one(request: Request, name: str, parse: Any) -> Any:
    value = (request.query_params.get(name) or "").strip()
    if not value:
        return None
    try:
        return parse(value)
    except ValueError:
        raise Invalid([(f"query:{name}", f"{value!r} is not a valid value")]) from None


def _date_param(request: Request, name: str) -> date | None:
    """A date filter as links send it (ISO) or as a visitor types it in the page's language
    (``web.date_input``); one it cannot read is a 422 page naming the field."""
    value = (request.query_params.get(name) or "").strip()
    if not value:
        return None
    try:
        return parse_date_input(value)
    except ValueError:
        t = translator(_lang(request))
        message = t("date.invalid", field=t(f"filter.{name}"), value=value[:40])
        raise Invalid([(f"query:{name}", message)]) from None


def _search_query(request: Request) -> SearchQuery:
    eqf = _many(request, "eqf")
    try:
        levels = tuple(int(v) for v in eqf)
    except ValueError:
        raise Invalid([("query:eqf", "EQF levels are numbers 1 to 8")]) from None
    return SearchQuery(
        q=(request.query_params.get("q") or "").strip() or None,
        institution=_many(request, "institution"), language=_many(request, "language"),
        mode=_many(request, "mode"), city=_many(request, "city"), type=_many(request, "type"),
        microcredential=True if request.query_params.get("microcredential") else None,
        ects_min=_one(request, "ects_min", float), ects_max=_one(request, "ects_max", float),
        eqf=levels, price_max=_one(request, "price_max", float),
        starts_after=_date_param(request, "starts_after"),
        starts_before=_date_param(request, "starts_before"),
        sort=(request.query_params.get("sort") or None), limit=20,
        cursor=(request.query_params.get("cursor") or None),
    )


def _more_url(request: Request, cursor: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor" and v]
    return "/?" + urlencode([*params, ("cursor", cursor)])


# --- learner token ------------------------------------------------------------------------------


def _token_cookie(request: Request, token: str) -> Cookie:
    secure = str(request.app.state.settings.base_url).startswith("https:")
    # Path "/": the credential pages offer "Add to wallet" to their holder (SameSite=Strict).
    hours = request.app.state.settings.learner_token_hours  # a token never outlives that
    return Cookie(key=TOKEN_COOKIE, value=token, path="/", httponly=True, samesite="strict",
                  secure=secure, max_age=hours * 3600)


def _forget_cookie() -> Cookie:
    return Cookie(key=TOKEN_COOKIE, value="", path="/", max_age=0, httponly=True,
                  samesite="strict")


PAGE_ERRORS: dict[Any, Any] = {DomainError: _error_page, HTTPException: _error_page,
                               MalformedJSON: _error_page, msgspec.DecodeError: _error_page}


class WebController(Controller):
    include_in_schema = False
    exception_handlers = PAGE_ERRORS
    guards = [same_origin]  # forms that change state come from our own pages only

    @get("/", opt=access(PUBLIC), name="web:search")
    async def search(self, request: Request, db_session: DbSession) -> Template:
        query = _search_query(request)
        result = await search_courses(db_session, search_index(request.app.state), query)
        more = _more_url(request, result.next_cursor) if result.next_cursor else None
        return page(request, "search.html.j2", query=query, result=result, more_url=more,
                    facets=[(name, result.facets.get(name, [])) for name in FACETS],
                    sorts=SORTS, today=date.today(), marked=marked, matched_terms=matched_terms,
                    lang_attr=lang_attr, snippet_lang=snippet_lang, date_value=date_value)

    @get("/courses/{institution:str}/{code:str}", opt=access(PUBLIC), name="web:course")
    async def course(self, request: Request, db_session: DbSession, institution: FromPath[str],
                     code: FromPath[str]) -> Template:
        course = await get_course(db_session, institution, code)
        url = f"{request.app.state.settings.base_url}/courses/{course.institution}/{course.code}"
        lang = _lang(request)
        today = date.today()  # the search's day too (catalogue.search.results), so they agree
        current, earlier = sessions(course, today)
        pathways, _ = await list_public_pathways(
            db_session, q=None, institution=None, course=f"{course.institution}/{course.code}",
            after=None, limit=COURSE_PATHWAYS)
        return page(request, "course.html.j2", course=course, sessions=current, earlier=earlier,
                    facts=course_facts(course, today), pathways=pathways, lang_attr=lang_attr,
                    json_ld=course_json_ld(course, url, lang, today))

    @get("/me", opt=access(PUBLIC), name="web:me")
    async def me(self, request: Request, db_session: DbSession) -> Template:
        # The token comes through the form (POST) into an HttpOnly cookie, never in a URL,
        # where it would end up in histories and logs.
        return await self._me(request, db_session, request.cookies.get(TOKEN_COOKIE))

    @post("/me", opt=access(PUBLIC), status_code=200, name="web:me-token")
    async def me_token(self, request: Request, db_session: DbSession) -> Template | Redirect:
        form = await request.form()
        check_csrf(request, form.get(CSRF_FIELD))
        token = str(form.get("token") or "").strip()
        if not token:
            return await self._me(request, db_session, None)
        return Redirect("/me", status_code=303, cookies=[_token_cookie(request, token)])

    @post("/me/credentials/{id:str}/wallet", opt=access(PUBLIC), status_code=200,
          name="web:wallet")
    async def wallet(self, request: Request, db_session: DbSession, id: FromPath[str]) -> Template:
        """A fresh OpenID4VCI offer of one of my credentials: its QR code, the tx_code beside."""
        check_csrf(request, (await request.form()).get(CSRF_FIELD))
        token = request.cookies.get(TOKEN_COOKIE)
        learner = await page_learner(request, db_session)
        if learner is None:
            return await self._me(request, db_session, token)
        settings = request.app.state.settings
        made = await create_offer(await driver_of(db_session), parse_id(id),
                                  ttl=settings.offer_ttl_seconds, email=learner.email)
        uri = offer_uri(settings.base_url, made.slug, made.offer_token)
        return page(request, "wallet.html.j2", forms=True, qr=qr_svg(uri), offer_uri=uri,
                    tx_code=made.tx_code, expires_at=made.expires_at, credential_id=id)

    @post("/me/logout", opt=access(PUBLIC), status_code=200, name="web:me-logout")
    async def logout(self, request: Request, db_session: DbSession) -> Redirect:
        """Sign out: the session ends on the server (the cookie alone no longer opens it)."""
        check_csrf(request, (await request.form()).get(CSRF_FIELD))
        learner = await page_learner(request, db_session)
        if learner is not None and learner.session_id is not None:
            await revoke_session(db_session, learner)
        return Redirect("/me?signed_out=1", status_code=303,
                        cookies=[_forget_cookie(), forget_session(request)])

    async def _me(self, request: Request, db_session: DbSession, token: str | None) -> Template:
        learner = await page_learner(request, db_session)
        if learner is None:
            ended = bool(token or request.cookies.get(SESSION_COOKIE))
            forget = [_forget_cookie(), forget_session(request)] if ended else None
            return page(request, "me.html.j2", status=401 if ended else 200, learner=None,
                        bad_token=bool(token), ended=ended and not token, forms=True,
                        signed_out=bool(request.query_params.get("signed_out")), cookies=forget)
        rows = await learner_credentials(db_session, learner, limit=ME_PAGE + 1,
                                         after=newer_than(request.query_params.get("cursor")))
        more, rows = rows[ME_PAGE:], rows[:ME_PAGE]
        next_cursor = time_id_cursor(rows[-1].created_at, rows[-1].id) if more else None
        return page(request, "me.html.j2", learner=learner, forms=True, bad_token=False,
                    next_cursor=next_cursor, cursor=request.query_params.get("cursor") or "",
                    **await me_context(request, db_session, learner, rows))


ME_PAGE = 20  # credentials a /me page lists; "More" pages on (created_at, id)
COURSE_PATHWAYS = 20  # pathways a course page names; more would bury the course itself
