"""Who a learner request is, and the browser's cookies: session, browser nonce, CSRF token.

A learner proves who they are with an institution's token (``Authorization: Bearer lrn_...``,
for API clients) or with the session cookie that a sign-in link starts
(``credentials.signin``). The cookie is HttpOnly, ``SameSite=Lax`` (a sign-in link opened
from a mail must work) and ``Secure`` when the site is served over https.

CSRF: every state-changing form carries a token, and every state-changing API call made
with the cookie (not with a bearer token) sends it as ``X-CSRF-Token``. The token is an
HMAC, under a key derived from ``ACADEMY_SECRET_KEY``, of the session cookie, or before
sign-in of the browser nonce cookie (OWASP's signed double-submit, bound to the session):
nothing to store, and another site can read neither cookie. Litestar's ``CSRFConfig`` is
not used because its token is not bound to the session and it would guard the API's
bearer-token calls, which no browser can forge, by path. ``api.security.same_origin``
stays in front as a second wall.

The browser nonce also binds a sign-in link to the browser that asked for it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from api.access import bearer_token
from api.settings import Settings
from credentials.learners import Learner, learner_for_token
from credentials.signin import session_learner

__all__ = ["BROWSER_COOKIE", "CSRF_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "TOKEN_COOKIE",
           "CsrfRejected", "browser_cookie", "browser_nonce", "check_csrf", "csrf_token",
           "forget_session", "is_https", "page_learner", "resolve_learner", "session_cookie",
           "share_key", "signin_limits"]

SESSION_COOKIE = "academy_session"
BROWSER_COOKIE = "academy_browser"
TOKEN_COOKIE = "learner_token"  # an institution's token pasted on /me (``api.web``)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
ADDRESS_RATE_PER_MINUTE = 3
BROWSER_DAYS = 30
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfRejected(PermissionDeniedException):
    """A state-changing request without the right CSRF token."""


def signin_limits(settings: Settings) -> dict[str, int]:
    """The rate limiter's classes for sign-in requests: per client and per address."""
    return {"signin": settings.signin_rate_per_minute,
            "signin_address": ADDRESS_RATE_PER_MINUTE if settings.signin_rate_per_minute > 0
            else 0}


def _derived(settings: Settings, purpose: bytes) -> bytes:
    return hmac.new(settings.secret_key.encode(), b"academy:" + purpose, hashlib.sha256).digest()


def share_key(settings: Settings) -> bytes:
    """The key share-link tokens are derived with (``credentials.shares``)."""
    return _derived(settings, b"share-links")


def is_https(connection: ASGIConnection) -> bool:  # type: ignore[type-arg]
    """Whether the browser talks https to us: the public base URL says so, the connection
    is TLS, or a trusted proxy (``ACADEMY_TRUSTED_PROXIES``) says it terminated TLS."""
    settings: Settings = connection.app.state.settings
    if settings.base_url.startswith("https:") or connection.scope.get("scheme") == "https":
        return True
    proto = connection.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    if proto != "https" or not connection.client:
        return False
    try:
        peer = ipaddress.ip_address(connection.client.host)
    except ValueError:
        return False
    return any(peer in net for net in connection.app.state.rate_limiter.trusted)


def _cookie(connection: ASGIConnection, key: str, value: str, max_age: int) -> Cookie:  # type: ignore[type-arg]
    return Cookie(key=key, value=value, path="/", max_age=max_age, httponly=True,
                  samesite="lax", secure=is_https(connection))


def session_cookie(connection: ASGIConnection, token: str, seconds: int) -> Cookie:  # type: ignore[type-arg]
    return _cookie(connection, SESSION_COOKIE, token, seconds)


def forget_session(connection: ASGIConnection) -> Cookie:  # type: ignore[type-arg]
    return _cookie(connection, SESSION_COOKIE, "", 0)


def browser_nonce(connection: ASGIConnection) -> str | None:  # type: ignore[type-arg]
    value = connection.cookies.get(BROWSER_COOKIE)
    return value if value and 20 <= len(value) <= 100 else None


def browser_cookie(connection: ASGIConnection, value: str) -> Cookie:  # type: ignore[type-arg]
    return _cookie(connection, BROWSER_COOKIE, value, BROWSER_DAYS * 86400)


def csrf_token(connection: ASGIConnection) -> tuple[str, list[Cookie]]:  # type: ignore[type-arg]
    """The token this browser's forms carry, and the nonce cookie to set if it had none."""
    cookies: list[Cookie] = []
    basis = connection.cookies.get(SESSION_COOKIE)
    if basis:
        basis = "session:" + basis
    else:
        nonce = browser_nonce(connection)
        if nonce is None:
            nonce = secrets.token_urlsafe(32)
            cookies.append(browser_cookie(connection, nonce))
        basis = "browser:" + nonce
    key = _derived(connection.app.state.settings, b"csrf")
    return hmac.new(key, basis.encode(), hashlib.sha256).hexdigest(), cookies


def check_csrf(connection: ASGIConnection, supplied: Any) -> None:  # type: ignore[type-arg]
    """403 unless ``supplied`` is this browser's token (:func:`csrf_token`)."""
    has_basis = connection.cookies.get(SESSION_COOKIE) or browser_nonce(connection)
    expected, _ = csrf_token(connection)
    if not has_basis or not isinstance(supplied, str) or not hmac.compare_digest(
            supplied, expected):
        what = "was sent without its security token" if not supplied else \
            "carries a security token that is not this browser's (an old page?)"
        raise CsrfRejected(f"This form {what}: reload the page and submit it again. "
                           "(Other sites cannot submit our forms.)")


async def page_learner(connection: ASGIConnection, db_session: Any) -> Learner | None:  # type: ignore[type-arg]
    """The learner of a page request: their session cookie, else a pasted institution token."""
    if cookie := connection.cookies.get(SESSION_COOKIE):
        if learner := await session_learner(db_session, cookie):
            return learner
    if token := connection.cookies.get(TOKEN_COOKIE):
        return await learner_for_token(db_session, token)
    return None


async def resolve_learner(connection: ASGIConnection) -> Learner:  # type: ignore[type-arg]
    """The app's ``learner_resolver``: a bearer token, else the session cookie; 401 if neither
    is live. A state-changing call made with the cookie must carry ``X-CSRF-Token``."""
    token = bearer_token(connection)
    cookie = connection.cookies.get(SESSION_COOKIE)
    if token is None and not cookie:
        raise NotAuthorizedException(
            "Sign in first (on /me, with your e-mail address), or send 'Authorization: Bearer "
            "<learner token>'.", headers={"WWW-Authenticate": "Bearer"})
    async with connection.app.state.session_factory() as session:
        if token is not None:
            learner = await learner_for_token(session, token)
            if learner is None:
                raise NotAuthorizedException("The learner token is unknown, expired or revoked.",
                                             headers={"WWW-Authenticate": "Bearer"})
            return learner
        learner = await session_learner(session, cookie)  # type: ignore[arg-type]
    if learner is None:
        raise NotAuthorizedException("Your session has ended: sign in again on /me.",
                                     headers={"WWW-Authenticate": "Bearer"})
    if connection.scope["method"] in _UNSAFE:
        check_csrf(connection, connection.headers.get(CSRF_HEADER))
    return learner
