"""The OpenAPI document, completed from the route table.

Litestar documents what a handler's signature shows. What it cannot see is derived here,
once per app, from each route's access rule, method and path parameters:

* errors: every operation lists the problem documents (RFC 9457) it can really return:
  400/422 when it takes parameters or a body (OOAPI answers bad input with 400 only),
  401/403 behind a key or learner token, 404 when path parameters name a resource, 413
  for bodies, 429 where rate-limited, 500 and 503 always;
* path parameters: partner slugs, course codes, source names and ids get the schema the
  server enforces;
* request bodies of the handlers that read the raw body (publishing, issuance, ...),
  taken from our JSON Schemas in ``schemas/``, which become components;
* success responses the signature cannot describe (stored bytes served as JSON-LD).

Where derivation cannot know, the tables below say it; a route added later gets the
derived part without anyone touching this module.
"""

from __future__ import annotations

import copy
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import msgspec
from litestar import Litestar
from litestar.openapi.spec import OpenAPI
from litestar.routes import HTTPRoute

from api.access import Rule
from api.openapi_schemas import EMAIL, PYTHON_NON_SPACE, REF, SPACE, json_schema_components
from api.pagination import MAX_LIMIT
from api.ratelimit import is_limited
from catalogue.harvest import MAX_INTERVAL, MIN_INTERVAL, SOURCE_TYPES
from catalogue.harvest_net import PUBLIC_URL_PATTERN
from catalogue.harvest_mapping import CSV_COLUMNS, DEFAULTABLE
from catalogue.search import MAX_OFFSET, SORTS
from catalogue.search import MAX_LIMIT as SEARCH_MAX_LIMIT
from catalogue.search import MAX_QUERY as SEARCH_MAX_QUERY
from catalogue.structs import COURSE_TYPES, INSTITUTIONS, MODES
from credentials.notifications import STATES as MAIL_STATES
from credentials.shares import LABEL_PATTERN
from catalogue.ooapi_queries import (
    LEVELS,
    MAX_QUERY,
    MODES_OF_DELIVERY,
    ORGANIZATION_TYPES,
    PAGE_SIZES,
)

__all__ = ["complete", "document_api"]

PROBLEM_JSON = "application/problem+json"

INT32_MAX = 2**31 - 1
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



def _sort(*attributes: str) -> dict[str, Any]:
    one = f"-?({'|'.join(attributes)})"
    return {"type": "string", "pattern": f"^({one}(,{one})*)?$",
            "description": f"Comma-separated, '-' for descending: {', '.join(attributes)}"}


def _comma_separated(values: tuple[str, ...]) -> str:
    one = f"[{SPACE}]*({'|'.join(values)})?[{SPACE}]*"
    return f"^{one}(,{one})*$"


