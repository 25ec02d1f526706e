"""Other systems read the catalogue over OOAPI v5, and every answer conforms to the official spec.

Responses are checked with openapi-core against schemas/ooapi/ooapi-v5.yaml (a verbatim copy of the official spec), the
spec as published, not against our own OpenAPI document. One endpoint cannot be checked that
way: GET /offerings/{offeringId} declares ``oneOf`` course/component/program offering with no
discriminator, and a valid course offering is also a valid program offering (both require
startDate and endDate and nothing else that tells them apart), so ``oneOf`` fails for every
correct course offering. Its body is validated against CourseOffering directly, and a test
shows the ambiguity is the spec's.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from api.app import create_app
from api.routes.ooapi import OoapiController
from catalogue import ooapi
from tests.support import bearer

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "schemas" / "ooapi" / "ooapi-v5.yaml"
EXAMPLES = ROOT / "schemas" / "examples"
SPEC_HOST = "http://demo01.eduapi.nl"  # the spec's only server is .../v5
TODAY = date.today()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


@cache
def spec_dict() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text())


@cache
def spec() -> OpenAPI:
    # Checking the spec document itself is off: openapi-spec-validator rejects some of its
    # array parameters' defaults (e.g. ``sort: default: [name]``), which are not our concern.
    # Error bodies are application/problem+json, which openapi-core does not parse by itself.
    config = Config(spec_validator_cls=None,
                    extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(spec_dict(), config=config)


def conform(response: Any) -> None:
    """Validate an ``/ooapi/v5/...`` request and its response against the official spec."""
    url = urlsplit(str(response.request.url))
    path = url.path.removeprefix("/ooapi")
    request = MockRequest(SPEC_HOST, response.request.method.lower(), path,
                          args=dict(parse_qsl(url.query)))
    media_type = response.headers["content-type"].split(";")[0]
    result = MockResponse(response.content, status_code=response.status_code,
                          headers=dict(response.headers), content_type=media_type)
    spec().validate_response(request, result)


def validate_schema(instance: Any, name: str) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec_dict()["components"]}
    OAS30Validator(schema, format_checker=oas30_format_checker).validate(instance)


@pytest.fixture
def app(settings, session_factory):  # type: ignore[no-untyped-def]
    """The real app; OoapiController is added only while api.app does not register it yet."""
    app = create_app(settings, session_factory=session_factory)
    if not any(route.path.startswith("/ooapi/v5") for route in app.routes):
        app = create_app(settings, session_factory=session_factory, extra_handlers=[OoapiController])
    return app


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


def with_offerings(doc: dict[str, Any], *offerings: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc.pop("code", None)
    doc["offerings"] = list(offerings)
    return doc


@pytest.fixture
async def catalogue(client, make_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Four live courses and a withdrawn one, published through the partner API."""
    ucll, kul = bearer(await make_key("ucll", "publish")), bearer(await make_key("kuleuven", "publish"))
    pg = with_offerings(
        example("course-kuleuven-postgraduate.json"),
        {"code": "NEXT", "start_date": day(30), "end_date": day(300), "enrolment_deadline": day(10),
         "mode": "hybrid", "campus": "Sociale Wetenschappen", "city": "Leuven", "price_eur": 3950,
         "capacity": 40, "language": "nl", "status": "open",
         "enrolment_url": "https://www.kuleuven.be/inschrijven/pg-leidzorg"},
        {"code": "OPEN-END", "start_date": day(60), "end_date": None, "language": "en"},
        {"code": "PAST", "start_date": day(-400), "end_date": day(-100), "price_eur": 3500},
    )
    mc = with_offerings(example("course-ucll-microcredential.json"),
                        {"start_date": day(20), "end_date": day(80), "mode": "online",
                         "price_eur": 0})
    english = {"type": "short_course", "title": {"en": "Cloud Security for_Managers 100%"},
               "description": {"en": "Threat models and governance."}, "languages": ["en"],
               "eqf_level": 6, "ects": 3, "mode": "online", "isced_codes": ["0612"]}
    minimal = example("course-minimal.json")
    ids: dict[str, str] = {}
    for headers, slug, code, doc in [(kul, "kuleuven", "PG-LEIDZORG", pg), (ucll, "ucll", "MC-WONDZORG", mc),
                                     (ucll, "ucll", "CLOUD-SEC", english), (ucll, "ucll", "MIN-1", minimal),
                                     (ucll, "ucll", "GONE", minimal)]:
        r = await client.put(f"/api/v1/institutions/{slug}/courses/{code}", json=doc, headers=headers)
        assert r.status_code == 201, r.text
    await client.delete("/api/v1/institutions/ucll/courses/GONE", headers=ucll)
    body = (await client.get("/ooapi/v5/courses", params={"pageSize": 10})).json()
    ids = {c["primaryCode"]["code"]: c["courseId"] for c in body["items"]}
    assert set(ids) == {"PG-LEIDZORG", "MC-WONDZORG", "CLOUD-SEC", "MIN-1"}
    return ids


