"""The OpenAPI document is enough for a client developer: every operation says what it does
and who may call it, every parameter what it means, every request body shows an example
that is valid against its schema, and the headers a client must send or read are declared
where the server really uses them (checked against real answers too)."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from api.app import create_app
from api.openapi_text import EXAMPLES_DIR
from api.settings import load_settings
from catalogue.validation import schema_registry
from tests.conftest import bearer

METHODS = ("get", "put", "post", "patch", "delete")
DOC_URI = "urn:academy:openapi"
SCHEMA_BASE = "https://academy.kuleuven.be/schemas/"
ACCESS = "\n\n**Access**"


@pytest.fixture(scope="module")
def bare_app() -> Litestar:
    """The app as served, without a database: the document only needs the route table."""
    return create_app(load_settings({"DATABASE_URL": "postgresql://unused@127.0.0.1/unused"}))


@pytest.fixture(scope="module")
def document(bare_app: Litestar) -> dict[str, Any]:
    return bare_app.openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def test_every_operation_has_a_summary_and_its_own_description(document: dict[str, Any]) -> None:
    missing = []
    for method, path, op in operations(document):
        own = (op.get("description") or "").split(ACCESS)[0].strip()
        if not (op.get("summary") or "").strip() or not own:
            missing.append(f"{method} {path}")
        else:  # who may call it, derived from the access rule the guard enforces
            assert "**Access**" in op["description"], f"{method} {path}"
    assert not missing, f"operations without summary and description: {missing}"


def test_every_parameter_has_a_description(document: dict[str, Any]) -> None:
    missing = [f"{method} {path} {p['in']}:{p['name']}"
               for method, path, op in operations(document)
               for p in op.get("parameters", []) if not (p.get("description") or "").strip()]
    assert not missing, f"parameters without a description: {missing}"


def _validator(document: dict[str, Any], pointer: str) -> Draft202012Validator:
    """A validator of the schema at ``pointer`` in the document; its ``#/components/...``
    references resolve inside the document."""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry = Registry().with_resource(DOC_URI, resource)
    return Draft202012Validator({"$ref": f"{DOC_URI}#{pointer}"}, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _instance(media: str, example: Any) -> Any:
    if media == "application/x-ndjson":  # the example is the text, the schema the array
        return [json.loads(line) for line in example.splitlines() if line.strip()]
    return example


def test_every_request_body_has_an_example_valid_against_its_schema(
        document: dict[str, Any]) -> None:
    checked = 0
    for method, path, op in operations(document):
        for media, content in op.get("requestBody", {}).get("content", {}).items():
            where = f"{method} {path} {media}"
            assert "example" in content, f"no example: {where}"
            pointer = "/".join(["", "paths", _escape(path), method.lower(), "requestBody",
                                "content", _escape(media), "schema"])
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in
                      _validator(document, pointer).iter_errors(_instance(media, content["example"]))]
            assert not errors, f"{where}: {errors}"
            checked += 1
    assert checked >= 13


def test_response_examples_are_valid_against_their_schemas(document: dict[str, Any]) -> None:
    """Examples of answers (real ones, kept in schemas/examples/responses/)."""
    checked = 0
    for method, path, op in operations(document):
        for status, response in op.get("responses", {}).items():
            for media, content in response.get("content", {}).items():
                if "example" not in content:
                    continue
                pointer = "/".join(["", "paths", _escape(path), method.lower(), "responses",
                                    status, "content", _escape(media), "schema"])
                errors = [e.message for e in
                          _validator(document, pointer).iter_errors(content["example"])]
                assert not errors, f"{method} {path} {status}: {errors}"
                checked += 1
    assert checked >= 10


# The files in schemas/examples/ and the JSON Schema (in schemas/) each must satisfy.
EXAMPLE_SCHEMAS = {
    "course-kuleuven-postgraduate.json": "course.schema.json",
    "course-minimal.json": "course.schema.json",
    "course-ucll-microcredential.json": "course.schema.json",
    "my-course.json": "course.schema.json",
    "courses.ndjson": "course.schema.json",
    "microcredential-request.json": "microcredential.schema.json",
    "pathway.json": "pathway.schema.json",
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_SCHEMAS))
def test_example_files_are_valid_against_their_json_schema(name: str) -> None:
    registry = schema_registry()
    schema = registry.contents(SCHEMA_BASE + EXAMPLE_SCHEMAS[name])
    validator = Draft202012Validator(schema, registry=registry,
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    text = (EXAMPLES_DIR / name).read_text(encoding="utf-8")
    documents = ([json.loads(line) for line in text.splitlines() if line.strip()]
                 if name.endswith(".ndjson") else [json.loads(text)])
    for document in documents:
        assert not [e.message for e in validator.iter_errors(document)], name


def test_every_json_example_file_is_checked() -> None:
    assert {p.name for p in EXAMPLES_DIR.iterdir() if p.suffix in (".json", ".ndjson")} \
        == set(EXAMPLE_SCHEMAS)


# ----------------------------------------------------------------------------- headers

def _request_headers(op: dict[str, Any]) -> set[str]:
    return {p["name"].lower() for p in op.get("parameters", []) if p["in"] == "header"}


def _response_headers(op: dict[str, Any], status: str) -> set[str]:
    return {name.lower() for name in op["responses"].get(status, {}).get("headers", {})}


# What the issue names, operation by operation: (request headers, {status: response headers}).
EXPECTED = {
    ("PUT", "/api/v1/institutions/{slug}/courses/{code}"):
        ({"if-match"}, {"200": {"etag"}, "201": {"etag", "location"}}),
    ("GET", "/api/v1/institutions/{slug}/courses/{code}"): (set(), {"200": {"etag"}}),
    ("POST", "/api/v1/institutions/{slug}/credentials"):
        ({"idempotency-key"}, {"201": {"location"}, "200": {"location"}}),
    ("POST", "/api/v1/institutions/{slug}/credentials/batch"): ({"idempotency-key"}, {}),
    ("POST", "/api/v1/institutions/{slug}/sources/{name}/run"):
        (set(), {"202": {"location"}, "409": {"location"}}),
    ("PUT", "/api/v1/institutions/{slug}/sources/{name}"): (set(), {"201": {"location"}}),
    ("POST", "/api/v1/institutions/{slug}/pathways"): (set(), {"201": {"location"}}),
}


def test_the_headers_the_issue_names_are_declared(document: dict[str, Any]) -> None:
    found = {(method, path): op for method, path, op in operations(document)}
    for (method, path), (sent, answered) in EXPECTED.items():
        op = found[(method, path)]
        assert sent <= _request_headers(op), f"{method} {path}"
        for status, names in answered.items():
            assert names <= _response_headers(op, status), f"{method} {path} {status}"


def test_every_429_and_503_declares_retry_after(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        for status in ("429", "503"):
            if status in op["responses"]:
                assert "retry-after" in _response_headers(op, status), f"{method} {path}"


# A handler that reads or sets one of these headers (in its own source) must declare it.
READS = {"if-match": re.compile(r"if-match", re.I),
         "idempotency-key": re.compile(r"idempotency-key|_key\(request\)", re.I)}
SETS = {"location": re.compile(r"[\"']Location[\"']"), "etag": re.compile(r"[\"']ETag[\"']")}


def test_handlers_declare_the_headers_their_code_uses(bare_app: Litestar,
                                                      document: dict[str, Any]) -> None:
    found = {(method, path): op for method, path, op in operations(document)}
    checked = 0
    for route in bare_app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            source = inspect.getsource(handler.fn)
            for method in handler.http_methods - {"HEAD", "OPTIONS"}:
                op = found.get((method, route.path_format))
                if op is None:
                    continue
                for name, pattern in READS.items():
                    if pattern.search(source):
                        assert name in _request_headers(op), f"{method} {route.path_format} {name}"
                        checked += 1
                answered = set().union(*(_response_headers(op, s) for s in op["responses"]))
                for name, pattern in SETS.items():
                    if pattern.search(source):
                        assert name in answered, f"{method} {route.path_format} {name}"
                        checked += 1
    assert checked >= 8


# ------------------------------------------------------------------------- real answers

DECLARABLE = {"etag", "location", "retry-after"}


def _declared(document: dict[str, Any], method: str, path: str, status: int) -> set[str]:
    op = document["paths"][path][method.lower()]
    assert str(status) in op["responses"], f"{method} {path} answered undocumented {status}"
    return _response_headers(op, str(status))


async def test_real_answers_send_only_declared_headers(client: AsyncTestClient[Litestar],
                                                       make_key) -> None:  # type: ignore[no-untyped-def]
    """Publishing, issuing and queuing a harvest through the app: each header these answers
    carry is declared for that operation and status."""
    document = (await client.get("/schema/openapi.json")).json()
    headers = bearer(await make_key("ucll", "publish,issue"))
    course = json.loads((EXAMPLES_DIR / "course-ucll-microcredential.json").read_text())
    course.pop("code")
    request = json.loads((EXAMPLES_DIR / "microcredential-request.json").read_text())
    course_path = "/api/v1/institutions/{slug}/courses/{code}"
    url = f"/api/v1/institutions/ucll/courses/{request['course']}"

    calls = []
    created = await client.put(url, json=course, headers=headers)
    calls.append(("PUT", course_path, created))
    updated = await client.put(url, json={**course, "ects": course["ects"] + 1},
                               headers={**headers, "If-Match": created.headers["etag"]})
    calls.append(("PUT", course_path, updated))
    stale = await client.put(url, json=course,
                             headers={**headers, "If-Match": created.headers["etag"]})
    assert stale.status_code == 412
    calls.append(("GET", course_path, await client.get(url, headers=headers)))
    issued = await client.post("/api/v1/institutions/ucll/credentials", json=request,
                               headers={**headers, "Idempotency-Key": "usable-1"})
    again = await client.post("/api/v1/institutions/ucll/credentials", json=request,
                              headers={**headers, "Idempotency-Key": "usable-1"})
    calls += [("POST", "/api/v1/institutions/{slug}/credentials", issued),
              ("POST", "/api/v1/institutions/{slug}/credentials", again)]
    source = await client.put("/api/v1/institutions/ucll/sources/usable", headers=headers,
                              json={"type": "json", "location": "https://feeds.example.org/c.json"})
    calls.append(("PUT", "/api/v1/institutions/{slug}/sources/{name}", source))
    run = await client.post("/api/v1/institutions/ucll/sources/usable/run", headers=headers)
    busy = await client.post("/api/v1/institutions/ucll/sources/usable/run", headers=headers)
    calls += [("POST", "/api/v1/institutions/{slug}/sources/{name}/run", run),
              ("POST", "/api/v1/institutions/{slug}/sources/{name}/run", busy)]

    assert [r.status_code for _, _, r in calls] == [201, 200, 200, 201, 200, 201, 202, 409]
    for method, path, answer in calls:
        sent = {name.lower() for name in answer.headers} & DECLARABLE
        assert sent, f"{method} {path} {answer.status_code}: no header to check"
        undeclared = sent - _declared(document, method, path, answer.status_code)
        assert not undeclared, f"{method} {path} {answer.status_code} sends {undeclared}"