_OOAPI_TEXT = {"type": "string", "maxLength": MAX_QUERY, "pattern": "^[^\\x00]*$"}
# Query parameters whose values the handlers check themselves, by name; for a path prefix
# first (OOAPI's rules are its own).
QUERY_PARAMETERS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/", "limit"): {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    ("/api/", "cursor"): {"type": "string", "description": "Opaque: a next_cursor we returned."},
    # Catalogue search: cross-field rules (ects_min <= ects_max, starts_after <=
    # starts_before, a cursor or an offset) are the handler's, answered with 422.
    ("/api/v1/courses", "q"): {"type": "string", "maxLength": SEARCH_MAX_QUERY},
    ("/api/v1/courses", "limit"): {"type": "integer", "minimum": 1, "maximum": SEARCH_MAX_LIMIT},
    ("/api/v1/courses", "offset"): {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
    ("/api/v1/courses", "institution"): {"type": "array", "items": {"enum": list(INSTITUTIONS)}},
    ("/api/v1/courses", "mode"): {"type": "array", "items": {"enum": list(MODES)}},
    ("/api/v1/courses", "type"): {"type": "array", "items": {"enum": list(COURSE_TYPES)}},
    ("/api/v1/courses", "sort"): {"type": "string", "enum": list(SORTS)},
    ("/api/v1/courses", "language"): {"type": "array", "items": {
        "type": "string", "pattern": "^[a-z]{2,3}$"}},
    ("/api/v1/courses", "isced"): {"type": "array", "items": {
        "type": "string", "pattern": "^[0-9]{2,4}$"}},
    ("/api/v1/courses", "city"): {"type": "array", "items": {
        "type": "string", "maxLength": 100, "pattern": PYTHON_NON_SPACE}},
    ("/api/v1/courses", "eqf"): {"type": "array", "items": {
        "type": "integer", "minimum": 1, "maximum": 8}},
    **{("/api/v1/courses", name): {"type": "number", "minimum": 0, "exclusiveMaximum": 1e6}
       for name in ("ects_min", "ects_max", "price_max")},
    ("/api/v1/suggest", "q"): {"type": "string", "maxLength": SEARCH_MAX_QUERY},
    ("/api/v1/suggest", "limit"): {"type": "integer", "minimum": 1, "maximum": 20},
    ("/ooapi/", "pageSize"): {"type": "integer", "enum": list(PAGE_SIZES), "default": 10},
    ("/ooapi/", "pageNumber"): {"type": "integer", "minimum": 1, "maximum": INT32_MAX,
                                "default": 1},
    ("/ooapi/", "q"): _OOAPI_TEXT,
    ("/ooapi/", "primaryCode"): _OOAPI_TEXT,
    # An empty value is no filter.
    ("/ooapi/", "organizationType"): {"type": "string", "enum": ["", *ORGANIZATION_TYPES]},
    ("/ooapi/", "level"): {"type": "string", "enum": ["", *LEVELS]},
    ("/ooapi/", "teachingLanguage"): {"type": "string", "pattern": "^[a-z]{3}$",
                                      "description": "ISO 639-2, e.g. nld"},
    # Repeated, or comma-separated; blanks are ignored.
    ("/ooapi/", "modeOfDelivery"): {"type": "array", "items": {
        "type": "string", "pattern": _comma_separated(MODES_OF_DELIVERY)}},
    ("/ooapi/v5/organizations", "sort"): _sort("organizationId", "name"),
    ("/ooapi/v5/courses", "sort"): _sort("courseId", "name"),
    ("/ooapi/v5/courses/{courseId}/offerings", "sort"): _sort(
        "offeringId", "name", "startDate", "endDate"),
    ("/api/v1/institutions/{slug}/notifications", "state"): {
        "type": "string", "enum": list(MAIL_STATES)},
}

# Litestar's component for a Struct, where the handler checks more than the Struct says.
_NON_BLANK = {"type": "string", "minLength": 1, "pattern": PYTHON_NON_SPACE}
COMPONENT_OVERRIDES: dict[str, dict[str, Any]] = {
    "SourceIn": {
        "type": "object", "additionalProperties": False, "required": ["type", "location"],
        "properties": {
            "type": {"type": "string", "enum": list(SOURCE_TYPES)},
            "location": {"type": "string", "maxLength": 2048,
                         "pattern": PUBLIC_URL_PATTERN.replace(r"\s", SPACE),
                         "description": "An https URL of a public host (http only where the "
                                        "server allows it); local files only through the CLI."},
            "interval_minutes": {"type": "integer", "minimum": MIN_INTERVAL, "maximum": MAX_INTERVAL,
                                 "default": 1440},
            "mapping": {"$ref": REF + "HarvestMapping"},
            "overwrite_push": {"type": "boolean", "default": False},
        },
        # Only a csv source maps columns.
        "if": {"properties": {"type": {"const": "csv"}}},
        "then": {},
        "else": {"properties": {"mapping": {"properties": {"columns": {"maxProperties": 0}}}}},
    },
    "HarvestMapping": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "columns": {"type": "object", "propertyNames": {"enum": list(CSV_COLUMNS)},
                        "additionalProperties": _NON_BLANK,
                        "description": "Our column name -> the header in their CSV."},
            "delimiter": {"type": "string", "minLength": 1, "maxLength": 1,
                          "not": {"enum": ["\"", "\r", "\n"]}},
            "page_size": {"type": "integer", "minimum": 1, "maximum": 1000},
            "defaults": {"type": "object", "propertyNames": {"enum": list(DEFAULTABLE)}},
        },
    },
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

