"""Pathway pages (#19): ``/pathways/{institution}/{code}`` says what the stacked award is, who
awards it with which partners, and its rules in words in Dutch and English, each unit linking
to its course; the search and course pages link there, never to JSON."""

from __future__ import annotations

import re

from tests.credentials.pathway_support import (  # noqa: F401  (fixtures)
    PATHWAYS,
    active_pathway,
    app,
    approve,
    course_doc,
    define,
    keys,
    pathway_body,
)

PAGE = "/pathways/kuleuven/PG-INCLUSIEF-ONDERWIJS"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" ,", ",").replace(" :", ":")


async def test_the_pathway_page_says_the_award_the_awarders_and_the_rules(client, keys) -> None:  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    r = await client.get(PAGE, params={"lang": "en"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    text = _text(r.text)
    assert "Inclusive teaching in higher education" in text
    assert "What you earn: Certificate in inclusive teaching" in text
    assert "Awarded by KU Leuven" in text and "Together with Thomas More, UCLL" in text
    assert "ECTS 12" in text and "EQF level 7" in text and "Valid for 10 years" in text
    assert "Assessment recognition of prior learning" in text and "Participation blended" in text
    assert "KU Leuven internal quality assurance" in text
    # the rules, every kind, in words
    assert "Complete all of these:" in text
    assert "One module on diversity: One of these 2:" in text
    assert "Electives: at least 4 ECTS: At least 4 ECTS from these:" in text
    assert "At least 12 ECTS in total." in text
    assert "A credential counts for 5 years after it was issued." in text
    assert "grade of at least 12 out of 20" in text
    # each unit links to its course page, with its partner and ECTS
    for course in ("ucll/MC-UDL", "thomasmore/MC-DIVERSITEIT", "thomasmore/MC-TAALBELEID",
                   "kuleuven/MC-EVALUATIE", "kuleuven/MC-DIGITAAL", "ucll/MC-TOETS"):
        assert f'<a href="/courses/{course}">' in r.text, course
    assert "Micro-credential MC-DIVERSITEIT Thomas More · 4 ECTS" in text
    assert re.search(r'href="/\?institution=thomasmore"', r.text)

    r = await client.get(PAGE, params={"lang": "nl"})
    text = _text(r.text)
    assert "Wat je behaalt: Getuigschrift inclusief lesgeven" in text
    assert "Uitgereikt door KU Leuven" in text and "Samen met Thomas More, UCLL" in text
    assert "Behaal al deze onderdelen:" in text and "Eén van deze 2:" in text
    assert "Minstens 4 ECTS uit deze:" in text and "Minstens 12 ECTS in totaal." in text
    assert "tot 5 jaar na de uitreiking" in text and "minstens 12 op 20" in text
    assert "Geldig 10 jaar" in text and "Beoordeling erkenning van eerder verworven" in text


async def test_rules_of_every_shape_read_as_words(client, keys) -> None:  # type: ignore[no-untyped-def]
    rules = {"at_least": 2, "of": [
        {"course": "ucll/MC-UDL"},
        {"all": [{"course": "thomasmore/MC-DIVERSITEIT"}, {"course": "thomasmore/MC-TAALBELEID"}]},
        {"min_ects": 2.5, "of": [{"course": "kuleuven/MC-EVALUATIE"},
                                 {"course": "kuleuven/MC-DIGITAAL"}]},
    ]}
    body = pathway_body(code="PG-TWEE", rules=rules, min_grade=None, max_age_years=None,
                        min_total_ects=None)
    for key in ("min_grade", "max_age_years", "min_total_ects"):
        body.pop(key)
    await active_pathway(client, keys, body)
    r = await client.get("/pathways/kuleuven/PG-TWEE", params={"lang": "en"})
    text = _text(r.text)
    assert "2 of these 3:" in text and "All 2:" not in text and "All 2 of these:" in text
    assert "At least 2.5 ECTS from these:" in text
    assert "in total" not in text and "out of 20" not in text  # no limits, none said
    r = await client.get("/pathways/kuleuven/PG-TWEE", params={"lang": "nl"})
    text = _text(r.text)
    assert "2 van deze 3:" in text and "Alle 2:" in text and "Minstens 2,5 ECTS uit deze:" in text

    one = pathway_body(code="PG-EEN", rules={"course": "kuleuven/MC-EVALUATIE"},
                       partners=["kuleuven"], min_total_ects=4)
    r = await define(client, keys, one)
    assert r.status_code == 201, r.text
    r = await client.get("/pathways/kuleuven/PG-EEN", params={"lang": "en"})
    assert r.status_code == 200
    assert "Complete this course: Micro-credential MC-EVALUATIE" in _text(r.text)
    assert "Together with" not in _text(r.text)  # KU Leuven alone


async def test_unknown_and_unapproved_pathways_are_the_friendly_404(client, keys) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/pathways/kuleuven/NOPE", headers={"Accept-Language": "en"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "We could not find this page." in r.text
    r = await client.get("/pathways/atlantis/NOPE", headers={"Accept-Language": "nl"})
    assert r.status_code == 404 and "We vonden deze pagina niet." in r.text
    assert (await define(client, keys)).status_code == 201  # pending: partners must approve
    assert (await client.get(PAGE)).status_code == 404
    for partner in ("thomasmore", "ucll"):
        assert (await approve(client, keys, partner)).status_code == 200
    assert (await client.get(PAGE)).status_code == 200


async def test_a_retired_pathway_page_says_it_is_closed(client, keys) -> None:  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    r = await client.post(f"{PATHWAYS.format(slug='kuleuven')}/PG-INCLUSIEF-ONDERWIJS/retire",
                          headers=keys["kuleuven"])
    assert r.status_code == 200, r.text
    r = await client.get(PAGE, params={"lang": "en"})
    assert r.status_code == 200 and "This pathway is closed" in r.text


async def test_search_and_course_pages_link_to_the_pathway_page(client, keys) -> None:  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    r = await client.get("/", params={"q": "inclusief", "lang": "en"})
    links = re.findall(r'<section class="pathways".*?</section>', r.text, re.S)[0]
    assert f'href="{PAGE}"' in links and "/api/v1/pathways" not in links
    assert "Inclusive teaching in higher education" in links and "12 ECTS" in links
    r = await client.get("/courses/ucll/MC-TOETS", params={"lang": "nl"})
    section = r.text.split('class="course-pathways"', 1)[1].split("</section>", 1)[0]
    assert "Telt mee voor deze leertrajecten" in section
    assert f'<a href="{PAGE}">Inclusief lesgeven in het hoger onderwijs</a>' in section
    # a course no pathway counts names none
    r = await client.put("/api/v1/institutions/ucll/courses/MC-ANDERS",
                         json=course_doc("ucll", "MC-ANDERS", 3), headers=keys["ucll"])
    assert r.status_code == 201, r.text
    r = await client.get("/courses/ucll/MC-ANDERS", params={"lang": "nl"})
    assert r.status_code == 200 and 'class="course-pathways"' not in r.text


async def test_a_unit_whose_course_was_withdrawn_is_named_not_linked(client, keys) -> None:  # type: ignore[no-untyped-def]
    await active_pathway(client, keys)
    r = await client.delete("/api/v1/institutions/kuleuven/courses/MC-DIGITAAL",
                            headers=keys["kuleuven"])
    assert r.status_code == 204, r.text
    r = await client.get(PAGE, params={"lang": "en"})
    assert r.status_code == 200
    assert 'href="/courses/kuleuven/MC-DIGITAAL"' not in r.text
    assert "MC-DIGITAAL (no longer offered)" in _text(r.text).replace("( ", "(").replace(" )", ")")
    assert 'href="/courses/kuleuven/MC-EVALUATIE"' in r.text
