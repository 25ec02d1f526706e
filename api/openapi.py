"""The OpenAPI document, completed from the route table.

Litestar documents what a handler's signature shows. What it cannot see is derived here,
once per app, from each route's access rule, method and path parameters:

* errors: every operation lists the problem documents (RFC 9457) it can really return:
  400/422 when it takes parameters or a body (OOAPI answers bad input with 400 only),
  401/403 behind a key or learner token, 404 when path parameters name a resource, 413
  for bodies, 429 where rate-limited, 500 and 503 always;
* path parameters: partner slugs, course codes, source names and ids get the schema the
  server enforces; limit and cursor of /api/ routes the pagination's;
* our JSON Schemas in ``schemas/`` become components (``api.openapi_schemas``);
* descriptions: of parameters by name (``api.openapi_text``), of who may call each
  operation from its access rule, appended to the handler's own ``description``;
  Retry-After on every 429 and 503.

Where derivation cannot know, the handler says it, beside its summary: ``@post(...,
doc=Doc(body=..., statuses={409}))`` (Litestar keeps unknown decorator keywords in the
handler's ``opt``): request bodies of handlers that read the raw body, success responses
the signature cannot describe (stored bytes served as JSON-LD), statuses only the domain
knows, request headers it reads and response headers it sends, examples of its bodies
(files of ``schemas/examples/`` by name). A route added later gets the derived part without
anyone touching this module; ``tests/api/test_openapi_usable.py`` says what it still owes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi.spec import OpenAPI
from litestar.routes import HTTPRoute

from api.access import Rule
from api.openapi_schemas import REF, json_schema_components
from api.openapi_text import (
    HEADERS,
    access_text,
    load_example,
    parameter_text,
)
from api.pagination import MAX_LIMIT
from api.ratelimit import is_limited

__all__ = ["OBJECT", "Doc", "Example", "complete", "document_api"]

PROBLEM_JSON = "application/problem+json"
OBJECT: dict[str, Any] = {"type": "object"}  # a JSON object, e.g. a credential as issued

SLUGS = ["kuleuven", "luca", "odisee", "thomasmore", "ucll", "vives"]

_ERROR = {
    "type": "object",
    "required": ["pointer", "message"],
    "properties": {"pointer": {"type": "string"}, "message": {"type": "string"}},
}


def _problem(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "An RFC 9457 problem document.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": status,
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": _ERROR,
                       "description": "What is wrong where: a JSON pointer into the body, "
                                      "or query:/path:/header: and a parameter name."},
        },
    }


COMPONENTS: dict[str, Any] = {
    "Problem": _problem({"type": "integer", "minimum": 400, "maximum": 599}),
    # OOAPI v5's Problem carries the status as a string.
    "OoapiProblem": _problem({"type": "string", "pattern": "^[45][0-9]{2}$"}),
    "InstitutionSlug": {"type": "string", "enum": SLUGS, "description": "An Association partner."},
    "CourseCode": {
        "type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[A-Za-z0-9._-]+$",
        "not": {"type": "string", "pattern": "^[.]+$"},
        "description": "The partner's own identifier: letters, digits, '.', '_' or '-', "
                       "not only dots.",
    },
    "SourceName": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
    "Uuid": {"type": "string", "format": "uuid"},
    "StatusListName": {"type": "string", "pattern": "^message-[0-9]{1,9}$"},
}


# Query parameters every /api/ route means the same by (api.pagination); a handler's Doc
# says more where it checks more.
CONVENTIONS: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    "cursor": {"type": "string"},
}

REASONS = {
    400: "Malformed request: a parameter or the body cannot be read",
    401: "No valid API key or learner token",
    403: "The key lacks the scope, or acts for another institution",
    404: "No such resource",
    409: "Conflicts with the current state",
    412: "If-Match does not match the current version",
    413: "The body is larger than this server accepts",
    415: "Unsupported media type",
    422: "The request is well-formed but invalid; `errors` says where",
    429: "Rate limit reached; see Retry-After",
    500: "Internal error",
    503: "The database is unavailable; retry after Retry-After",
}

# Path parameters by name (a handler's Doc says where one name means something else).
PATH_PARAMETERS: dict[str, str] = {
    "slug": "InstitutionSlug",
    "code": "CourseCode",
    "name": "SourceName",
}


@dataclass(frozen=True)
class Example:
    """An example read from ``schemas/examples/<name>`` when the document is built (JSON, or
    the text of NDJSON and CSV), optionally reshaped (wrapped in a batch, say)."""

    name: str
    shape: Callable[[Any], Any] | None = None

    def value(self) -> Any:
        found = copy.deepcopy(load_example(self.name))  # cached: never hand out the original
        return self.shape(found) if self.shape else found


@dataclass(frozen=True, kw_only=True)
class Doc:
    """What a handler's signature cannot tell the OpenAPI document, given beside it:
    ``@get(..., doc=Doc(...))``.

    * ``query``: schemas of query parameters the handler checks itself, by name;
    * ``path``: components of path parameters whose name alone would mislead;
    * ``body``: the request body of a handler that reads ``request.body()`` itself;
    * ``responses``: success bodies the signature cannot describe (stored bytes): status ->
      media type -> a schema, or the msgspec Struct the handler encodes;
    * ``statuses``: error statuses only the domain knows about (409, 412);
    * ``also``: other success statuses, documented like one the handler declares;
    * ``components``: schemas of Structs the handler checks more strictly than they say;
    * ``params``: descriptions of parameters whose name alone (``api.openapi_text``) would
      not say enough;
    * ``headers``: request headers the handler reads (``If-Match``, ``Idempotency-Key``);
    * ``sends``: response headers by status (``{201: ("Location",)}``);
    * ``body_examples``: an example request body by media type, ``response_examples`` an
      example response body by status (of its JSON media type).
    """

    query: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    path: Mapping[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    responses: Mapping[int, Mapping[str, dict[str, Any] | type]] = field(default_factory=dict)
    statuses: frozenset[int] = frozenset()
    also: Mapping[str, str] = field(default_factory=dict)
    components: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    headers: frozenset[str] = frozenset()
    sends: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    body_examples: Mapping[str, Any] = field(default_factory=dict)
    response_examples: Mapping[int, Any] = field(default_factory=dict)


NO_DOC = Doc()


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    rule: Rule | None
    path_parameters: tuple[str, ...]
    doc: Doc = NO_DOC


def operations(app: Litestar) -> Iterator[Operation]:
    """Every documented (method, path) of ``app`` with its access rule."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = route.path_format or "/"
        names = tuple(re.findall(r"\{([^}:]+)\}", path))
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                yield Operation(method, path, handler.opt.get("access"), names,
                                handler.opt.get("doc", NO_DOC))