# Path parameters by name, and where one name means different things, by (path, name).
PATH_PARAMETERS: dict[str, str] = {
    "slug": "InstitutionSlug",
    "code": "CourseCode",
    "name": "SourceName",
}
PATH_PARAMETERS_AT: dict[tuple[str, str], str] = {
    ("/institutions/{slug}/status/{name}", "name"): "StatusListName",
}


# Bodies of handlers that read ``request.body()`` themselves, by (method, path).
REQUEST_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/api/v1/institutions/{slug}/courses/{code}"): {
        "description": "A course document; the code comes from the URL.",
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF + "CourseUpsert"}}},
    },
    ("POST", "/api/v1/institutions/{slug}/courses/batch"): {
        "description": "Up to 10,000 course documents, each with its code: a JSON array, "
                       "or NDJSON (one document a line).",
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": REF + "CourseBatch"}},
            "application/x-ndjson": {"schema": {"$ref": REF + "CourseBatch"}},
        },
    },
    ("POST", "/api/v1/institutions/{slug}/credentials"): {
        "description": "An issuance request.",
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF + "MicrocredentialRequest"}}},
    },
    ("POST", "/api/v1/institutions/{slug}/pathways"): {
        "description": "A pathway.",
        "required": True,
        "content": {"application/json": {"schema": {"$ref": REF + "PathwayDocument"}}},
    },
    ("POST", "/api/v1/institutions/{slug}/pathways/{code}/approve"): {
        "description": "Optional: the version seen, which must be the one awaiting approval "
                       "(so nobody approves rules they have not read).",
        "required": False,
        "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False,
            "properties": {"version": {"type": "integer", "minimum": 1}}}}},
    },
    ("POST", "/api/v1/institutions/{slug}/learners/tokens"): {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["email"],
            "properties": {"email": {"type": "string", "maxLength": 320, "pattern": EMAIL}},
        }}},
    },
    ("POST", "/api/v1/learners/sign-in"): {
        "description": "The address to mail a one-time sign-in link to (sent only when it "
                       "holds credentials; the answer is the same 202 either way).",
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["email"],
            "properties": {"email": {"type": "string", "maxLength": 320, "pattern": EMAIL}},
        }}},
    },
    ("POST", "/api/v1/me/credentials/{id}/shares"): {
        "description": "Optional: what the link is for (one live link per label is reused).",
        "required": False,
        "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False,
            "properties": {"label": {"type": "string", "minLength": 1, "maxLength": 64,
                                     "pattern": LABEL_PATTERN}}}}},
    },
    ("POST", "/api/v1/verify"): {
        "description": "A credential, or a JSON array of up to 1,000, in at most 1 MiB: any "
                       "JSON is verified (and what is not a credential fails verification). "
                       "Each credential counts toward the client's verify rate.",
        "required": True,
        "content": {"application/json": {"schema": {"anyOf": [
            {"type": ["object", "string", "number", "boolean", "null"]},
            {"type": "array", "maxItems": 1000},
        ]}}},
    },
    ("POST", "/api/v1/institutions/{slug}/credentials/batch"): {
        "description": "1 to 1,000 issuance requests; one result per item.",
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "array", "minItems": 1, "maxItems": 1000, "items": {"$ref": REF + "MicrocredentialRequest"}}}},
    },
}
# Status changes of a credential (revoke, suspend, ...) take an optional reason.
REASON_BODY: dict[str, Any] = {
    "required": False,
    "description": "Required (with a reason) to revoke.",
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000,
                                  "pattern": PYTHON_NON_SPACE}},
    }}},
}
REASON_PATHS = re.compile(r"^/api/v1/institutions/\{slug\}/credentials/\{id\}/[a-z]+$")

