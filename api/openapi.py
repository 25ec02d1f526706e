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
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.openapi.spec import OpenAPI
from litestar.routes import HTTPRoute

from api.access import Rule
from api.pagination import MAX_LIMIT
from api.ratelimit import PUBLIC_LIMITED_PREFIXES
from catalogue.harvest import MIN_INTERVAL, SOURCE_TYPES
from catalogue.harvest_mapping import CSV_COLUMNS, DEFAULTABLE
from catalogue.ooapi_queries import (
    LEVELS,
    MAX_QUERY,
    MODES_OF_DELIVERY,
    ORGANIZATION_TYPES,
    PAGE_SIZES,
)

__all__ = ["complete", "document_api"]

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
REF = "#/components/schemas/"
PROBLEM_JSON = "application/problem+json"

# Our JSON Schemas (Draft 2020-12) and the component each root becomes; a ``$defs`` entry X
# of one becomes ``<root>_X``.
JSON_SCHEMAS = {
    "course.schema.json": "CourseDocument",
    "microcredential.schema.json": "MicrocredentialRequest",
    "pathway.schema.json": "PathwayDocument",
}
INT32_MAX = 2**31 - 1
# The server checks patterns with Python's ``re``, whose ``\s`` is not ECMA-262's (it has
# U+001C-U+001F and U+0085, not U+FEFF): spelled out, ``\S`` means the same to every client.
PYTHON_NON_SPACE = (r"[^\t-\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f"
                    r"\u205f\u3000]")
# Patterns with lookaheads that generators and ECMA-only validators read differently, and
# equivalents without them.
PATTERN_REWRITES: dict[str, tuple[str, dict[str, Any]]] = {
    r"^(?!\.+$)[A-Za-z0-9._-]+(?![\s\S])": (r"^[A-Za-z0-9._-]+$", {"not": {"pattern": r"^\.+$"}}),
    r"^(?!\.+$)[A-Za-z0-9._-]+$": (r"^[A-Za-z0-9._-]+$", {"not": {"pattern": r"^\.+$"}}),
}
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
        "not": {"pattern": "^[.]+$"},
        "description": "The partner's own identifier: letters, digits, '.', '_' or '-', "
                       "not only dots.",
    },
    "SourceName": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
    "Uuid": {"type": "string", "format": "uuid"},
    "StatusListName": {"type": "string", "pattern": "^(revocation|suspension)-[0-9]{1,9}$"},
}



def _sort(*attributes: str) -> dict[str, Any]:
    one = f"-?({'|'.join(attributes)})"
    return {"type": "string", "pattern": f"^({one}(,{one})*)?$",
            "description": f"Comma-separated, '-' for descending: {', '.join(attributes)}"}


_OOAPI_TEXT = {"type": "string", "maxLength": MAX_QUERY, "pattern": "^[^\\x00]*$"}
# Query parameters whose values the handlers check themselves, by name; for a path prefix
# first (OOAPI's rules are its own).
QUERY_PARAMETERS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/", "limit"): {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    ("/api/", "cursor"): {"type": "string", "description": "Opaque: a next_cursor we returned."},
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
    ("/ooapi/", "modeOfDelivery"): {"type": "array", "items": {
        "type": "string", "enum": list(MODES_OF_DELIVERY)}},
    ("/ooapi/v5/organizations", "sort"): _sort("organizationId", "name"),
    ("/ooapi/v5/courses", "sort"): _sort("courseId", "name"),
    ("/ooapi/v5/courses/{courseId}/offerings", "sort"): _sort(
        "offeringId", "name", "startDate", "endDate"),
}

# Litestar's component for a Struct, where the handler checks more than the Struct says.
_NON_BLANK = {"type": "string", "minLength": 1, "pattern": PYTHON_NON_SPACE}
COMPONENT_OVERRIDES: dict[str, dict[str, Any]] = {
    "SourceIn": {
        "type": "object", "additionalProperties": False, "required": ["type", "location"],
        "properties": {
            "type": {"type": "string", "enum": list(SOURCE_TYPES)},
            "location": {"type": "string", "maxLength": 2048,
                         "pattern": "^https?://[A-Za-z0-9._~-]+(:[0-9]{1,5})?(/[!-~]*)?$",
                         "description": "An http(s) URL; local files only through the CLI."},
            "interval_minutes": {"type": "integer", "minimum": MIN_INTERVAL, "maximum": INT32_MAX,
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


def _course_body(name: str) -> dict[str, Any]:
    return {"$ref": REF + name}


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
    ("POST", "/api/v1/institutions/{slug}/learners/tokens"): {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["email"],
            "properties": {"email": {"type": "string", "format": "email", "maxLength": 254}},
        }}},
    },
    ("POST", "/api/v1/verify"): {
        "description": "A credential, or a JSON array of up to 1,000.",
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [
            {"type": "object"}, {"type": "array", "maxItems": 1000, "items": {"type": "object"}},
        ]}}},
    },
}
# Status changes of a credential (revoke, suspend, ...) take an optional reason.
REASON_BODY: dict[str, Any] = {
    "required": False,
    "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000,
                                  "pattern": PYTHON_NON_SPACE}},
    }}},
}
REASON_PATHS = re.compile(r"^/api/v1/institutions/\{slug\}/credentials/\{id\}/[a-z]+$")