def statuses(op: Operation, takes_input: bool) -> set[int]:
    """The error statuses ``op`` can answer with."""
    found = {500, 503}
    has_body = op.method in ("POST", "PUT", "PATCH")
    if takes_input or has_body or op.path_parameters:
        found |= {400, 422}
    if op.path_parameters:
        found.add(404)
    if has_body:
        found.add(413)
    rule = op.rule
    if rule is None:
        found.add(403)  # the guard refuses routes without a rule
    elif rule.needs_key:
        found |= {401, 403}
        if op.method not in ("GET", "HEAD"):
            found.add(429)
    elif rule.kind == "learner":
        found |= {401, 403, 429}
    elif is_limited(op.path):
        found.add(429)
    found |= op.doc.statuses
    if op.path.startswith("/ooapi/"):
        found.discard(422)
        found.add(400)
    return found


def _schema(schema: dict[str, Any] | type, schemas: dict[str, Any]) -> dict[str, Any]:
    """A schema, or a reference to the components of a msgspec Struct, named after its module
    (``credentials_BatchResult`` for ``api.routes.credentials.BatchResult``)."""
    if isinstance(schema, dict):
        return copy.deepcopy(schema)
    prefix = schema.__module__.rsplit(".", 1)[-1] + "_"
    (ref,), found = msgspec.json.schema_components([schema], ref_template=REF + prefix + "{name}")
    schemas.update({prefix + key: value for key, value in found.items()})
    return ref


def _security(rule: Rule | None) -> list[dict[str, list[str]]] | None:
    if rule is None or rule.kind == "public":
        return None
    if rule.kind == "learner":
        return [{"learnerToken": []}, {"learnerSession": []}]
    return [{"partnerKey": []}]


