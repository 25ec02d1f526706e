"""Every error becomes an RFC 9457 ``application/problem+json`` document."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import DBAPIError

from api.db import is_connection_error
from api.strict import BadParameters, accepted, query_schemas
from catalogue.validation import MalformedJSON
from credentials.proofs.jsonld import UnsafeDocument
from catalogue.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    PreconditionFailed,
    Unavailable,
)

__all__ = ["exception_handlers", "problem", "problem_slug", "PROBLEM_JSON"]

log = logging.getLogger("academy.errors")
PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://academy.kuleuven.be/problems/"

DOMAIN_STATUS: dict[type[DomainError], int] = {
    Invalid: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Gone: 410,
    PreconditionFailed: 412,
    Unavailable: 503,
}


def problem_slug(title: str) -> str:
    """The last segment of a problem's ``type`` URL: ``/problems/{slug}`` explains it."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _type_base(request: Request | None) -> str:
    """``{ACADEMY_BASE_URL}/problems/``: a type URL resolves on the server that sent it."""
    settings = request.app.state.get("settings") if request is not None else None
    return f"{settings.base_url}/problems/" if settings is not None else TYPE_BASE


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    request: Request | None = None,
) -> Response[dict[str, Any]]:
    title = title or HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": _type_base(request) + problem_slug(title),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _pointer(key: str | None) -> str:
    """Turn Litestar/msgspec locations (``$.a.b[0]``, ``a.b``) into JSON pointers."""
    if not key:
        return ""
    key = key.removeprefix("$").lstrip(".")
    parts = re.findall(r"[^.\[\]]+", key)
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _validation(request: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", ""))
        key = item.get("key")
        match = re.search(r" - at `([^`]*)`$", message)
        if match:
            key, message = match.group(1), message[: match.start()]
        source = getattr(item.get("source"), "value", item.get("source"))
        if source in ("query", "path", "header", "cookie"):
            errors.append(_parameter_error(request, str(source), str(key or ""), message))
        else:
            errors.append({"pointer": _pointer(str(key) if key else None), "message": message})
    if errors and all(_is_parameter(e["pointer"]) for e in errors):
        return _parameters(request, errors)
    malformed = any("malformed" in e["message"].lower() or "json" in e["message"].lower()
                    and not e["pointer"] for e in errors)
    status = 400 if malformed or not errors else 422
    detail = exc.detail if isinstance(exc.detail, str) else "The request is invalid."
    if errors and status == 422:
        detail = "; ".join(f"{e['pointer'] or '/'}: {e['message']}" for e in errors[:3])
    return problem(status, detail, title="Invalid request" if status == 422 else "Bad request",
                   errors=errors, request=request)


def _parameter_error(request: Request, source: str, name: str, message: str) -> dict[str, str]:
    """A parameter error in our words: where (``?name``, ``header:If-Match``) and what is
    accepted, never the framework's type names."""
    if source != "query":
        return {"pointer": f"{source}:{name}", "message": "missing or not a valid value"}
    schema = (query_schemas(request) or {}).get(name)
    if schema is None:
        return {"pointer": f"?{name}", "message": "not a valid value"}
    missing = "required" in message.lower() or "missing" in message.lower()
    return {"pointer": f"?{name}",
            "message": ("is required: " if missing else "must be ") + accepted(schema)}


def _is_parameter(pointer: str) -> bool:
    return pointer.startswith(("?", "path:", "header:", "cookie:"))


def _parameters(request: Request, errors: list[dict[str, str]],
                title: str = "Invalid query parameter") -> Response[dict[str, Any]]:
    detail = "; ".join(f"{e['pointer']} {e['message']}" for e in errors[:3])
    return problem(400, detail + ".", title=title, errors=errors, request=request)


def _bad_parameters(request: Request, exc: BadParameters) -> Response[dict[str, Any]]:
    return problem(400, exc.detail, title=exc.title, request=request,
                   errors=[{"pointer": p, "message": m} for p, m in exc.errors])


def _http(request: Request, exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    if status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
    if status == 413:
        detail = "The request body is larger than this server accepts."
    headers = dict(exc.headers or {})
    return problem(status, detail, headers=headers or None, request=request)


def _domain(request: Request, exc: DomainError) -> Response[dict[str, Any]]:
    status = next((code for cls, code in DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)
    errors = None
    if isinstance(exc, Invalid):
        # domain code names a query parameter "query:limit"; the API says "?limit"
        errors = [{"pointer": "?" + p.removeprefix("query:") if p.startswith("query:") else p,
                   "message": m} for p, m in exc.errors]
        if errors and all(_is_parameter(e["pointer"]) for e in errors):
            return _parameters(request, errors)
    headers = {"Retry-After": "30"} if status == 503 else None
    return problem(status, exc.detail, title=exc.title, errors=errors, headers=headers,
                   request=request)


def _decode(request: Request, exc: msgspec.DecodeError) -> Response[dict[str, Any]]:
    return problem(400, f"The body is not valid JSON: {exc}", title="Malformed JSON",
                   request=request)


def _malformed(request: Request, exc: MalformedJSON) -> Response[dict[str, Any]]:
    errors = [{"pointer": v.pointer, "message": v.message} for v in exc.violations]
    return problem(400, str(exc), title="Malformed JSON", errors=errors, request=request)


def _unsafe(request: Request, exc: UnsafeDocument) -> Response[dict[str, Any]]:
    errors = [{"pointer": "", "message": p} for p in exc.problems]
    return problem(422, "The credential could not be signed safely: " + "; ".join(exc.problems[:2]),
                   title="Invalid request", errors=errors, request=request)


def _undecodable(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    what = "not UTF-8" if isinstance(exc, UnicodeDecodeError) else "nested too deeply"
    return problem(400, f"The body is not valid JSON: {what}.", title="Malformed JSON",
                   request=request)


# SQLSTATEs that mean the input cannot be represented (NUL bytes, bad encodings)
_BAD_INPUT_SQLSTATES = {"22021", "22P05", "54000"}


def _internal(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(
        getattr(getattr(exc, "orig", None), "__cause__", None), "sqlstate", None)
    if sqlstate in _BAD_INPUT_SQLSTATES:
        return problem(400, "The request holds characters that cannot be stored (such as NUL).",
                       title="Bad request", request=request)
    if isinstance(exc, DBAPIError) and is_connection_error(exc) or is_connection_error(exc):
        log.error("database unavailable: %s", type(exc).__name__)
        return problem(503, "The database is unavailable; retry shortly.",
                       headers={"Retry-After": "5"}, request=request)
    log.exception("unhandled error")
    request_id = request.scope.get("state", {}).get("request_id", "")
    return problem(500, f"An internal error occurred (request id {request_id}).",
                   request=request)


def _ooapi_aware(handler: Any) -> Any:
    """Under ``/ooapi/`` every answer, an unknown path's 404 included, follows OOAPI's
    ``Problem`` schema: ``status`` a string, and bad input a 400, never a 422."""
    def wrapped(request: Request, exc: Exception) -> Response[dict[str, Any]]:
        response = handler(request, exc)
        if not request.url.path.startswith("/ooapi/"):
            return response
        status = 400 if response.status_code == 422 else response.status_code
        return Response({**response.content, "status": str(status)}, status_code=status,
                        media_type=PROBLEM_JSON, headers=response.headers)
    return wrapped


_handlers: dict[Any, Any] = {
    BadParameters: _bad_parameters,
    ValidationException: _validation,
    HTTPException: _http,
    DomainError: _domain,
    msgspec.DecodeError: _decode,
    MalformedJSON: _malformed,
    UnsafeDocument: _unsafe,
    UnicodeDecodeError: _undecodable,
    RecursionError: _undecodable,
    Exception: _internal,
}
exception_handlers: dict[Any, Any] = {kind: _ooapi_aware(h) for kind, h in _handlers.items()}