LD_JSON, DID_JSON = "application/ld+json", "application/did+ld+json"
_OBJECT: dict[str, Any] = {"type": "object"}
# Success bodies of handlers that return bytes, by (method, path): status -> media type ->
# a schema, or "module:Struct" for the msgspec Struct the handler encodes.
RESPONSES: dict[tuple[str, str], dict[int, dict[str, Any]]] = {
    ("POST", "/api/v1/institutions/{slug}/credentials"): {
        201: {LD_JSON: _OBJECT}, 200: {LD_JSON: _OBJECT}},
    ("POST", "/api/v1/institutions/{slug}/credentials/batch"): {
        200: {"application/json": "api.credentials:BatchResult"}},
    ("GET", "/api/v1/credentials/{id}"): {
        200: {LD_JSON: _OBJECT, "text/html": {"type": "string"}}},
    ("GET", "/api/v1/shares/{token}"): {200: {
        LD_JSON: _OBJECT, "application/json": _OBJECT, "text/html": {"type": "string"}}},
    ("POST", "/api/v1/learners/sign-in"): {202: {"application/json": {
        "type": "object", "required": ["detail", "email", "expires_in_seconds"],
        "properties": {"detail": {"type": "string"}, "email": {"type": "string"},
                       "expires_in_seconds": {"type": "integer"}}}}},
    ("GET", "/api/v1/me/export"): {200: {"application/json": {
        "type": "object", "required": ["learner", "scope", "exported_at", "credentials",
                                       "shares", "sessions", "sign_in_links", "learner_tokens",
                                       "notifications"],
        "properties": {"credentials": {"type": "array", "items": _OBJECT},
                       **{k: {"type": "array"} for k in ("shares", "sessions", "sign_in_links",
                                                         "learner_tokens", "notifications")}}}}},
    ("DELETE", "/api/v1/me"): {200: {"application/json": "api.me:ErasureOut"}},
    ("POST", "/api/v1/me/credentials/{id}/reissue"): {
        201: {LD_JSON: _OBJECT}, 200: {LD_JSON: _OBJECT}},
    ("GET", "/api/v1/me/credentials"): {200: {"application/json": "api.learners:CredentialPage"}},
    ("GET", "/api/v1/me/credentials/export"): {200: {"application/json": {
        "type": "object", "required": ["learner", "scope", "exported_at", "credentials"],
        "properties": {"learner": {"type": "string"}, "exported_at": {"type": "string"},
                       "scope": {"type": "object", "properties": {
                           "institution": {"type": ["string", "null"]}}},
                       "credentials": {"type": "array", "items": _OBJECT}}}}},
    ("GET", "/institutions/{slug}/did.json"): {200: {DID_JSON: _OBJECT}},
    ("GET", "/institutions/{slug}/status/{name}"): {200: {LD_JSON: _OBJECT}},
    ("GET", "/contexts/microcredential/v1"): {200: {LD_JSON: _OBJECT}},
    ("POST", "/api/v1/institutions/{slug}/sources/{name}/run"): {
        202: {"application/json": "api.harvest:RunOut"}},
    ("POST", "/api/v1/me/credentials/{id}/offers"): {
        201: {"application/json": "api.oid4vci:OfferOut"}},
    ("POST", "/api/v1/institutions/{slug}/credentials/{id}/offers"): {
        201: {"application/json": "api.oid4vci:OfferOut"}},
}

