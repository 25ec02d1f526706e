"""Harvesting partners' feeds from a real HTTP server on loopback, checked through the API."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from sqlalchemy import text

from api.app import create_app
from api.db import make_engine, normalise_url
from api.jobs import harvest_policy
from api.routes.harvest import HarvestController
from api.settings import Settings, load_settings
from catalogue.harvest import (
    ALLOW_ALL,
    FetchPolicy,
    language_code,
    ooapi_document,
    put_source,
    run_due_harvests,
    run_harvest,
    work_queue,
)
from tests.feeds import Feed, feed_server, ooapi_course, ooapi_offering
from tests.support import TEST_SECRET, bearer

BASE = "/api/v1/institutions/ucll"
# The test feeds are plain http on loopback: allowed here, as in development, never by default.
LOOPBACK = {"ACADEMY_HARVEST_ALLOW_PRIVATE": "1", "ACADEMY_HARVEST_ALLOW_HTTP": "1"}
POLICY = FetchPolicy(allow_http=True, private_networks=ALLOW_ALL)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(env=LOOPBACK, data_dir=tmp_path, database_url=database_url,
                         secret_key=TEST_SECRET, harvest_in_background=False)


@pytest.fixture
def app(settings, session_factory) -> Litestar:  # type: ignore[no-untyped-def]
    app = create_app(settings, session_factory=session_factory)
    if not any(route.path.endswith("/sources") for route in app.routes):
        app.register(HarvestController)  # until api/app.py registers it
    return app


@pytest.fixture
async def ucll(make_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(await make_key("ucll", "publish"))


@pytest.fixture
def feed() -> Iterator[Feed]:
    with feed_server() as served:
        served.add(ooapi_course("WONDZORG", "Wondzorg", "Wound care"),
                   ooapi_offering("WZ-2025", "2025-10-06", "2025-12-15", "Leuven"),
                   ooapi_offering("WZ-2026", "2026-02-16", "2026-04-27", "Diepenbeek"))
        served.add(ooapi_course("DIABETES", "Diabeteszorg", "Diabetes care", level="master"),
                   ooapi_offering("DB-2025", "2025-09-01", "2025-11-30", "Leuven"))
        served.add(ooapi_course("PALLIATIEF", "Palliatieve zorg", None,
                                studyLoad={"studyLoadUnit": "hour", "value": 30},
                                teachingLanguage="eng", modeOfDelivery=["online"]))
        yield served


async def set_source(client, headers, name: str, type_: str, location: str, **extra: Any):  # type: ignore[no-untyped-def]
    body = {"type": type_, "location": location, "interval_minutes": 60, **extra}
    return await client.put(f"{BASE}/sources/{name}", json=body, headers=headers)


async def run(client, headers, name: str = "catalog") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Queue a run (202), let a harvest worker take the queue, and read the run back."""
    r = await client.post(f"{BASE}/sources/{name}/run", headers=headers)
    assert r.status_code == 202, r.text
    queued = r.json()
    assert queued["status"] == "queued" and r.headers["location"] == f"{BASE}/harvests/{queued['id']}"
    await work_queue(client.app.state.session_factory, harvest_policy(client.app.state.settings))
    done = await client.get(r.headers["location"], headers=headers)
    assert done.status_code == 200, done.text
    return done.json()


