"""Schemathesis against our own OpenAPI document, on a real server with the demo catalogue.

Every documented operation is called with generated valid and invalid input, once with
the credentials it asks for (an admin key; a learner token where one is needed) and once
with none. Every check must pass: no 5xx, only documented statuses and content types,
responses that match their schemas, invalid input rejected with 4xx. Bounded: a fixed
seed and ``ACADEMY_SCHEMATHESIS_EXAMPLES`` examples per operation and mode (``make fuzz``
runs a longer session, see ``bench/fuzz.py``).

Nearly all the time goes into Hypothesis generating cases (request bodies above all), not
into the server: the operations run in ``ACADEMY_SCHEMATHESIS_WORKERS`` processes (one a
core; 1 runs them in this process, for debugging), each test then reports its operation's
outcome. Each operation's cases depend only on the seed, not on the worker or the order.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import traceback
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from api.app import create_app
from api.settings import load_settings
from tests.api.live import LiveServer, live_server

METHODS = {"get", "put", "post", "delete", "patch"}

EXAMPLES = int(os.environ.get("ACADEMY_SCHEMATHESIS_EXAMPLES", "150"))
UNAUTHENTICATED_EXAMPLES = max(5, EXAMPLES // 4)
WORKERS = int(os.environ.get("ACADEMY_SCHEMATHESIS_WORKERS", "0")) or os.cpu_count() or 1
# Seconds a call may take: a generated batch of 1,000 issuances of as many document shapes
# signs on the slow path (pyld) on a busy machine; a hang still fails.
TIMEOUT = 120
SEED = int(os.environ.get("ACADEMY_SCHEMATHESIS_SEED", "20261122"))
FUZZ_COURSE = "FUZZ-MC"
ROOT = Path(__file__).resolve().parents[2]
SLUGS = ("kuleuven", "luca", "odisee", "thomasmore", "ucll", "vives")


@pytest.fixture(scope="module")
async def live(database_url: str, tmp_path_factory: pytest.TempPathFactory
               ) -> AsyncIterator[LiveServer]:
    async with live_server(database_url, tmp_path_factory.mktemp("live")) as server:
        server.keys["admin"] = server.key("kuleuven", "admin")
        issue = server.key("ucll", "issue")
        admin = {"Authorization": f"Bearer {server.keys['admin']}"}
        async with httpx.AsyncClient(base_url=server.base) as client:
            for slug in SLUGS:
                published = await client.put(
                    f"/api/v1/institutions/{slug}/courses/{FUZZ_COURSE}", headers=admin,
                    json={"type": "microcredential", "title": {"en": "Fuzzing"}, "ects": 3,
                          "eqf_level": 6, "learning_outcomes": [{"en": "Can be fuzzed."}]})
                assert published.status_code in (200, 201), published.text
            made = await client.post("/api/v1/institutions/ucll/learners/tokens",
                                     json={"email": "fuzz.learner@example.org"},
                                     headers={"Authorization": f"Bearer {issue}"})
        if made.status_code == 201:  # once learners exist
            server.keys["learner"] = made.json()["token"]
        yield server


def headers_for(keys: dict[str, str], operation: Any) -> dict[str, str]:
    """The credential the operation documents: a learner token or a partner (admin) key."""
    security = operation.definition.raw.get("security") or []
    names = {name for requirement in security for name in requirement}
    if "learnerToken" in names:
        token = keys.get("learner")
        return {"Authorization": f"Bearer {token}"} if token else {}
    if "partnerKey" in names:
        return {"Authorization": f"Bearer {keys['admin']}"}
    return {}


@cache
def _documented_document() -> dict[str, Any]:
    settings_ = load_settings(env={}, data_dir=Path(tempfile.gettempdir()), secret_key="-")
    return create_app(settings_).openapi_schema.to_schema()  # type: ignore[no-any-return]


@cache
def documented_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation the app documents, read from its route table."""
    return sorted((method.upper(), path) for path, item in _documented_document()["paths"].items()
                  for method in item if method in METHODS)


def load_schema(base: str) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict({
        "seed": SEED,
        # Reproducers show the real values (the keys are of a throwaway database).
        "output": {"sanitization": {"enabled": False}},
        "generation": {
        # Our JSON is UTF-8 without NUL (I-JSON, RFC 7493; PostgreSQL cannot store U+0000):
        # generate only what the API documents as acceptable.
        # Unknown query parameters are ignored, as HTTP APIs do.
        "deterministic": True, "codec": "utf-8", "allow-x00": False,
        "allow-extra-parameters": False}})
    return schemathesis.openapi.from_url(f"{base}/schema/openapi.json", config=config)