# Statuses only the domain knows about, by (method, path).
EXTRA_STATUSES: dict[tuple[str, str], set[int]] = {
    ("PUT", "/api/v1/institutions/{slug}/courses/{code}"): {412},
    ("POST", "/api/v1/institutions/{slug}/credentials"): {409},
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
    elif rule.kind in ("partner", "admin"):
        found |= {401, 403}
        if op.method not in ("GET", "HEAD"):
            found.add(429)
    elif rule.kind == "learner":
        found |= {401, 403}
    elif op.path.startswith(PUBLIC_LIMITED_PREFIXES):
        found.add(429)
    found |= EXTRA_STATUSES.get((op.method, op.path), set())
    if op.path.startswith("/ooapi/"):
        found.discard(422)
        found.add(400)
    return found


def _security(rule: Rule | None) -> list[dict[str, list[str]]] | None:
    if rule is None or rule.kind == "public":
        return None
    return [{"learnerToken": []}] if rule.kind == "learner" else [{"partnerKey": []}]


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
    paths = document.get("paths", {})
    for op in operations(app):
        item = paths.get(op.path)
        if item is None or op.method.lower() not in item:
            continue
        _complete_operation(item[op.method.lower()], op)
    return document


def _complete_operation(entry: dict[str, Any], op: Operation) -> None:
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
    schema_ref = REF + ("OoapiProblem" if op.path.startswith("/ooapi/") else "Problem")
    responses = entry.setdefault("responses", {})
    if op.method == "PUT" and "200" in responses:  # create or replace: 201 when created
        responses.setdefault("201", {**copy.deepcopy(responses["200"]), "description": "Created"})
    for code in sorted(statuses(op, bool(parameters) or "requestBody" in entry)):
        responses[str(code)] = {
            "description": REASONS.get(code, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": schema_ref}}},
        }
    if security := _security(op.rule):
        entry["security"] = security


# --------------------------------------------------------------------------- JSON Schemas

def _rewrite(node: Any, root: str) -> Any:
    """Copy ``node`` with ``$ref``s pointing into components instead of the files' ``$defs``."""
    if isinstance(node, list):
        return [_rewrite(v, root) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("$id", "$schema", "$defs"):
            continue
        if key == "$ref":
            value = _ref(value, root)
        elif key == "pattern" and isinstance(value, str):
            if value in PATTERN_REWRITES:
                value, extra = PATTERN_REWRITES[value]
                out.update(extra)
            value = value.replace("\\S", PYTHON_NON_SPACE)
        else:
            value = _rewrite(value, root)
        out[key] = value
    return out


def _ref(ref: str, root: str) -> str:
    target, _, pointer = ref.partition("#")
    if target:
        target = target.rsplit("/", 1)[-1]
        root = JSON_SCHEMAS[target]
    match = re.match(r"^/\$defs/([^/]+)(.*)$", pointer)
    if match:
        return f"{REF}{root}_{match.group(1)}{match.group(2)}"
    return f"{REF}{root}{pointer}"


@cache
def _json_schema_components() -> str:
    out: dict[str, Any] = {}
    for filename, root in JSON_SCHEMAS.items():
        schema = json.loads((SCHEMAS / filename).read_text())
        for name, definition in schema.get("$defs", {}).items():
            out[f"{root}_{name}"] = _rewrite(definition, root)
        out[root] = _rewrite(schema, root)
    # PUT takes the code from the URL: the body is a course without one.
    upsert = copy.deepcopy(out["CourseDocument_course"])
    upsert["properties"].pop("code", None)
    out["CourseUpsert"] = upsert
    out["CourseBatch"] = {"type": "array", "minItems": 1, "maxItems": 10_000,
                          "items": {"$ref": REF + "CourseDocument_batchItem"}}
    return json.dumps(out)


def json_schema_components() -> dict[str, Any]:
    """``schemas/*.schema.json`` as OpenAPI 3.1 components (a fresh copy each call)."""
    return json.loads(_json_schema_components())


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