def complete(document: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """Add what the route table knows to ``document`` (Litestar's output), in place."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(copy.deepcopy(COMPONENTS))
    ops = list(operations(app))
    for op in ops:
        schemas.update(copy.deepcopy(dict(op.doc.components)))
    schemas.update(json_schema_components())
    components.setdefault("securitySchemes", {})["learnerToken"] = {
        "type": "http", "scheme": "bearer",
        "description": "A learner token (lrn_...) handed out by the learner's institution"}
    components["securitySchemes"]["learnerSession"] = {
        "type": "apiKey", "in": "cookie", "name": "academy_session",
        "description": "The session a sign-in link started (POST /api/v1/learners/sign-in); "
                       "state-changing calls also send its CSRF token as X-CSRF-Token"}
    paths = document.get("paths", {})
    for op in ops:
        item = paths.get(op.path)
        if item is None or op.method.lower() not in item:
            continue
        _complete_operation(item[op.method.lower()], op, schemas)
    return document


def _complete_operation(entry: dict[str, Any], op: Operation, schemas: dict[str, Any]) -> None:
    parameters = entry.get("parameters", [])
    _complete_parameters(parameters, op)
    if op.doc.body is not None and "requestBody" not in entry:
        entry["requestBody"] = copy.deepcopy(op.doc.body)
    responses = entry.setdefault("responses", {})
    _complete_successes(responses, op, schemas)
    schema_ref = REF + ("OoapiProblem" if op.path.startswith("/ooapi/") else "Problem")
    for code in sorted(statuses(op, bool(parameters) or "requestBody" in entry)):
        responses[str(code)] = {
            "description": REASONS.get(code, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": schema_ref}}},
        }
        if code in (429, 503):
            responses[str(code)]["headers"] = {"Retry-After": copy.deepcopy(HEADERS["Retry-After"])}
    _complete_headers(entry, op)
    _complete_examples(entry, op)
    if entry.get("description"):  # who may call it, from the rule the guard enforces
        entry["description"] = entry["description"].rstrip() + "\n\n" + access_text(op.rule)
    if security := _security(op.rule):
        entry["security"] = security


def _complete_headers(entry: dict[str, Any], op: Operation) -> None:
    parameters = entry.setdefault("parameters", [])
    have = {p["name"].lower() for p in parameters if p.get("in") == "header"}
    for name in sorted(op.doc.headers):
        if name.lower() not in have:
            parameters.append({"name": name, "in": "header", "required": False,
                               **copy.deepcopy(HEADERS[name])})
    if not parameters:
        del entry["parameters"]
    responses = entry.get("responses", {})
    for status, names in op.doc.sends.items():
        response = responses.setdefault(str(status), {"description": "OK"})
        declared = response.setdefault("headers", {})
        for name in names:
            declared[name] = copy.deepcopy(HEADERS[name])


def _value(example: Any) -> Any:
    return example.value() if isinstance(example, Example) else copy.deepcopy(example)


def _complete_examples(entry: dict[str, Any], op: Operation) -> None:
    content = entry.get("requestBody", {}).get("content", {})
    for media, example in op.doc.body_examples.items():
        if media in content:
            content[media]["example"] = _value(example)
    responses = entry.get("responses", {})
    for status, example in op.doc.response_examples.items():
        for media, body in responses.get(str(status), {}).get("content", {}).items():
            if "json" in media:
                body["example"] = _value(example)
                break


def _complete_parameters(parameters: list[dict[str, Any]], op: Operation) -> None:
    """Query parameters get the handler's schemas (or the /api/ conventions), path
    parameters the component their name (or the handler) says."""
    for parameter in parameters:
        name = parameter["name"]
        if not parameter.get("description"):
            text = op.doc.params.get(name) or parameter_text(op.path, name, parameter.get("in"))
            if text:
                parameter["description"] = text
        if parameter.get("in") == "query":
            schema = op.doc.query.get(name)
            if schema is None and op.path.startswith("/api/"):
                schema = CONVENTIONS.get(name)
            if schema is not None:
                parameter["schema"] = copy.deepcopy(schema)
        if parameter.get("in") != "path":
            continue
        component = op.doc.path.get(name) or PATH_PARAMETERS.get(name)
        if component is None and (name == "id" or name.endswith("Id")):
            component = "Uuid"
        if component:
            parameter["schema"] = {"$ref": REF + component}


def _complete_successes(responses: dict[str, Any], op: Operation,
                        schemas: dict[str, Any]) -> None:
    for status, media in op.doc.responses.items():
        responses[str(status)] = {
            "description": responses.get(str(status), {}).get("description", "OK"),
            "content": {kind: {"schema": _schema(schema, schemas)}
                        for kind, schema in media.items()},
        }
    if op.method == "PUT" and "200" in responses:  # create or replace: 201 when created
        responses.setdefault("201", {**copy.deepcopy(responses["200"]), "description": "Created"})
    for status, like in op.doc.also.items():
        if like in responses:
            responses.setdefault(status, copy.deepcopy(responses[like]))


# --------------------------------------------------------------------------- wiring

class _Document(OpenAPI):
    """Litestar's document object, completed from the app's routes when serialised."""

    app: Litestar

    def to_schema(self) -> dict[str, Any]:
        return complete(super().to_schema(), self.app)


def document_api(app: Litestar) -> Litestar:
    """Make ``app`` serve the completed document (built lazily, once, like Litestar's own)."""
    config = app.openapi_config
    if config is None:
        return app
    generate = config.to_openapi_schema

    def to_openapi_schema() -> OpenAPI:
        base = generate()
        document = _Document(**{f.name: getattr(base, f.name) for f in fields(base) if f.init})
        document.app = app
        return document

    config.to_openapi_schema = to_openapi_schema  # type: ignore[method-assign]
    return app