# Statuses only the domain knows about, by (method, path).
EXTRA_STATUSES: dict[tuple[str, str], set[int]] = {
    ("GET", "/api/v1/credentials/{id}"): {401},  # a bearer token that is not (or no longer) valid
    ("PUT", "/api/v1/institutions/{slug}/courses/{code}"): {412},
    ("POST", "/api/v1/institutions/{slug}/sources/{name}/run"): {409},
    ("POST", "/api/v1/institutions/{slug}/credentials"): {409},
    ("POST", "/api/v1/institutions/{slug}/credentials/batch"): {409},
    ("POST", "/api/v1/me/credentials/{id}/reissue"): {409},
    ("POST", "/api/v1/me/credentials/{id}/offers"): {409},
    ("POST", "/api/v1/institutions/{slug}/credentials/{id}/offers"): {409},
    **{("POST", f"/api/v1/institutions/{{slug}}/credentials/{{id}}/{action}"): {409}
       for action in ("revoke", "suspend", "unsuspend")},
    **{("POST", f"/api/v1/institutions/{{slug}}/pathways{tail}"): {409}
       for tail in ("", "/{code}/retire", "/{code}/approve")},
}
# Other success statuses of a handler, documented like the one it declares, by (method, path).
ALSO_SUCCESS: dict[tuple[str, str], dict[str, str]] = {
    ("POST", "/api/v1/institutions/{slug}/pathways"): {"200": "201"},  # the same body again
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    rule: Rule | None
    path_parameters: tuple[str, ...]


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
                yield Operation(method, path, handler.opt.get("access"), names)


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
    found |= EXTRA_STATUSES.get((op.method, op.path), set())
    if op.path.startswith("/ooapi/"):
        found.discard(422)
        found.add(400)
    return found


def _schema(schema: dict[str, Any] | str, schemas: dict[str, Any]) -> dict[str, Any]:
    """A schema, or a reference to the components of a Struct named "module:Name"."""
    if isinstance(schema, dict):
        return copy.deepcopy(schema)
    module, _, name = schema.partition(":")
    prefix = module.rsplit(".", 1)[-1] + "_"
    struct = getattr(importlib.import_module(module), name)
    (ref,), found = msgspec.json.schema_components([struct], ref_template=REF + prefix + "{name}")
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
    schemas.update(copy.deepcopy(COMPONENT_OVERRIDES))
    schemas.update(json_schema_components())
    components.setdefault("securitySchemes", {})["learnerToken"] = {
        "type": "http", "scheme": "bearer",
        "description": "A learner token (lrn_...) handed out by the learner's institution"}
    components["securitySchemes"]["learnerSession"] = {
        "type": "apiKey", "in": "cookie", "name": "academy_session",
        "description": "The session a sign-in link started (POST /api/v1/learners/sign-in); "
                       "state-changing calls also send its CSRF token as X-CSRF-Token"}
    paths = document.get("paths", {})
    for op in operations(app):
        item = paths.get(op.path)
        if item is None or op.method.lower() not in item:
            continue
        _complete_operation(item[op.method.lower()], op, schemas)
    return document


def _complete_operation(entry: dict[str, Any], op: Operation, schemas: dict[str, Any]) -> None:
    parameters = entry.get("parameters", [])
    for parameter in parameters:
        name = parameter["name"]
        if parameter.get("in") == "query":
            schema = QUERY_PARAMETERS.get((op.path, name)) or next(
                (v for (prefix, n), v in QUERY_PARAMETERS.items()
                 if n == name and op.path.startswith(prefix) and prefix.endswith("/")), None)
            if schema is not None:
                parameter["schema"] = copy.deepcopy(schema)
        if parameter.get("in") != "path":
            continue
        component = PATH_PARAMETERS_AT.get((op.path, name)) or PATH_PARAMETERS.get(name)
        if component is None and (name == "id" or name.endswith("Id")):
            component = "Uuid"
        if component:
            parameter["schema"] = {"$ref": REF + component}
    body = REQUEST_BODIES.get((op.method, op.path))
    if body is None and op.method == "POST" and REASON_PATHS.match(op.path):
        body = REASON_BODY
    if body is not None and "requestBody" not in entry:
        entry["requestBody"] = copy.deepcopy(body)
        if op.path.endswith("/revoke"):
            entry["requestBody"]["required"] = True
            entry["requestBody"]["content"]["application/json"]["schema"]["required"] = ["reason"]
    schema_ref = REF + ("OoapiProblem" if op.path.startswith("/ooapi/") else "Problem")
    responses = entry.setdefault("responses", {})
    for status, media in RESPONSES.get((op.method, op.path), {}).items():
        responses[str(status)] = {
            "description": responses.get(str(status), {}).get("description", "OK"),
            "content": {kind: {"schema": _schema(schema, schemas)}
                        for kind, schema in media.items()},
        }
    if op.method == "PUT" and "200" in responses:  # create or replace: 201 when created
        responses.setdefault("201", {**copy.deepcopy(responses["200"]), "description": "Created"})
    for status, like in ALSO_SUCCESS.get((op.method, op.path), {}).items():
        if like in responses:
            responses.setdefault(status, copy.deepcopy(responses[like]))
    for code in sorted(statuses(op, bool(parameters) or "requestBody" in entry)):
        responses[str(code)] = {
            "description": REASONS.get(code, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": schema_ref}}},
        }
    if security := _security(op.rule):
        entry["security"] = security


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
