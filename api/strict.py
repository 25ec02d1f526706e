"""Requests held to what the API documents, before any handler runs.

One app-wide ``before_request`` hook, in three checks:

1. the body's ``Content-Type`` is one the route reads (else 415, naming them);
2. every query parameter is one the route documents (else 400, naming the known ones);
3. a typed optional parameter is not the text ``null`` (``api.queries``).

What a route documents comes from the OpenAPI document the app serves (built once), so the
check and ``/schema`` cannot disagree; a route left out of ``/schema`` (the pages) is not
checked, nor are the OOAPI routes (OOAPI v5 defines their parameters, not a refusal of
others, and its clients send their own). How a query
parameter's accepted values are worded for people (:func:`accepted`) also comes from there.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException

from api.queries import reject_null_queries

__all__ = ["BODY_TYPES", "NDJSON_TYPES", "BadParameters", "UnsupportedMediaType", "accepted",
           "query_schemas", "strict_request"]

BODY_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_CACHE = "strict_query_schemas"


class UnsupportedMediaType(HTTPException):
    status_code = 415


class BadParameters(Exception):
    """Query parameters the route does not know or cannot read: a 400 with one error each."""

    def __init__(self, errors: list[tuple[str, str]], detail: str,
                 title: str = "Invalid query parameter") -> None:
        super().__init__(detail)
        self.errors, self.detail, self.title = errors, detail, title


async def strict_request(request: Request[Any, Any, Any]) -> None:
    # A coroutine function although nothing here awaits: Litestar runs a plain function
    # given as ``before_request`` in its thread pool, a hand-off that cost every request
    # more than the checks themselves.
    reject_unsupported_body(request)
    reject_unknown_queries(request)
    reject_null_queries(request)


def body_types(request: Request[Any, Any, Any]) -> tuple[str, ...]:
    """What the route reads: JSON, plus NDJSON where its handler says ``opt={"ndjson": True}``."""
    return BODY_TYPES + (NDJSON_TYPES if request.route_handler.opt.get("ndjson") else ())


def reject_unsupported_body(request: Request[Any, Any, Any]) -> None:
    scope = request.scope
    if scope["method"] not in _WITH_BODY or not scope["path"].startswith("/api/"):
        return
    headers = request.headers
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return  # no body: the handler says whether it needs one
    given = headers.get("content-type", "").split(";")[0].strip().lower()
    allowed = body_types(request)
    if not given or given in allowed or given.startswith("application/") and given.endswith(
            "+json"):
        return  # no type at all is read as the route's first (RFC 9110 §8.3 lets us decide)
    names = " or ".join(allowed)
    raise UnsupportedMediaType(
        detail=f"This route reads {names}, not {given}: "
               f"send the header Content-Type: {allowed[0]} (curl: -H 'content-type: "
               f"{allowed[0]}').",
        extra={"accepted": list(allowed)}, headers={"Accept-" + scope["method"].title():
                                                     ", ".join(allowed)})


def reject_unknown_queries(request: Request[Any, Any, Any]) -> None:
    if not request.scope.get("query_string") or request.scope["path"].startswith("/ooapi/"):
        return  # OOAPI v5 defines its parameters but not a refusal of others: ignored there
    known = query_schemas(request)
    if known is None:
        return
    pages = request.route_handler.opt.get("page_queries", ())  # e.g. ?lang= of a page it renders
    unknown = sorted({name for name in request.query_params
                      if name not in known and name not in pages})
    if unknown:
        names = ", ".join(sorted(known)) or "none"
        raise BadParameters([(f"?{name}", f"not a parameter of this route; it knows: {names}")
                             for name in unknown],
                            f"Unknown query parameter {', '.join(unknown)}: this route knows "
                            f"{names}.", title="Unknown query parameter")


def query_schemas(request: Request[Any, Any, Any]) -> dict[str, dict[str, Any]] | None:
    """The documented query parameters of the request's operation (name -> JSON Schema),
    or ``None`` for a route ``/schema`` leaves out."""
    app = request.app
    table = app.state.get(_CACHE)
    if table is None:
        table = app.state[_CACHE] = _operations(app.openapi_schema.to_schema())
    return table.get((request.scope.get("path_template", ""), request.scope["method"]))


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    table = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            table[(path, method.upper())] = {
                p["name"]: p.get("schema", {}) for p in operation.get("parameters", [])
                if p.get("in") == "query"}
    return table


def accepted(schema: dict[str, Any]) -> str:
    """A parameter's accepted values in words, from its JSON Schema."""
    options = schema.get("oneOf") or schema.get("anyOf")
    if options:
        return " or ".join(dict.fromkeys(accepted(o) for o in options if o.get("type") != "null"))
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    kind = schema.get("type")
    if kind == "array":
        return accepted(schema.get("items", {})) + " (may repeat)"
    if kind == "boolean":
        return "true or false"
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        noun = "a whole number" if kind == "integer" else "a number"
        if low is not None and high is not None:
            return f"{noun} from {low:g} to {high:g}"
        return noun + (f" of at least {low:g}" if low is not None else "")
    if schema.get("format") == "date":
        return "a date, YYYY-MM-DD"
    if schema.get("format") == "date-time":
        return "a date and time, YYYY-MM-DDThh:mm:ssZ"
    return "text"