async def test_every_endpoint_conforms_to_the_official_spec(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    pg = catalogue["PG-LEIDZORG"]
    for url in ["/ooapi/v5/", "/ooapi/v5/organizations", "/ooapi/v5/organizations?sort=-name&pageSize=20",
                "/ooapi/v5/courses", "/ooapi/v5/courses?pageSize=250&pageNumber=2",
                "/ooapi/v5/courses?q=zorg&teachingLanguage=nld&level=master&modeOfDelivery=hybrid",
                "/ooapi/v5/courses?sort=-courseId", f"/ooapi/v5/courses/{pg}",
                f"/ooapi/v5/courses/{catalogue['MIN-1']}", f"/ooapi/v5/courses/{pg}/offerings",
                f"/ooapi/v5/courses/{pg}/offerings?since=2000-01-01&sort=-endDate"]:
        r = await client.get(url)
        assert r.status_code == 200, (url, r.text)
        assert r.headers["content-type"].startswith("application/json")
        conform(r)
    offerings = (await client.get(f"/ooapi/v5/courses/{pg}/offerings")).json()["items"]
    r = await client.get(f"/ooapi/v5/offerings/{offerings[0]['offeringId']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    validate_schema(r.json(), "CourseOffering")  # see the module docstring for why not conform()


async def test_single_offering_endpoint_is_ambiguous_in_the_spec(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    """The false failure on GET /offerings/{id} is the spec's oneOf, not our body."""
    pg = catalogue["PG-LEIDZORG"]
    offering = (await client.get(f"/ooapi/v5/courses/{pg}/offerings")).json()["items"][0]
    r = await client.get(f"/ooapi/v5/offerings/{offering['offeringId']}")
    validate_schema(r.json(), "CourseOffering")
    validate_schema(r.json(), "ProgramOffering")  # valid under two branches: oneOf must fail
    with pytest.raises(InvalidData) as failure:
        conform(r)
    assert "is valid under each of" in str(failure.value.__cause__.schema_errors[0])


async def test_courses_map_what_we_know_and_nothing_more(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    pg = (await client.get(f"/ooapi/v5/courses/{catalogue['PG-LEIDZORG']}")).json()
    assert pg["name"][0] == {"language": "nl-BE", "value": "Postgraduaat Leiderschap in de zorg"}
    assert pg["name"][1]["language"] == "en" and pg["abbreviation"] == "PG-LEIDZORG"
    assert pg["primaryCode"] == {"codeType": "identifier", "code": "PG-LEIDZORG"}
    assert pg["teachingLanguage"] == "nld" and pg["level"] == "master"
    assert pg["studyLoad"] == {"studyLoadUnit": "ects", "value": 30}
    assert pg["modeOfDelivery"] == ["hybrid"] and pg["fieldsOfStudy"] == "0413"
    assert pg["firstStartDate"] == day(-400) and len(pg["learningOutcomes"]) == 2
    assert pg["organization"] == str(uuid.uuid5(ooapi.NAMESPACE, "organization/kuleuven"))
    assert pg["ext"] == {"courseType": "postgraduate", "microcredential": False, "eqfLevel": 7,
                         "teachingLanguages": ["nld", "eng"], "fieldsOfStudy": ["0413", "0913"]}
    assert pg["link"].startswith("https://www.kuleuven.be/")

    minimal = (await client.get(f"/ooapi/v5/courses/{catalogue['MIN-1']}")).json()
    assert minimal["teachingLanguage"] == "und" and minimal["level"] == "undefined"
    assert minimal["description"] == minimal["name"]  # no description: the title, not invented text
    for absent in ("studyLoad", "modeOfDelivery", "fieldsOfStudy", "link", "firstStartDate"):
        assert absent not in minimal


async def test_offerings_map_dates_prices_and_places(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    pg = catalogue["PG-LEIDZORG"]
    page = (await client.get(f"/ooapi/v5/courses/{pg}/offerings")).json()
    # Only future editions by default; the one without an end date is no valid courseOffering.
    assert [o["primaryCode"]["code"] for o in page["items"]] == ["NEXT"]
    o = page["items"][0]
    assert o["offeringId"] == str(ooapi.offering_id(uuid.UUID(pg), 0))
    assert (o["startDate"], o["endDate"], o["enrollEndDate"]) == (day(30), day(300), day(10))
    assert o["priceInformation"] == [{"costType": "total costs", "amount": "3950.00", "currency": "EUR"}]
    assert o["addresses"] == [{"addressType": "teaching", "city": "Leuven",
                               "additional": [{"value": "Sociale Wetenschappen"}]}]
    assert o["teachingLanguage"] == "nld" and o["modeOfDelivery"] == ["hybrid"]
    assert o["maxNumberStudents"] == 40 and o["resultExpected"] is True
    assert o["course"] == pg and o["ext"] == {"status": "open"}
    every = (await client.get(f"/ooapi/v5/courses/{pg}/offerings?since=2000-01-01")).json()
    assert [o["primaryCode"]["code"] for o in every["items"]] == ["PAST", "NEXT"]
    by_id = (await client.get(f"/ooapi/v5/offerings/{every['items'][0]['offeringId']}")).json()
    assert by_id["primaryCode"]["code"] == "PAST"

    mc = (await client.get(f"/ooapi/v5/courses/{catalogue['MC-WONDZORG']}/offerings")).json()["items"]
    assert mc[0]["primaryCode"]["codeType"] == "uuid" and mc[0]["primaryCode"]["code"] == mc[0]["offeringId"]
    assert mc[0]["priceInformation"][0]["amount"] == "0.00" and "addresses" not in mc[0]


async def test_organizations_are_the_partners(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    body = (await client.get("/ooapi/v5/organizations")).json()
    assert body["totalPages"] == 1 and len(body["items"]) == 6
    names = [o["name"][0]["value"] for o in body["items"]]
    assert names == sorted(names, key=str.casefold)
    kul = next(o for o in body["items"] if o["primaryCode"]["code"] == "kuleuven")
    assert kul == {"organizationId": str(ooapi.organization_id("kuleuven")),
                   "primaryCode": {"codeType": "identifier", "code": "kuleuven"},
                   "organizationType": "institute", "name": [{"language": "nl-BE", "value": "KU Leuven"}],
                   "shortName": "KU Leuven", "link": "https://www.kuleuven.be"}
    found = (await client.get("/ooapi/v5/organizations", params={"q": "luca"})).json()["items"]
    assert [o["shortName"] for o in found] == ["LUCA"]


async def codes(client, **params: Any) -> list[str]:  # type: ignore[no-untyped-def]
    r = await client.get("/ooapi/v5/courses", params=params)
    assert r.status_code == 200, r.text
    conform(r)
    return [c["primaryCode"]["code"] for c in r.json()["items"]]


async def test_course_filters_and_sort(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert await codes(client) == ["CLOUD-SEC", "MC-WONDZORG", "PG-LEIDZORG", "MIN-1"]  # by name
    assert await codes(client, sort="-name") == ["MIN-1", "PG-LEIDZORG", "MC-WONDZORG", "CLOUD-SEC"]
    ids = sorted(catalogue.values())
    assert [catalogue[c] for c in await codes(client, sort="courseId")] == ids
    assert await codes(client, q="WONDZORG") == ["MC-WONDZORG"]
    assert await codes(client, q="patientveiligheid") == ["PG-LEIDZORG"]  # in the description, ë folded
    assert await codes(client, q="pg-leid") == ["PG-LEIDZORG"]  # abbreviation
    assert await codes(client, q="for_managers 100%") == ["CLOUD-SEC"]
    for literal in ("_", "%", "\\", "' OR 1=1 --", "a&b|!c:*"):
        assert await codes(client, q=literal) == ([] if literal not in "_%" else ["CLOUD-SEC"])
    assert await codes(client, teachingLanguage="eng") == ["CLOUD-SEC"]
    assert await codes(client, teachingLanguage="und") == ["MIN-1"]
    assert await codes(client, teachingLanguage="fra") == []
    assert await codes(client, level="master") == ["PG-LEIDZORG"]
    assert await codes(client, level="bachelor") == ["CLOUD-SEC", "MC-WONDZORG"]
    assert await codes(client, level="nt2-1") == []
    assert await codes(client, level="undefined") == ["MIN-1"]
    assert await codes(client, modeOfDelivery="online") == ["CLOUD-SEC", "MC-WONDZORG"]
    assert await codes(client, modeOfDelivery=["situated", "hybrid"]) == ["MC-WONDZORG", "PG-LEIDZORG"]
    assert await codes(client, modeOfDelivery="distance-learning") == []
    assert await codes(client, primaryCode="MIN-1") == ["MIN-1"]


async def test_pages(client, make_key) -> None:  # type: ignore[no-untyped-def]
    batch = [{"code": f"C{i:02}", "type": "module", "title": {"nl": f"Module {i:02}"}} for i in range(12)]
    r = await client.post("/api/v1/institutions/vives/courses/batch", json=batch,
                          headers=bearer(await make_key("vives", "publish")))
    assert r.status_code == 200 and r.json()["created"] == 12
    first = (await client.get("/ooapi/v5/courses")).json()
    assert (first["pageSize"], first["pageNumber"], first["totalPages"]) == (10, 1, 2)
    assert first["hasNextPage"] and not first["hasPreviousPage"] and len(first["items"]) == 10
    second = (await client.get("/ooapi/v5/courses?pageNumber=2")).json()
    assert [c["abbreviation"] for c in second["items"]] == ["C10", "C11"]
    assert second["hasPreviousPage"] and not second["hasNextPage"]
    beyond = (await client.get("/ooapi/v5/courses?pageNumber=3&pageSize=20")).json()
    assert beyond["items"] == [] and beyond["totalPages"] == 1 and beyond["hasPreviousPage"]


@pytest.mark.parametrize("path", ["/courses/{id}", "/courses/{id}/offerings", "/offerings/{id}"])
@pytest.mark.parametrize("given", ["unknown", "not-a-uuid", "withdrawn"])
async def test_unknown_ids_are_404(client, catalogue, session_factory, path, given) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    value = {"unknown": str(uuid.uuid4()), "not-a-uuid": "12%20; DROP TABLE course"}.get(given)
    if given == "withdrawn":
        async with session_factory() as s:
            value = str(await s.scalar(text("SELECT id FROM course WHERE code = 'GONE'")))
    r = await client.get("/ooapi/v5" + path.format(id=value))
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == "404"
    conform(r)


@pytest.mark.parametrize("path", ["/courses", "/organizations", "/courses/{id}/offerings"])
@pytest.mark.parametrize("query", [
    {"pageSize": "7"}, {"pageSize": "abc"}, {"pageNumber": "0"}, {"pageNumber": "-1"},
    {"sort": "title"}, {"q": "x" * 501}, {"q": "a\x00b"},
])
async def test_bad_paging_and_sort_are_400(client, catalogue, path, query) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/ooapi/v5" + path.format(id=catalogue["PG-LEIDZORG"]), params=query)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == "400" and r.json()["detail"]
    assert r.headers["content-type"].startswith("application/problem+json")
    validate_schema(r.json(), "Problem")


@pytest.mark.parametrize("query", [
    {"level": "phd"}, {"modeOfDelivery": "teleportation"}, {"teachingLanguage": "NL"},
    {"teachingLanguage": "nl"}, {"organizationType": "x"},
])
async def test_bad_filter_values_are_400(client, catalogue, query) -> None:  # type: ignore[no-untyped-def]
    path = "/ooapi/v5/organizations" if "organizationType" in query else "/ooapi/v5/courses"
    r = await client.get(path, params=query)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == "400"


async def test_bad_offering_filters_are_400(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    url = f"/ooapi/v5/courses/{catalogue['PG-LEIDZORG']}/offerings"
    for query in ({"since": "yesterday"}, {"resultExpected": "perhaps"}, {"sort": "-price"}):
        r = await client.get(url, params=query)
        assert r.status_code == 400 and r.json()["status"] == "400", (query, r.text)


def test_language_table_is_iso_639_2_terminology() -> None:
    table = Path("/usr/share/iso-codes/json/iso_639-2.json")
    if not table.exists():
        pytest.skip("Debian iso-codes is not installed")
    official = {e["alpha_2"]: e["alpha_3"] for e in json.loads(table.read_text())["639-2"] if "alpha_2" in e}
    assert {k: official[k] for k in ooapi.ISO639_2} == ooapi.ISO639_2
    schema = json.loads((ROOT / "schemas" / "course.schema.json").read_text())
    assert set(schema["$defs"]["language"]["enum"]) == set(ooapi.ISO639_2)


def test_offering_ids_are_stable_distinct_and_reversible() -> None:
    course_id = uuid.uuid4()
    ids = [ooapi.offering_id(course_id, p) for p in range(ooapi.MAX_OFFERINGS)]
    assert len(set(ids)) == ooapi.MAX_OFFERINGS and course_id not in ids
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)
    assert ooapi.offering_id(course_id, 7) == ids[7]
    assert (course_id, 7) in ooapi.offering_candidates(ids[7])


async def test_read_only_and_other_paths_answer_ooapi_problems(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    for method, path, status in [("POST", "/courses", 405), ("DELETE", f"/courses/{catalogue['MIN-1']}", 405),
                                 ("PUT", "/", 405), ("GET", "/programs", 404), ("GET", "/persons/me", 404)]:
        r = await client.request(method, "/ooapi/v5" + path)
        assert r.status_code == status, (method, path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        validate_schema(r.json(), "Problem")
        assert r.json()["status"] == str(status)
    assert (await client.get("/ooapi/v5/programs")).status_code == 404
    assert (await client.get("/ooapi/v5")).status_code == 200


async def test_our_openapi_document_still_builds(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    assert "/ooapi/v5/courses" in r.json()["paths"] and "/ooapi/v5/{rest}" not in r.json()["paths"]