def within_rules_json_schema_cannot_say(case: schemathesis.Case) -> None:
    """Make a valid case also valid by the rules a schema cannot express.

    Cursors are opaque (only a ``next_cursor`` we returned is one), so is If-Match (only
    an ETag we returned names a version); integers carry no
    fraction; offering dates are
    ordered and codes unique; an offering's language is one of the course's; batch codes
    are unique. The server answers a breach of these with 422, which is right.
    """
    if isinstance(case.query, dict):
        query = case.query
        query.pop("cursor", None)
        for low, high in (("ects_min", "ects_max"), ("starts_after", "starts_before")):
            if query.get(low) is not None and query.get(high) is not None:
                query[low], query[high] = sorted((query[low], query[high]))
    for name in [h for h in case.headers or {} if h.lower() == "if-match"]:
        del case.headers[name]
    body = case.body
    _without_integral_floats(body)
    if ("/credentials" in case.operation.path and case.operation.method.upper() == "POST"
            and not case.operation.path.endswith("/shares")):  # a share's body is its label
        for request in body if isinstance(body, list) else [body]:
            _with_eu_elements(request)
        # Text whose quads order differently by code point and by UTF-16 (an emoji against
        # a fullwidth character) cannot be signed portably: 422 by design (signing.py).
        _without_astral(body)
    if case.operation.path.endswith("/pathways") and isinstance(body, dict):
        _within_a_satisfiable_pathway(body, (case.path_parameters or {}).get("slug", "ucll"))
    documents = body if isinstance(body, list) else [body]
    seen: set[str] = set()
    for i, doc in enumerate(documents):
        if not isinstance(doc, dict):
            continue
        if isinstance(doc.get("code"), str) and isinstance(body, list):
            if doc["code"] in seen:
                doc["code"] = f"{doc['code'][:100]}-{i}"
            seen.add(doc["code"])
        offerings = doc.get("offerings")
        for offering in offerings if isinstance(offerings, list) else []:
            _order_offering(offering, doc.get("languages") or [])
        if isinstance(offerings, list):
            codes = [o.get("code") for o in offerings if isinstance(o, dict)]
            for j, offering in enumerate(offerings):
                if isinstance(offering, dict) and offering.get("code") in codes[:j]:
                    offering["code"] = None


def not_negated(case: schemathesis.Case) -> bool:
    meta = case.meta
    return meta is not None and meta.phase.data.description == "Positive test case"


def reports_invalid_items(case: schemathesis.Case) -> bool:
    """A non-atomic batch stores the valid items and reports each invalid one (200)."""
    atomic = (case.query or {}).get("atomic") if isinstance(case.query, dict) else None
    return case.operation.path.endswith("/batch") and atomic not in (True, "true")


def _valid_batch(body: Any) -> bool:
    from catalogue.service import prepare_many

    return isinstance(body, list) and not prepare_many(body)[1]


def _within_a_satisfiable_pathway(body: dict[str, Any], slug: str) -> None:
    """Rules must name published courses and an award that can be signed (checked in code)."""
    example = json.loads((ROOT / "schemas" / "examples" / "pathway.json").read_text())
    body["rules"] = {"course": f"{slug}/{FUZZ_COURSE}"}
    body["partners"] = [slug]
    body["award"] = example["award"]
    body.pop("min_total_ects", None)
    _without_astral(body)


