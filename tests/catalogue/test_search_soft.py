"""People type whole phrases (#15): partial matches are ranked, not thrown away.

Every query here returned an empty page when search required every word.
"""

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
from catalogue.service import prepare_many, store
from tests.client import AppClient

SOON = (date.today() + timedelta(days=30)).isoformat()


def course(code: str, title: str, city: str | None = "Leuven", **extra: Any) -> dict[str, Any]:
    return {"code": code, "type": "postgraduate", "title": {"nl": title}, "languages": ["nl"],
            "offerings": [{"start_date": SOON, "city": city, "price_eur": 500}], **extra}


CATALOGUE: dict[str, list[dict[str, Any]]] = {
    "ucll": [
        course("WZ-1", "Postgraduaat wondzorg", "Genk"),
        course("OP-1", "Opleiding secundair onderwijs", "Diepenbeek"),
        course("ZM-1", "Postgraduaat zorgmanagement", "Hasselt"),
    ],
    "vives": [
        course("WZ-2", "Wondzorg voor verpleegkundigen", "Kortrijk"),
        course("AI-1", "Micro degree Artificial Intelligence", "Kortrijk"),
        course("SP-1", "Postgraduaat spoedgevallenzorg", "Brugge"),
        course("ZM-2", "Management in de zorg", "Brugge"),
    ],
    "kuleuven": [
        course("PS-1", "Postgraduaat psychotherapie voor volwassenen"),
        course("GT-1", "Postgraduaat gedragstherapie", "Kortrijk"),
    ],
    "thomasmore": [
        course("PS-2", "Postgraduaat psychotherapie voor kinderen", "Mechelen"),
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


async def search(client: AppClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/courses", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


async def codes(client: AppClient, q: str) -> list[str]:
    return [h["code"] for h in (await search(client, q))["items"]]


async def test_a_filler_word_does_not_empty_the_page(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    body = await search(client, "opleiding wondzorg")
    assert [h["code"] for h in body["items"]][:2] in (["WZ-1", "WZ-2"], ["WZ-2", "WZ-1"])
    # "opleiding" names a kind of offer: it neither shows OP-1 nor makes the hits partial
    assert "OP-1" not in [h["code"] for h in body["items"]]
    assert body["match"] == "all" and {h["match"] for h in body["items"]} == {"all"}
    assert set(await codes(client, "wound care course")) == {"WZ-1", "WZ-2"}


async def test_more_words_matched_rank_first_and_partial_ones_say_so(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    body = await search(client, "psychotherapie volwassenen")
    items = body["items"]
    assert items[0]["code"] == "PS-1" and items[0]["match"] == "all"
    assert {h["code"]: h["match"] for h in items[1:]} == {"PS-2": "partial"}
    assert items[0]["score"] > items[1]["score"]
    assert body["match"] == "all"


async def test_when_no_course_has_every_word_the_result_says_partial(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    body = await search(client, "wondzorg gedragstherapie")
    assert {h["code"] for h in body["items"]} == {"WZ-1", "WZ-2", "GT-1"}
    assert body["match"] == "partial" and {h["match"] for h in body["items"]} == {"partial"}
    assert body["total"] == 3
    # a word nobody knows does not empty the page either
    body = await search(client, "wondzorg qqqxzv")
    assert {h["code"] for h in body["items"]} == {"WZ-1", "WZ-2"} and body["match"] == "partial"
    body = await search(client, "qqqxzv")
    assert body["items"] == [] and body["match"] == "none"


async def test_what_the_user_marks_stays_strict(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert set(await codes(client, '"psychotherapie voor kinderen" volwassenen')) == {"PS-2"}
    assert set(await codes(client, "psychotherapie -kinderen")) == {"PS-1"}
    assert set(await codes(client, "wondzorg OR gedragstherapie volwassenen")) == {"WZ-1", "WZ-2", "GT-1"}
    assert await codes(client, '"wondzorg voor volwassenen" psychotherapie') == []


async def test_places_and_institutions_boost_but_never_filter(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    plain = await codes(client, "psychotherapie")
    assert set(plain) == {"PS-1", "PS-2"}
    assert await codes(client, "psychotherapie Mechelen") == ["PS-2", "PS-1"]
    assert await codes(client, "psychotherapie Leuven") == ["PS-1", "PS-2"]
    assert await codes(client, "Thomas More psychotherapie") == ["PS-2", "PS-1"]
    body = await search(client, "wondzorg Kortrijk")
    assert [h["code"] for h in body["items"]] == ["WZ-2", "WZ-1"]
    assert body["match"] == "all"  # a place is a preference, not a word that must match
    assert "GT-1" not in await codes(client, "wondzorg Kortrijk")  # nor a reason to show one
    assert set(await codes(client, "Kortrijk")) == {"WZ-2", "AI-1", "GT-1"}  # alone it searches


async def test_typos_are_fixed_per_word_inside_a_phrase(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    body = await search(client, "opleiding wonzorg")
    assert {h["code"] for h in body["items"][:2]} == {"WZ-1", "WZ-2"}
    assert body["did_you_mean"] == "opleiding wondzorg"  # it finds more than the words as typed
    assert {h["code"] for h in (await search(client, "psychoterapie volwassenen"))["items"][:1]} == {"PS-1"}


async def test_did_you_mean_only_when_it_finds_more(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    body = await search(client, "wondzorg opleidnig")  # fixing the filler finds nothing more
    assert {h["code"] for h in body["items"]} == {"WZ-1", "WZ-2"}
    assert body["did_you_mean"] is None


async def test_compounds_written_apart_or_together(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    for q in ("zorgmanagement", "zorg management"):
        body = await search(client, q)
        complete = {h["code"] for h in body["items"] if h["match"] == "all"}
        assert complete == {"ZM-1", "ZM-2"}, q
        assert {h["code"] for h in body["items"][:2]} == {"ZM-1", "ZM-2"}, q
    assert set(await codes(client, "wond zorg")) >= {"WZ-1", "WZ-2"}
    assert (await codes(client, "wond zorg"))[:2] in (["WZ-1", "WZ-2"], ["WZ-2", "WZ-1"])


async def test_abbreviations_find_their_expansions(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    assert await codes(client, "AI opleiding") == ["AI-1"]
    assert await codes(client, "EHBO") == ["SP-1"]  # first aid: the nearest offer


async def test_autocomplete_completes_the_last_word_softly(client, catalogue) -> None:  # type: ignore[no-untyped-def]
    async def suggest(q: str) -> list[str]:
        response = await client.get("/api/v1/suggest", params={"q": q})
        assert response.status_code == 200
        return [s["text"] for s in response.json()["items"]]

    assert "Postgraduaat wondzorg" in await suggest("postgraduaat wondz")  # a whole title
    found = await suggest("opleiding wondz")  # nothing starts so: the last word completes
    assert set(found[:2]) == {"Postgraduaat wondzorg", "Wondzorg voor verpleegkundigen"}
    found = await suggest("volwassenen psychoth")  # earlier words put their title first
    assert found[0] == "Postgraduaat psychotherapie voor volwassenen"
    # and the search as typed, last word a prefix, follows the same rule
    body = await search(client, "opleiding wondz")
    assert {h["code"] for h in body["items"]} == {"WZ-1", "WZ-2"}


async def test_the_match_fields_are_in_the_openapi_document(client) -> None:  # type: ignore[no-untyped-def]
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    hit = next(v for k, v in schemas.items() if k.endswith("SearchHit"))
    result = next(v for k, v in schemas.items() if k.endswith("SearchResult"))
    assert set(hit["properties"]["match"]["enum"]) == {"all", "partial", None}
    assert set(result["properties"]["match"]["enum"]) == {"all", "partial", "none", None}


async def test_a_common_word_cannot_carry_a_course_alone(client, session_factory) -> None:  # type: ignore[no-untyped-def]
    """The bound that keeps soft matching from listing half a big catalogue (WAND-like)."""
    docs = ([course(f"M-{i}", f"Inleiding tot management {i}") for i in range(60)]
            + [course(f"Z-{i}", f"Kwaliteit van zorg {i}") for i in range(60)]
            + [course("MZ-1", "Management in de zorg"), course("ON-1", "Onderwijs vandaag"),
               course("MO-1", "Management in het onderwijs")])
    async with session_factory() as session:
        ready, invalid = prepare_many(docs)
        assert not invalid
        await store(session, (await get_institution(session, "ucll")).id, ready)
        await session.commit()
    assert len(await codes(client, "zorg")) == 20  # a page of the 61 (limit 20)
    body = await search(client, "management zorg")  # both common: a course needs both
    assert [h["code"] for h in body["items"]] == ["MZ-1"] and body["total"] == 1
    body = await search(client, "management onderwijs")  # the rare word carries, the common adds
    assert [h["code"] for h in body["items"]] == ["MO-1", "ON-1"]
    assert [h["match"] for h in body["items"]] == ["all", "partial"]


async def test_a_word_that_opens_most_titles_counts_as_a_label(client, catalogue, session_factory) -> None:  # type: ignore[no-untyped-def]
    """No list names "Zomerschool": the catalogue's own titles show it labels a kind of offer."""
    docs = [course(f"ZS-{i}", f"Zomerschool {topic}")
            for i, topic in enumerate(("fotografie", "keramiek", "schilderen", "boetseren"))]
    async with session_factory() as session:
        ready, invalid = prepare_many(docs)
        assert not invalid
        await store(session, (await get_institution(session, "luca")).id, ready)
        await session.commit()
    body = await search(client, "zomerschool psychotherapie")
    assert {h["code"] for h in body["items"]} == {"PS-1", "PS-2"}  # no summer school for it
    assert body["match"] == "all"
    assert len(await codes(client, "zomerschool")) == 4  # alone, it still searches


async def test_an_institution_word_that_titles_hold_is_a_subject_too(client, catalogue, session_factory) -> None:  # type: ignore[no-untyped-def]
    """"School" is in "LUCA School of Arts", but titles use it: it is searched, not boosted."""
    docs = {"ucll": [course("SS-1", "Summer School fotografie"),
                     course("SS-2", "Summer School keramiek"), course("SO-1", "School voor ouders")],
            "luca": [course("GO-1", "Grafisch ontwerp")]}
    async with session_factory() as session:
        for slug, items in docs.items():
            ready, invalid = prepare_many(items)
            assert not invalid
            await store(session, (await get_institution(session, slug)).id, ready)
        await session.commit()
    body = await search(client, "school fotografie")
    assert body["items"][0]["code"] == "SS-1" and body["items"][0]["match"] == "all"
    found = [h["code"] for h in body["items"]]
    assert {"SS-2", "SO-1"} <= set(found)  # partial, but listed
    assert "GO-1" not in found or found[-1] == "GO-1"  # "School" only in its institution's name
    # "Leuven" is only ever a place here: a preference, never a reason to list a course
    assert "GO-1" not in await codes(client, "fotografie leuven")
