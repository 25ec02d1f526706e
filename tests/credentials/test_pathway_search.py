"""Professionals find pathways in the catalogue search, next to the courses that make them up."""

from __future__ import annotations

from typing import Any

from tests.credentials.pathway_support import (  # noqa: F401  (fixtures)
    PATHWAYS,
    active_pathway,
    app,
    approve,
    define,
    keys,
    pathway_body,
)

SEARCH = "/api/v1/courses"


async def _found(client, **params: Any) -> list[str]:  # type: ignore[no-untyped-def]
    r = await client.get(SEARCH, params=params)
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["pathways"]]


async def test_the_catalogue_search_shows_active_pathways(client, keys) -> None:  # type: ignore[no-untyped-def]
    r = await define(client, keys)
    assert r.status_code == 201, r.text
    assert await _found(client, q="inclusief lesgeven") == []  # pending approval: not yet

    for partner in ("thomasmore", "ucll"):
        assert (await approve(client, keys, partner)).status_code == 200
    pathway = (await client.get(f"{PATHWAYS.format(slug='kuleuven')}/PG-INCLUSIEF-ONDERWIJS",
                                headers=keys["kuleuven"])).json()
    for q in ("inclusief lesgeven", "Inclusive TEACHING", "inclusieve", "getuigschrift",
              "pg-inclusief-onderwijs"):
        assert await _found(client, q=q) == [pathway["id"]], q
    hit = (await client.get(SEARCH, params={"q": "inclusief"})).json()["pathways"][0]
    assert hit["institution"] == "kuleuven" and hit["code"] == "PG-INCLUSIEF-ONDERWIJS"
    assert hit["award_title"]["en"] == "Certificate in inclusive teaching"
    assert hit["ects"] == 12 and hit["eqf_level"] == 7
    public = await client.get(hit["url"])
    assert public.status_code == 200 and public.json()["id"] == pathway["id"]

    # every word must meet; the institution filter names the awarding institution
    assert await _found(client, q="inclusief wondzorg") == []
    assert await _found(client, q="inclusief", institution="ucll") == []
    assert await _found(client, q="inclusief", institution=["ucll", "kuleuven"]) == [pathway["id"]]
    # pathways come with the first page only, and not without words
    first = (await client.get(SEARCH, params={"q": "inclusief", "limit": 1})).json()
    if first["next_cursor"]:
        following = await client.get(SEARCH, params={"q": "inclusief", "limit": 1,
                                                     "cursor": first["next_cursor"]})
        assert following.json()["pathways"] == []
    assert (await client.get(SEARCH)).json()["pathways"] == []


async def test_a_retired_pathway_leaves_the_search_at_once(client, keys) -> None:  # type: ignore[no-untyped-def]
    pathway = await active_pathway(client, keys)
    assert await _found(client, q="inclusief") == [pathway["id"]]
    r = await client.post(f"{PATHWAYS.format(slug='kuleuven')}/PG-INCLUSIEF-ONDERWIJS/retire",
                          headers=keys["kuleuven"])
    assert r.status_code == 200, r.text
    assert await _found(client, q="inclusief") == []


async def test_query_syntax_never_breaks_the_pathway_lookup(client, keys) -> None:  # type: ignore[no-untyped-def]
    pathway = await active_pathway(client, keys)
    for q in ("inclusief%", "inclusief_", "inclusief\\", "inclusief|x", "'inclusief'", "inclusief:*"):
        r = await client.get(SEARCH, params={"q": q})
        assert r.status_code == 200, (q, r.text)
    assert await _found(client, q="%%%") == []
    assert pathway["id"]


async def test_the_search_page_lists_the_pathways_found(client, keys) -> None:  # type: ignore[no-untyped-def]
    pathway = await active_pathway(client, keys)
    page = await client.get("/", params={"q": "inclusief lesgeven", "lang": "en"})
    assert page.status_code == 200
    # #19: the page links to the pathway's page, not to its JSON
    assert f'href="/pathways/{pathway["institution"]}/{pathway["code"]}"' in page.text
    assert f'href="/api/v1/pathways/{pathway["id"]}"' not in page.text
    assert "Inclusive teaching in higher education" in page.text
    assert 'id="pathways-title"' not in (await client.get("/", params={"q": "wondzorg"})).text