def _without_astral(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = _without_astral(value)
    elif isinstance(node, list):
        node[:] = [_without_astral(v) for v in node]
    elif isinstance(node, str):
        return "".join(c if ord(c) <= 0xFFFF else "x" for c in node)  # same length, never empty
    return node


def _with_eu_elements(request: Any) -> None:
    """An issuance request names a published course of the issuer, whose defaults fill the
    EU elements the request leaves out: the fixture publishes FUZZ_COURSE for every partner.
    Its date is today's (never in the future nor before the course existed: in code)."""
    if isinstance(request, dict):
        request["course"] = FUZZ_COURSE
        # A grade must lie on its scale, validity after issuance: checked in code.
        for name in ("issued_on", "valid_until"):
            request.pop(name, None)
        if isinstance(request.get("assessment"), dict):
            request["assessment"].pop("grade", None)
            request["assessment"].pop("grade_scale", None)
        # Title, ECTS and learning outcomes come from the course, which a body may only
        # narrow (credentials.issuing): the course's own values, checked in code.
        for name in ("title", "learning_outcomes", "ects"):
            request.pop(name, None)
        request.setdefault("eqf_level", 5)


def _without_integral_floats(value: Any) -> None:
    """``448.0`` is an integer to JSON Schema but not to our decoders: integers are sent as such.

    In place: Schemathesis re-checks a case whose containers were replaced."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(
        value, list) else ()
    for key, item in list(items):
        if isinstance(item, float) and item.is_integer() and abs(item) < 2**63:
            value[key] = int(item)
        else:
            _without_integral_floats(item)


def _order_offering(offering: dict[str, Any], languages: list[str]) -> None:
    dates = sorted(d for d in (offering.get("start_date"), offering.get("end_date")) if d)
    if len(dates) == 2:
        offering["start_date"], offering["end_date"] = dates
    end, deadline = offering.get("end_date"), offering.get("enrolment_deadline")
    if end and deadline and deadline > end:
        offering["enrolment_deadline"] = end
    if languages and offering.get("language") not in languages:
        offering["language"] = None


def run_operation(operation: Any, headers: dict[str, str], examples: int,
                  session: requests.Session | None = None) -> None:
    """Valid, then invalid input; Hypothesis stops at (and shrinks) the first failure."""
    raw = operation.definition.raw
    takes_input = bool(raw.get("parameters") or raw.get("requestBody"))
    modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if takes_input else [])
    for mode in modes:

        @given(case=operation.as_strategy(generation_mode=mode))
        @seed(SEED)
        @settings(deadline=None, database=None, max_examples=examples,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate, Phase.shrink])
        def call(case: schemathesis.Case) -> None:
            if mode is GenerationMode.POSITIVE:
                within_rules_json_schema_cannot_say(case)
            elif not_negated(case):
                # Schemathesis found nothing to make invalid but still marks the case
                # negative; such a case is a positive one, run in the other mode.
                assume(False)
            elif reports_invalid_items(case):
                response = case.call_and_validate(
                    session=session, headers=headers, timeout=TIMEOUT,
                    excluded_checks=[negative_data_rejection])
                # schemathesis may have negated a part the server ignores (a header): then
                # the body itself is valid, which our own contract check decides
                assert (response.status_code >= 400 or response.json()["invalid"] >= 1
                        or _valid_batch(case.body))
                return
            case.call_and_validate(session=session, headers=headers, timeout=TIMEOUT)

        try:
            call()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            # Nothing of this operation can be made invalid and still be sent (e.g. a
            # free-form string path parameter).


# --- running operations in worker processes ---------------------------------------------------

Job = tuple[str, str, bool]  # method, path, with credentials
PUBLIC = "public: covered by test_with_credentials"
_worker: dict[str, Any] = {}


def _start_worker(base: str, keys: dict[str, str]) -> None:
    _worker.update(schema=load_schema(base), keys=keys, session=requests.Session())


def _run_job(job: Job) -> str | None:
    """The failure of one operation, as text (pickles; the test shows it), or None."""
    method, path, with_credentials = job
    operation = _worker["schema"][path][method]
    headers = headers_for(_worker["keys"], operation) if with_credentials else {}
    if not with_credentials and not headers_for(_worker["keys"], operation):
        return PUBLIC
    try:
        examples = EXAMPLES if with_credentials else UNAUTHENTICATED_EXAMPLES
        run_operation(operation, headers, examples, _worker["session"])
    except BaseException as exc:  # noqa: BLE001 - reported by the operation's test
        return "".join(traceback.format_exception(exc))
    return None


def _jobs(selected: list[Job]) -> list[Job]:
    """The selected operations, the costly ones (bodies) first, so that no worker is left
    with one long operation at the end."""
    document = _documented_document()
    components = document.get("components", {}).get("schemas", {})
    cost = {(m.upper(), p): _size(item[m].get("requestBody", {}), components, set())
            for p, item in document["paths"].items() for m in item if m in METHODS}
    return sorted(selected, key=lambda j: (-cost[(j[0], j[1])] // (1 if j[2] else 4), j))


def _size(node: Any, components: dict[str, Any], seen: set[str]) -> int:
    """How big a schema is with its references followed (once each): a cost estimate."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        if name in components and name not in seen:
            seen.add(name)
            return _size(components[name], components, seen)
        return sum(len(k) + _size(v, components, seen) for k, v in node.items())
    if isinstance(node, list):
        return sum(_size(v, components, seen) for v in node)
    return len(str(node))


@pytest.fixture(scope="module")
def outcomes(live: LiveServer, request: pytest.FixtureRequest) -> dict[Job, str | None]:
    """Every selected test's operation, run once up front."""
    jobs = _jobs([
        (item.callspec.params["method"], item.callspec.params["path"],
         item.originalname == "test_with_credentials")
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")])
    if WORKERS <= 1:
        _start_worker(live.base, live.keys)
        return {job: _run_job(job) for job in jobs}
    context = multiprocessing.get_context("spawn")  # nothing of pytest's state is inherited
    with ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_start_worker,
                             initargs=(live.base, live.keys)) as pool:
        return dict(zip(jobs, pool.map(_run_job, jobs)))


def _outcome(live: LiveServer, outcomes: dict[Job, str | None], job: Job) -> None:
    if outcomes[job] == PUBLIC:
        pytest.skip(PUBLIC)
    if failure := outcomes[job]:
        # Operations ran side by side: what the server logged (errors, by request id) helps.
        logged = [line for line in live.log_path.read_text(errors="replace").splitlines()
                  if '"level": "error"' in line]
        pytest.fail(failure + "\nServer errors logged during the run:\n"
                    + ("\n".join(logged[-5:]) or "none"), pytrace=False)


@pytest.mark.parametrize(("method", "path"), documented_operations(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_with_credentials(method: str, path: str, live: LiveServer,
                          outcomes: dict[Job, str | None]) -> None:
    _outcome(live, outcomes, (method, path, True))


@pytest.mark.parametrize(("method", "path"), documented_operations(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_without_credentials(method: str, path: str, live: LiveServer,
                             outcomes: dict[Job, str | None]) -> None:
    _outcome(live, outcomes, (method, path, False))