async def course(client, headers, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = await client.get(f"{BASE}/courses/{code}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def codes(client, headers) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    page = (await client.get(f"{BASE}/courses", params={"limit": 100}, headers=headers)).json()
    return {c["code"]: c["withdrawn"] for c in page["items"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_ooapi_harvest_is_a_snapshot(client, ucll, feed) -> None:  # type: ignore[no-untyped-def]
    r = await set_source(client, ucll, "catalog", "ooapi-v5", feed.ooapi_url,
                         mapping={"page_size": 2, "defaults": {"type": "short_course"}})
    assert r.status_code == 201, r.text
    first = await run(client, ucll)
    assert first["status"] == "succeeded", first
    assert first["counts"] == {"fetched": 3, "created": 3, "updated": 0, "unchanged": 0,
                                    "skipped": 0, "withdrawn": 0, "invalid": 0}
    assert feed.requests.count("/ooapi/courses") == 2  # followed hasNextPage

    wondzorg = await course(client, ucll, "WONDZORG")
    assert wondzorg["source"] == "harvest:catalog" and wondzorg["type"] == "short_course"
    assert wondzorg["title"] == {"nl": "Wondzorg", "en": "Wound care"}
    assert (wondzorg["ects"], wondzorg["eqf_level"], wondzorg["mode"]) == (4, 6, "blended")
    assert wondzorg["languages"] == ["nl"] and wondzorg["isced_codes"] == ["0913"]
    assert wondzorg["url"] == "https://partner.example/courses/WONDZORG"
    assert [(o["code"], o["start_date"], o["city"], o["price_eur"], o["language"], o["mode"],
             o["capacity"], o["incentive_eligible"]) for o in wondzorg["offerings"]] == [
        ("WZ-2025", "2025-10-06", "Leuven", 450, "nl", "presential", 24, True),
        ("WZ-2026", "2026-02-16", "Diepenbeek", 450, "nl", "presential", 24, True)]
    palliatief = await course(client, ucll, "PALLIATIEF")
    assert palliatief["ects"] is None  # hours are not ECTS: left out, not converted
    assert palliatief["languages"] == ["en"] and palliatief["mode"] == "online"
    assert (await course(client, ucll, "DIABETES"))["eqf_level"] == 7

    again = await run(client, ucll)
    assert (again["counts"]["unchanged"], again["counts"]["created"]) == (3, 0)

    feed.remove("DIABETES")
    third = await run(client, ucll)
    assert third["status"] == "succeeded" and third["counts"]["withdrawn"] == 1
    assert await codes(client, ucll) == {"DIABETES": True, "PALLIATIEF": False, "WONDZORG": False}


@pytest.mark.parametrize("fault", ["500", "malformed", "offerings-500", "refused"])
async def test_a_broken_feed_writes_and_withdraws_nothing(client, ucll, feed, fault) -> None:  # type: ignore[no-untyped-def]
    feed.add(ooapi_course("EXTRA", "Extra"))  # so that page 2 still exists after a removal
    await set_source(client, ucll, "catalog", "ooapi-v5", feed.ooapi_url, mapping={"page_size": 2})
    assert (await run(client, ucll))["status"] == "succeeded"
    before = await course(client, ucll, "WONDZORG")

    feed.remove("DIABETES")  # would be withdrawn by a complete harvest
    feed.courses[0]["name"] = [{"language": "nl-BE", "value": "Wondzorg (nieuw)"}]
    if fault == "500":
        feed.faults[("/ooapi/courses", 2)] = "500"
    elif fault == "malformed":
        feed.faults[("/ooapi/courses", 2)] = "malformed"
    elif fault == "offerings-500":
        feed.faults[(f"/ooapi/courses/{feed.courses[1]['courseId']}/offerings", 1)] = "500"
    else:
        await set_source(client, ucll, "catalog", "ooapi-v5", f"http://127.0.0.1:{free_port()}",
                         mapping={"page_size": 2})
    failed = await run(client, ucll)
    assert failed["status"] == "failed"
    assert failed["counts"]["created"] == failed["counts"]["withdrawn"] == 0
    assert failed["errors"][0]["message"], failed
    assert await codes(client, ucll) == dict.fromkeys(
        ["DIABETES", "EXTRA", "PALLIATIEF", "WONDZORG"], False)
    assert (await course(client, ucll, "WONDZORG"))["etag"] == before["etag"]


async def test_a_feed_that_times_out_writes_nothing(client, ucll, feed, session_factory) -> None:  # type: ignore[no-untyped-def]
    feed.add(ooapi_course("EXTRA", "Extra"))
    await set_source(client, ucll, "catalog", "ooapi-v5", feed.ooapi_url, mapping={"page_size": 2})
    await run(client, ucll)
    feed.remove("DIABETES")
    feed.faults[("/ooapi/courses", 2)] = "slow"
    async with session_factory() as session:
        source, _ = await put_source(session, "ucll", "catalog", "ooapi-v5", feed.ooapi_url, 60,
                                     {"page_size": 2}, policy=POLICY)
        harvested = await run_harvest(
            session, source, policy=msgspec.structs.replace(POLICY, request_timeout=0.5))
        await session.commit()
    assert harvested.status == "failed" and "within 0.5 s" in harvested.errors[0]["message"]
    assert (await codes(client, ucll))["DIABETES"] is False
    history = (await client.get(f"{BASE}/harvests", headers=ucll)).json()["items"]
    assert [h["status"] for h in history] == ["failed", "succeeded"]


async def test_an_empty_feed_withdraws_nothing(client, ucll, feed) -> None:  # type: ignore[no-untyped-def]
    await set_source(client, ucll, "catalog", "ooapi-v5", feed.ooapi_url)
    await run(client, ucll)
    feed.courses.clear()
    empty = await run(client, ucll)
    assert empty["status"] == "empty" and empty["counts"]["withdrawn"] == 0
    assert not any((await codes(client, ucll)).values())


async def test_invalid_items_count_as_present(client, ucll, feed) -> None:  # type: ignore[no-untyped-def]
    await set_source(client, ucll, "catalog", "ooapi-v5", feed.ooapi_url)
    await run(client, ucll)
    feed.courses[1]["studyLoad"] = {"studyLoadUnit": "ects", "value": -4}
    result = await run(client, ucll)
    assert result["status"] == "succeeded"
    assert (result["counts"]["invalid"], result["counts"]["withdrawn"]) == (1, 0)
    assert {"code": "DIABETES", "pointer": "/1/ects"} == {
        k: result["errors"][0][k] for k in ("code", "pointer")}
    assert (await codes(client, ucll))["DIABETES"] is False


async def test_a_pushed_course_is_not_overwritten_without_overwrite_push(client, ucll, feed) -> None:  # type: ignore[no-untyped-def]
    pushed = {"type": "module", "title": {"nl": "Wondzorg (push)"}}
    assert (await client.put(f"{BASE}/courses/WONDZORG", json=pushed, headers=ucll)).status_code == 201
    await set_source(client, ucll, "catalog", "ooapi-v5", feed.ooapi_url)
    result = await run(client, ucll)
    assert (result["counts"]["skipped"], result["counts"]["created"]) == (1, 2)
    assert any(e["code"] == "WONDZORG" and "overwrite_push" in e["message"] for e in result["errors"])
    assert (await course(client, ucll, "WONDZORG"))["source"] == "push"

    feed.courses.clear()
    assert (await run(client, ucll))["status"] == "empty"
    feed.add(ooapi_course("OTHER", "Iets anders"))
    await run(client, ucll)  # a complete harvest never withdraws a pushed course
    assert (await codes(client, ucll))["WONDZORG"] is False

    feed.add(ooapi_course("WONDZORG", "Wondzorg", "Wound care"))
    await set_source(client, ucll, "catalog", "ooapi-v5", feed.ooapi_url, overwrite_push=True)
    result = await run(client, ucll)
    assert result["counts"]["updated"] == 1
    taken = await course(client, ucll, "WONDZORG")
    assert taken["source"] == "harvest:catalog" and taken["title"]["en"] == "Wound care"


async def test_json_file_source(client, ucll, session_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docs = [{"code": "J-1", "type": "module", "title": {"en": "One"}},
            {"code": "J-2", "title": {"nl": "Twee"}}]
    path = tmp_path / "courses.json"
    path.write_text(json.dumps(docs))
    refused = await set_source(client, ucll, "files", "json", str(path))
    assert refused.status_code == 422  # partner keys may not read the server's disk
    async with session_factory() as session:  # what `academy sources set` does
        await put_source(session, "ucll", "files", "json", str(path), 60,
                         {"defaults": {"type": "short_course"}}, allow_files=True)
        await session.commit()
    result = await run(client, ucll, "files")
    assert result["status"] == "succeeded" and result["counts"]["created"] == 2
    assert (await course(client, ucll, "J-1"))["type"] == "module"
    assert (await course(client, ucll, "J-2"))["type"] == "short_course"

    path.write_text(json.dumps(docs)[:-5])
    assert (await run(client, ucll, "files"))["status"] == "failed"
    assert set(await codes(client, ucll)) == {"J-1", "J-2"}


CSV = """Opleidingscode,type,title_nl,title_en,ects,eqf_level,languages,mode,microcredential,url,\
offering_code,start_date,end_date,city,campus,price_eur,offering_language
MC-DATA,microcredential,Data in de zorg,Data in care,"4,5",6,nl;en,blended,ja,https://x.example/d,\
2025-A,2025-10-01,2025-12-01,Leuven,Gasthuisberg,"1.250,00",nl
MC-DATA,,,,,,,,,,2026-A,2026-02-01,2026-04-01,Brugge,,950,en
SC-1,short_course,Korte cursus,,,,nl,,,,,,,,,,
"""


async def test_csv_rows_with_one_code_become_one_course(client, ucll, feed) -> None:  # type: ignore[no-untyped-def]
    url = feed.serve("/export.csv", "text/csv", CSV.encode())
    r = await set_source(client, ucll, "csv", "csv", url,
                         mapping={"columns": {"code": "Opleidingscode"}})
    assert r.status_code == 201, r.text
    result = await run(client, ucll, "csv")
    assert result["counts"]["created"] == 1 and result["counts"]["invalid"] == 1
    assert result["errors"][0]["pointer"].startswith("/0/offerings/0/price_eur")  # "1.250,00"

    feed.serve("/export.csv", "text/csv", CSV.replace('"1.250,00"', "1250").encode())
    result = await run(client, ucll, "csv")
    assert result["counts"]["created"] == 1, result
    data = await course(client, ucll, "MC-DATA")
    assert (data["ects"], data["microcredential"], data["languages"]) == (4.5, True, ["nl", "en"])
    assert [(o["code"], o["city"], o["campus"], o["price_eur"], o["language"])
            for o in data["offerings"]] == [("2025-A", "Leuven", "Gasthuisberg", 1250, "nl"),
                                             ("2026-A", "Brugge", None, 950, "en")]
    assert (await course(client, ucll, "SC-1"))["offerings"] == []

    without_sc1 = CSV.replace('"1.250,00"', "1250").split("SC-1")[0]
    feed.serve("/export.csv", "text/csv", (without_sc1 + ",module,Zonder code" + "," * 14).encode())
    partial = await run(client, ucll, "csv")
    assert (partial["status"], partial["counts"]["withdrawn"]) == ("partial", 0)
    assert "no usable code" in partial["errors"][0]["message"]
    feed.serve("/export.csv", "text/csv", without_sc1.encode())
    assert (await run(client, ucll, "csv"))["counts"]["withdrawn"] == 1
    assert (await codes(client, ucll))["SC-1"] is True

    bad = await set_source(client, ucll, "csv", "csv", url, mapping={"columns": {"kode": "x"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/mapping/columns/kode"


async def test_sources_and_run_history_through_the_api(client, ucll, feed, make_key) -> None:  # type: ignore[no-untyped-def]
    assert (await set_source(client, ucll, "a", "ooapi-v5", feed.ooapi_url)).status_code == 201
    assert (await set_source(client, ucll, "a", "ooapi-v5", feed.ooapi_url)).status_code == 200
    await set_source(client, ucll, "b", "json", feed.serve("/b.json", "application/json", b"[]"))
    listed = (await client.get(f"{BASE}/sources", params={"limit": 1}, headers=ucll)).json()
    assert [s["name"] for s in listed["items"]] == ["a"] and listed["next_cursor"]
    one = (await client.get(f"{BASE}/sources/a", headers=ucll)).json()
    assert (one["institution"], one["type"], one["interval_minutes"]) == ("ucll", "ooapi-v5", 60)

    await run(client, ucll, "a")
    await run(client, ucll, "b")
    await run(client, ucll, "a")
    history = (await client.get(f"{BASE}/harvests", headers=ucll)).json()["items"]
    assert [(h["source"], h["status"]) for h in history] == [
        ("a", "succeeded"), ("b", "empty"), ("a", "succeeded")]
    assert history[0]["finished_at"] >= history[0]["started_at"]
    only_b = (await client.get(f"{BASE}/harvests", params={"source": "b"}, headers=ucll)).json()
    assert [h["source"] for h in only_b["items"]] == ["b"]
    page = (await client.get(f"{BASE}/harvests", params={"limit": 2}, headers=ucll)).json()
    rest = (await client.get(f"{BASE}/harvests", params={"cursor": page["next_cursor"]},
                             headers=ucll)).json()
    assert [h["id"] for h in page["items"] + rest["items"]] == [h["id"] for h in history]

    vives = bearer(await make_key("vives", "publish"))
    for method, path in [("get", "/sources"), ("get", "/sources/a"), ("delete", "/sources/a"),
                         ("post", "/sources/a/run"), ("get", "/harvests")]:
        assert (await client.request(method, BASE + path, headers=vives)).status_code == 403
    assert (await set_source(client, vives, "x", "json", feed.base_url)).status_code == 403

    assert (await client.delete(f"{BASE}/sources/b", headers=ucll)).status_code == 204
    assert (await client.get(f"{BASE}/sources/b", headers=ucll)).status_code == 404
    assert (await client.post(f"{BASE}/sources/b/run", headers=ucll)).status_code == 404


@pytest.mark.parametrize("body", [
    {"type": "ooapi-v5", "location": "http://x.example", "interval_minutes": 4},
    {"type": "rss", "location": "http://x.example"},
    {"type": "ooapi-v5", "location": "/etc/passwd"},
    {"type": "json", "location": "file:///etc/passwd"},
    {"type": "json", "location": "http://x.example", "colour": "blue"},
    {"type": "json", "location": "http://x.example", "mapping": {"page_size": 0}},
    {"type": "json", "location": "http://x.example:*/feed"},  # the port is a number
    {"type": "json", "location": "http://x.example/feed\nHost: y"},
])
async def test_bad_sources_are_refused(client, ucll, body) -> None:  # type: ignore[no-untyped-def]
    r = await client.put(f"{BASE}/sources/bad", json=body, headers=ucll)
    assert r.status_code in (400, 422), r.text
    assert (await client.get(f"{BASE}/sources/bad", headers=ucll)).status_code == 404


async def test_due_sources_run_in_the_background(client, ucll, feed, session_factory) -> None:  # type: ignore[no-untyped-def]
    await set_source(client, ucll, "catalog", "ooapi-v5", feed.ooapi_url)
    now = datetime.now(UTC)
    assert await run_due_harvests(session_factory, policy=POLICY, now=now) == 1
    assert len(await codes(client, ucll)) == 3
    # the next run is an interval away
    assert await run_due_harvests(session_factory, policy=POLICY, now=now) == 0
    source = (await client.get(f"{BASE}/sources/catalog", headers=ucll)).json()
    assert datetime.fromisoformat(source["next_run_at"]) > now + timedelta(minutes=59)
    later = now + timedelta(minutes=61)
    assert await run_due_harvests(session_factory, policy=POLICY, now=later) == 1


OOAPI_SPEC = Path(__file__).resolve().parents[2] / "schemas" / "ooapi" / "ooapi-v5.json"


def test_the_feed_speaks_ooapi_v5(feed) -> None:  # type: ignore[no-untyped-def]
    """The test feed's shapes validate against the official spec's component schemas."""
    if not OOAPI_SPEC.exists():
        pytest.skip(f"the OOAPI v5 specification is not at {OOAPI_SPEC}")
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    spec = Resource.from_contents(json.loads(OOAPI_SPEC.read_text()), default_specification=DRAFT4)
    registry = Registry().with_resource("urn:ooapi-v5", spec)

    def errors(component: str, instance: Any) -> list[str]:
        validator = Draft4Validator({"$ref": f"urn:ooapi-v5#/components/schemas/{component}"},
                                    registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)
        return [e.message for e in validator.iter_errors(instance)]

    page = json.loads(feed.respond("/ooapi/courses", {"pageSize": ["2"]})[2])
    assert errors("Pagination", page) == [] and page["hasNextPage"] is True
    for course_ in feed.courses:
        assert errors("Course", course_) == []
        for offering in feed.offerings[course_["courseId"]]:
            assert errors("CourseOffering", offering) == []
    assert errors("Course", {k: v for k, v in feed.courses[0].items() if k != "courseId"})


@pytest.fixture
def scratch_database(embedded) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database of its own: the CLI commits, so it cannot share the tests' transaction."""
    name = f"academy_cli_{uuid.uuid4().hex[:8]}"
    if embedded is not None:
        embedded.psql(f'CREATE DATABASE "{name}"')
        yield embedded.url(name)
        embedded.psql(f'DROP DATABASE "{name}" WITH (FORCE)')
        return
    base = normalise_url(os.environ["DATABASE_URL"])

    async def admin(sql: str) -> None:
        engine = make_engine(base, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.exec_driver_sql(sql)
        await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    head, _, tail = base.rpartition("/")
    yield f"{head}/{name}" + ("?" + tail.split("?", 1)[1] if "?" in tail else "")
    asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_the_cli_sets_sources_and_harvests(scratch_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    import api.cli.harvest  # noqa: F401 (registers the commands)
    from api.cli import main

    feed = tmp_path / "export.csv"
    feed.write_text(CSV.replace('"1.250,00"', "1250"))
    runner = CliRunner(env={"DATABASE_URL": scratch_database, "ACADEMY_DATA_DIR": str(tmp_path),
                            **LOOPBACK})

    def academy(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    academy("db", "upgrade")
    assert "created source ucll/csv" in academy(
        "sources", "set", "--institution", "ucll", "csv", "--type", "csv", "--location", str(feed),
        "--mapping", '{"columns": {"code": "Opleidingscode"}}')
    out = academy("harvest", "--institution", "ucll")
    assert "ucll/csv: succeeded (2 fetched, 2 created" in out, out

    academy("sources", "set", "--institution", "ucll", "down", "--type", "ooapi-v5",
            "--location", f"http://127.0.0.1:{free_port()}", "--interval", "30")
    out = academy("harvest", "--source", "down", code=1)
    assert "ucll/down: failed" in out and "Nothing was written or withdrawn" in out, out
    listed = academy("sources", "list")
    assert "ucll/csv" in listed and "ucll/down" in listed
    bad = academy("sources", "set", "--institution", "ucll", "x", "--type", "json",
                  "--location", str(tmp_path / "missing.json"), code=2)
    assert "is not a file" in bad

    async def queue_a_run() -> None:  # as the API does, for a harvest worker
        engine = make_engine(normalise_url(scratch_database))
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO harvest_run (source_id, status) "
                                    "SELECT id, 'queued' FROM harvest_source WHERE name = 'csv'"))
        await engine.dispose()

    asyncio.run(queue_a_run())
    out = academy("harvest", "--source", "csv")
    assert "ucll/csv: run" in out and "queued or running in a harvest worker; skipped" in out, out


def test_odd_ooapi_values_are_left_out_not_guessed() -> None:
    odd = ooapi_course("ODD", "Vreemd", level=["master"], modeOfDelivery=[{"x": 1}, "situated"],
                       fieldsOfStudy="07", teachingLanguage="und", name=[
                           {"language": "de-DE", "value": "Seltsam"},
                           {"language": "nl-NL", "value": "  "},
                           {"language": "en-US", "value": "Odd"}])
    doc = ooapi_document(odd, [ooapi_offering("O-1", "2025-01-01", "2025-02-01", "Gent",
                                              priceInformation=[{"costType": "total costs",
                                                                 "amount": "99", "currency": "USD"}],
                                              addresses=[], teachingLanguage="fre")], {})
    assert doc["title"] == {"en": "Odd"} and doc["mode"] == "presential" and doc["type"] == "other"
    assert "eqf_level" not in doc and "isced_codes" not in doc
    assert doc["languages"] == ["fr"]
    assert doc["offerings"][0].keys() >= {"code", "start_date", "language"}
    assert "price_eur" not in doc["offerings"][0] and "city" not in doc["offerings"][0]
    assert [language_code(v) for v in ("nld", "nl-BE", "dut", "EN", "mul", None)] == [
        "nl", "nl", "nl", "en", None, None]
