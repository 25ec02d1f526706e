"""Browser-facing defences: security headers on every response, same-origin forms, and
secrets kept out of access logs.

* Headers: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer`` (share
  links carry their token in the URL) and ``frame-ancestors 'none'`` everywhere; pages
  get a Content-Security-Policy that allows only our own scripts, styles and forms;
  ``Strict-Transport-Security`` when ``ACADEMY_BASE_URL`` is https. The API docs under
  ``/schema`` load Swagger UI from our ``/static`` and start it with an inline script
  (Litestar renders the document into it), hence their own policy.
* Forms: a page's state-changing form (``POST /me``, ``POST /me/logout``) is accepted only
  from our own origin: ``Sec-Fetch-Site`` must be ``same-origin`` (or ``none``, typed by
  the user), else ``Origin`` (or, lacking it, ``Referer``) must be ours. A request with none
  of these headers is not a browser's, so no cross-site forgery. The learner cookie is
  also ``SameSite=Strict``; this holds for browsers that ignore that too.
* Logs: :func:`redact_path` takes tokens out of a path before it is logged.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Message, Scope

__all__ = ["PAGE_CSP", "redact_path", "same_origin", "security_headers"]

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
            "'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_TOKEN = re.compile(r"\b(lrn|shr|acad|sgn|ses)_[A-Za-z0-9_\-]+")
_SHARE = re.compile(r"/shares/[^/]+")


_OFFER = re.compile(r"(/oid4vci/offers/)[^/]+")  # a credential offer's URL is a bearer secret


def redact_path(path: str) -> str:
    """``path`` without learner, share, offer or API key tokens (what an access log may keep)."""
    path = _OFFER.sub(r"\1[redacted]", _SHARE.sub("/shares/[redacted]", path))
    return _TOKEN.sub(r"\1_[redacted]", path)


async def security_headers(message: Message, scope: Scope) -> None:
    """App-level ``before_send`` hook: the headers above, on every response."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
    if scope["path"].startswith(("/schema", "/swagger")):
        policy = DOCS_CSP
    elif content_type.startswith(b"text/html"):
        policy = PAGE_CSP
    else:
        policy = API_CSP
    extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
             (b"x-frame-options", b"DENY"), (b"content-security-policy", policy.encode())]
    app = scope.get("app")
    settings = app.state.get("settings") if app is not None else None
    if settings is not None and str(settings.base_url).startswith("https:"):
        extra.append((b"strict-transport-security", HSTS.encode()))
    message["headers"] = headers + [(k, v) for k, v in extra if k not in present]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_origin(connection: ASGIConnection, handler: BaseRouteHandler) -> None:  # type: ignore[type-arg]
    """Guard for pages: a state-changing request must come from one of our own pages."""
    if connection.scope["method"] not in _UNSAFE or handler.opt.get("cross_site"):
        return
    site = connection.headers.get("sec-fetch-site")
    if site is not None:
        if site in ("same-origin", "none"):
            return
        raise PermissionDeniedException("This form only works from Academy's own pages "
                                        f"(the request came from a {site} page).")
    claimed = connection.headers.get("origin") or connection.headers.get("referer")
    if claimed is None:
        return  # not sent by a browser: nobody's session is being forged
    settings = connection.app.state.settings
    ours = {_origin(str(settings.base_url)), _origin(str(connection.base_url))}
    if claimed == "null" or _origin(claimed) not in ours:
        raise PermissionDeniedException("This form only works from Academy's own pages "
                                        "(the request came from another site).")
