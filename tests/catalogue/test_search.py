"""A professional searches the catalogue: forgiving text matching, filters, facets, pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from api.routes.search import SearchController
from api.settings import Settings
from catalogue.institutions import get_institution
from catalogue.service import prepare_many, store, withdraw_course
from tests.client import AppClient

TODAY = date.today()
SOON = (TODAY + timedelta(days=20)).isoformat()
LATER = (TODAY + timedelta(days=200)).isoformat()
PAST = (TODAY - timedelta(days=300)).isoformat()


def offering(start: str | None, city: str | None = "Leuven", price: float | None = 500,
             **extra: Any) -> dict[str, Any]:
    return {"start_date": start, "city": city, "price_eur": price, **extra}


def course(code: str, title: dict[str, str], *, type_: str = "short_course",
           offerings: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"code": code, "type": type_, "title": title,
            "offerings": offerings if offerings is not None else [offering(SOON)], **extra}


CATALOGUE: dict[str, list[dict[str, Any]]] = {
    "ucll": [
        course("WZ-1", {"nl": "Postgraduaat wondzorg"}, type_="postgraduate", ects=20,
               mode="blended", languages=["nl"], eqf_level=6, isced_codes=["0913"],
               description={"nl": "Je leert complexe wonden verzorgen in de thuiszorg."},
               offerings=[offering(SOON, "Leuven", 2400), offering(LATER, "Hasselt", 2400)]),
        course("VK-1", {"nl": "Bijscholing verpleegkunde voor vroedvrouwen"}, ects=3,
               mode="presential", languages=["nl"], keywords=["verpleegkunde"]),
        course("LD-1", {"nl": "Leiderschap in de zorg"}, type_="microcredential",
               microcredential=True, ects=4, mode="online", languages=["nl"],
               offerings=[offering(LATER, None, 300)]),
    ],
    "vives": [
        course("WZ-2", {"nl": "Wond zorg in de praktijk"}, mode="presential", languages=["nl"],
               offerings=[offering(SOON, "Kortrijk", 150)]),
        course("BB-1", {"nl": "Bedrijfsbeheer voor zelfstandigen"}, type_="module", ects=6,
               mode="presential", languages=["nl"], offerings=[offering(SOON, "Brugge", 800)]),
        course("CA-1", {"nl": "Café-cultuur en gastronomie"}, mode="presential", languages=["nl"],
               description={"nl": "Over het Belgische café en zijn geschiedenis."}),
    ],
    "kuleuven": [
        course("BH-1", {"nl": "Beheer van publieke organisaties"}, type_="postgraduate", ects=30,
               mode="blended", languages=["nl"], eqf_level=7,
               offerings=[offering(LATER, "Leuven", 3000)]),
        course("DA-1", {"en": "Data science for health"}, ects=5, mode="online", languages=["en"],
               description={"en": "Machine learning on hospital data, with Python."},
               offerings=[offering(SOON, None, 900)]),
        course("DA-2", {"en": "Data science for business"}, ects=5, mode="online", languages=["en"],
               offerings=[offering(PAST, None, 900)]),
        course("PH-1", {"nl": "Filosofie van de techniek"}, mode="presential", languages=["nl"],
               offerings=[]),
        course("PH-2", {"nl": "Filosofie van de zorg"}, mode="presential", languages=["nl"],
               offerings=[offering(SOON, "Leuven", 100)]),
    ],
}


@pytest.fixture
def app(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> Litestar:
    app = create_app(settings, session_factory=session_factory)
    if not any(route.path == "/api/v1/suggest" for route in app.routes):
        app = create_app(settings, session_factory=session_factory, extra_handlers=[SearchController])
    return app


@pytest.fixture
async def catalogue(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session:
        for slug, docs in CATALOGUE.items():
            ready, invalid = prepare_many(docs)
            assert not invalid, invalid
            await store(session, (await get_institution(session, slug)).id, ready)
        await session.commit()


async def search(client: AppClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/courses", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def codes(client: AppClient, q: str, **params: Any) -> list[str]:
    return [hit["code"] for hit in (await search(client, q=q, **params))["items"]]


async def test_typo_is_corrected_with_trigrams(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    body = await search(client, q="verplegkunde")
    assert [h["code"] for h in body["items"]] == ["VK-1"]
    assert body["did_you_mean"] == "verpleegkunde"
    assert "<mark>verpleegkunde</mark>" in body["items"][0]["highlight"]["title"]


async def complete(client: AppClient, q: str) -> list[str]:
    """Codes of the hits that met every meaningful word (soft matching lists others after)."""
    return [h["code"] for h in (await search(client, q=q))["items"] if h["match"] == "all"]


async def test_dutch_compounds_meet_their_parts(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert set(await codes(client, "wondzorg")) == {"WZ-1", "WZ-2"}
    # both words: the two wound care courses, first; courses with only "zorg" follow (#15)
    assert set(await complete(client, "wond zorg")) == {"WZ-1", "WZ-2"}
    assert set((await codes(client, "wond zorg"))[:2]) == {"WZ-1", "WZ-2"}
    assert "BB-1" in await codes(client, "beheer")


async def test_english_queries_find_dutch_courses(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert (await codes(client, "wound care"))[:2] in (["WZ-1", "WZ-2"], ["WZ-2", "WZ-1"])
    assert await codes(client, "leadership") == ["LD-1"]


async def test_accents_and_the_prefix_of_the_last_word(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert await codes(client, "cafe") == ["CA-1"]
    assert await codes(client, "Café") == ["CA-1"]
    assert "DA-1" in await codes(client, "data scien")
    assert "<mark>" in (await search(client, q="gastro"))["items"][0]["highlight"]["title"]


async def test_phrases_exclusions_and_or(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert set(await codes(client, '"data science"')) == {"DA-1", "DA-2"}
    assert await codes(client, '"science data"') == []
    assert await codes(client, "data -business") == ["DA-1"]
    assert set(await codes(client, "filosofie techniek OR zorg")) == {"PH-1", "PH-2"}
    # soft words (#15): the course with both ranks first; the other is a partial match
    assert await complete(client, "filosofie techniek") == ["PH-1"]
    assert (await codes(client, "filosofie techniek"))[0] == "PH-1"


async def test_freshness_ranks_upcoming_offerings_first(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert await codes(client, "data science") == ["DA-1", "DA-2"]  # DA-2 only ran in the past
    assert await codes(client, "filosofie") == ["PH-2", "PH-1"]  # PH-1 has no offering


async def test_hits_carry_institution_offering_highlight_and_score(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    hit = (await search(client, q="wondzorg", institution="ucll"))["items"][0]
    assert hit["institution"] == "ucll" and hit["type"] == "postgraduate" and hit["ects"] == 20
    assert hit["next_offering"]["start_date"] == SOON and hit["next_offering"]["city"] == "Leuven"
    assert hit["highlight"]["title"] == "Postgraduaat <mark>wondzorg</mark>"
    assert hit["score"] > 0


async def test_filters_combine(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert set(await codes(client, "", institution="kuleuven", mode="online")) == {"DA-1", "DA-2"}
    assert await codes(client, "", city="hasselt") == ["WZ-1"]
    assert await codes(client, "", microcredential="true") == ["LD-1"]
    assert await codes(client, "", ects_min=20, ects_max=25) == ["WZ-1"]
    assert await codes(client, "", eqf=7) == ["BH-1"]
    assert await codes(client, "", isced="09") == ["WZ-1"]
    assert set(await codes(client, "", price_max=150)) == {"WZ-2", "PH-2"}
    window = {"starts_after": (TODAY + timedelta(days=100)).isoformat(),
              "starts_before": (TODAY + timedelta(days=300)).isoformat()}
    assert set(await codes(client, "", **window)) == {"WZ-1", "LD-1", "BH-1"}
    assert set(await codes(client, "", type=["module", "microcredential"])) == {"BB-1", "LD-1"}
    assert await codes(client, "", language="en", sort="title") == ["DA-2", "DA-1"]


async def test_facets_count_with_every_other_filter(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    body = await search(client, institution="kuleuven", mode="online")
    facets = {name: {v["value"]: v["count"] for v in values} for name, values in body["facets"].items()}
    assert body["total"] == 2
    assert facets["institution"] == {"kuleuven": 2, "ucll": 1}  # mode filter only
    assert facets["mode"] == {"presential": 2, "blended": 1, "online": 2}  # institution only
    assert facets["language"] == {"en": 2}
    assert facets["type"] == {"short_course": 2}
    assert facets["ects"] == {"3-6": 2}
    assert facets["price"] == {"500-1000": 2}
    month = SOON[:7]
    assert facets["start_month"] == {month: 1}
    assert set(body["facets"]) == {"institution", "language", "mode", "city", "type", "ects",
                                   "price", "start_month"}


async def test_cursor_walks_every_page_once(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    for sort in ("relevance", "start_date", "price", "title"):
        seen, cursor = [], None
        total = None
        while True:
            params: dict[str, Any] = {"q": "zorg OR data OR filosofie OR beheer", "sort": sort, "limit": 2}
            if cursor:
                params["cursor"] = cursor
            body = await search(client, **params)
            total = body["total"]
            seen += [(h["institution"], h["code"]) for h in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == total > 4, sort


async def test_withdrawn_courses_disappear_at_once(client, catalogue, session_factory) -> None:  # type: ignore[no-untyped-def]
    assert await codes(client, "gastronomie") == ["CA-1"]
    async with session_factory() as session:
        await withdraw_course(session, "vives", "CA-1")
        await session.commit()
    assert await codes(client, "gastronomie") == []
    assert "vives" not in {v["value"] for v in (await search(client, q="cafe"))["facets"]["institution"]}


@pytest.mark.parametrize("params", [
    {"cursor": "not-a-cursor"},
    {"institution": "harvard"},
    {"mode": "teleport"},
    {"type": "degree"},
    {"ects_min": 10, "ects_max": 5},
    {"starts_after": "2027-05-01", "starts_before": "2027-01-01"},
    {"limit": 101},
    {"limit": 0},
    {"q": "x" * 501},
    {"eqf": 9},
    {"isced": "medicine"},
    {"language": "Dutch!"},
    {"sort": "popularity"},
    {"starts_after": "tomorrow"},
])
async def test_bad_input_is_a_clear_4xx(client, catalogue, params) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/courses", params=params)
    assert 400 <= response.status_code < 500, response.text


async def test_a_cursor_for_another_sort_is_refused(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    cursor = (await search(client, limit=1, sort="price"))["next_cursor"]
    assert (await client.get("/api/v1/courses", params={"cursor": cursor, "sort": "title"})).status_code == 422


@pytest.mark.parametrize("q", ["'", "&", "|", "!", ":*", "\\", "wond & zorg | !", "'; DROP TABLE course; --",
                               "zorg:* & (a|b)", "-", '"', "OR", "-\"\"", "%_", "\x00"])
async def test_syntax_characters_never_break_the_search(client, catalogue, q) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/courses", params={"q": q})
    assert response.status_code in (200, 400), response.text


async def test_suggest_completes_titles_subjects_and_institutions(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    async def texts(q: str) -> list[str]:
        response = await client.get("/api/v1/suggest", params={"q": q})
        assert response.status_code == 200, response.text
        return [s["text"] for s in response.json()["items"]]

    assert await texts("w") == []
    assert "Postgraduaat wondzorg" in await texts("wo")
    assert "Postgraduaat wondzorg" in await texts("postgr")
    assert "verpleegkunde" in await texts("verpl")
    assert any("VIVES" in t for t in await texts("viv"))
    assert len(await texts("zo")) <= 8


async def test_a_big_catalogue_builds_suggestions_aside_and_serves_the_last_table(
        client, catalogue, app, session_factory) -> None:  # type: ignore[no-untyped-def]
    """Above ``thread_above`` courses the table builds in a thread; meanwhile the last one serves."""
    index = app.state.search_index
    index.thread_above = 0

    async def texts(q: str) -> list[str]:
        response = await client.get("/api/v1/suggest", params={"q": q})
        assert response.status_code == 200, response.text
        return [s["text"] for s in response.json()["items"]]

    assert "Postgraduaat wondzorg" in await texts("postgr")  # the first table: waited for
    new = course("OE-1", {"nl": "Oenologie voor sommeliers"}, mode="presential", languages=["nl"])
    async with session_factory() as session:
        ready, _ = prepare_many([new])
        await store(session, (await get_institution(session, "vives")).id, ready)
        await session.commit()
    assert await texts("oenol") == []  # served from the last table while the new one builds
    await index._building
    assert await texts("oenol") == ["Oenologie voor sommeliers"]


async def test_the_index_follows_updates_and_rollbacks(client, catalogue, session_factory) -> None:  # type: ignore[no-untyped-def]
    assert await codes(client, "gastronomie") == ["CA-1"]  # the index is built
    renamed = course("CA-1", {"nl": "Wijnbouw en oenologie"}, mode="presential", languages=["nl"])
    async with session_factory() as session:
        ready, _ = prepare_many([renamed])
        await store(session, (await get_institution(session, "vives")).id, ready)
        await session.commit()
    assert await codes(client, "gastronomie") == []  # applied as a delta
    assert await codes(client, "oenologie") == ["CA-1"]

    async with session_factory() as session:  # published, seen by a search, then rolled back
        ready, _ = prepare_many([course("RB-1", {"nl": "Bijenteelt voor beginners"})])
        await store(session, (await get_institution(session, "vives")).id, ready)
        await session.flush()
        from catalogue.search import SearchQuery, search_courses
        index = client.app.state.search_index
        seen = await search_courses(session, index, SearchQuery(q="bijenteelt"))
        assert [h.code for h in seen.items] == ["RB-1"]
        await session.rollback()
    assert await codes(client, "bijenteelt") == []  # the stamp went back: rebuilt
    assert await codes(client, "oenologie") == ["CA-1"]

    async with session_factory() as session:  # rolled back, then overtaken by a later change
        ready, _ = prepare_many([course("RB-2", {"nl": "Imkerij voor gevorderden"})])
        await store(session, (await get_institution(session, "vives")).id, ready)
        await session.flush()
        assert [h.code for h in (await search_courses(session, index, SearchQuery(q="imkerij"))).items] == ["RB-2"]
        await session.rollback()
    async with session_factory() as session:
        ready, _ = prepare_many([course("NW-1", {"nl": "Tuinarchitectuur"})])
        await store(session, (await get_institution(session, "vives")).id, ready)
        await session.commit()
    assert await codes(client, "imkerij") == []  # the checksum caught it
    assert await codes(client, "tuinarchitectuur") == ["NW-1"]


async def test_whole_results_are_kept_by_recent_use_within_a_byte_budget(
        client, catalogue, app) -> None:  # type: ignore[no-untyped-def]
    index = app.state.search_index
    words = ["zorg", "data", "filosofie"]
    first = {q: await search(client, q=q) for q in words}
    total = index.results_size
    assert total == sum(len(e.json) for e in index.results.values()) > 0
    index.forget_results()
    index.result_bytes = total - 1  # one of the three must go
    await search(client, q="zorg")
    await search(client, q="data")
    assert await search(client, q="zorg") == first["zorg"]  # from the cache, now the most recent
    assert await search(client, q="filosofie") == first["filosofie"]
    assert [key[2].q for key in index.results] == ["zorg", "filosofie"]  # "data" was least recent
    assert index.results_size == sum(len(e.json) for e in index.results.values()) <= total - 1
