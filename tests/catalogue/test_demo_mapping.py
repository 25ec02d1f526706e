"""The demo catalogue: real records become valid course documents, gaps stay gaps."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import pytest

from catalogue.demo import DEMO_PATH, load_demo_documents, record_to_document
from catalogue.hashing import content_hash
from catalogue.validation import validate_course

# SHA-256 of ../shared/data/real-catalogue-2024.jsonl, the file this copy was taken from
ORIGINAL_SHA256 = "f61809bc57a35ee4ac5447fe5dba5e6ac0733d703cb88a29a32c32b184142673"


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    lines = DEMO_PATH.read_text(encoding="utf-8").splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}


@pytest.fixture(scope="module")
def documents() -> dict[str, tuple[str, dict[str, Any]]]:
    return {doc["code"]: (slug, doc) for slug, doc in load_demo_documents()}


def test_the_data_is_a_verbatim_copy_with_its_origin_recorded() -> None:
    assert hashlib.sha256(DEMO_PATH.read_bytes()).hexdigest() == ORIGINAL_SHA256
    sources = (DEMO_PATH.parent / "SOURCES.md").read_text()
    assert "Education4Climate" in sources and "MIT" in sources and "2024-2025" in sources


def test_every_record_becomes_a_valid_course(
    documents: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    assert len(documents) == 200
    for slug, doc in documents.values():
        assert validate_course(doc, code_from_url=None, fast=False) == [], doc["code"]


def test_institutions_become_slugs(documents: dict[str, tuple[str, dict[str, Any]]]) -> None:
    assert Counter(slug for slug, _ in documents.values()) == {
        "kuleuven": 70,
        "vives": 51,
        "thomasmore": 41,
        "odisee": 22,
        "ucll": 16,
    }


def test_levels_become_types(documents: dict[str, tuple[str, dict[str, Any]]]) -> None:
    assert Counter(doc["type"] for _, doc in documents.values()) == {
        "postgraduate": 131,
        "microcredential": 68,
        "other": 1,
    }
    assert all(
        doc["microcredential"] == (doc["type"] == "microcredential")
        for _, doc in documents.values()
    )


def test_a_record_maps_field_by_field(
    records: dict[str, dict[str, Any]], documents: dict[str, tuple[str, dict[str, Any]]]
) -> None:
    slug, doc = documents["real-134"]
    record = records["real-134"]
    assert slug == "thomasmore"
    assert doc["title"] == {"en": record["title"]}
    assert doc["languages"] == ["en"] and doc["mode"] == "blended" and doc["ects"] == 25
    assert doc["url"] == record["source_url"]
    assert doc["keywords"] == ["People & Health"]
    [offering] = doc["offerings"]
    assert offering["city"] == "Antwerpen" and offering["language"] == "en"
    assert offering["mode"] == "blended"


def test_each_city_becomes_an_offering(documents: dict[str, tuple[str, dict[str, Any]]]) -> None:
    cities = [o["city"] for o in documents["real-019"][1]["offerings"]]
    assert cities == ["Sint-Katelijne-Waver", "Leuven", "Geel", "Gent", "Brugge"]
    two = [
        d
        for _, d in documents.values()
        if [o["city"] for o in d["offerings"]] == ["Kortrijk", "Leuven"]
    ]
    assert len(two) == 3
    codes = [o["code"] for o in documents["real-019"][1]["offerings"]]
    assert len(set(codes)) == 5


def test_a_campus_in_brackets_is_split_off(
    documents: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    [offering] = documents["real-120"][1]["offerings"]
    assert (offering["city"], offering["campus"]) == ("Mechelen", "Kruidtuin")
    [offering] = documents["real-112"][1]["offerings"]
    assert (offering["city"], offering["campus"]) == ("Mechelen", "Lucas Faydherbe")


def test_a_record_without_city_still_has_one_undated_offering(
    documents: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    [offering] = documents["real-177"][1]["offerings"]
    assert offering["city"] is None and offering["code"] == "real-177"
    assert offering["mode"] == "online" and offering["language"] == "nl"


def test_missing_values_stay_missing(
    records: dict[str, dict[str, Any]], documents: dict[str, tuple[str, dict[str, Any]]]
) -> None:
    for code, (_, doc) in documents.items():
        record = records[code]
        assert ("ects" in doc) == (record["ects"] is not None)
        assert ("description" in doc) == (record["description"] is not None)
        assert "eqf_level" not in doc and "isced_codes" not in doc
        for offering in doc["offerings"]:
            assert offering["start_date"] is None and offering["end_date"] is None
            assert offering["price_eur"] == (
                None if record["price_eur"] is None else float(record["price_eur"])
            )
            assert "capacity" not in offering and "status" not in offering


def test_prose_start_dates_are_not_turned_into_dates(records: dict[str, dict[str, Any]]) -> None:
    _, doc = record_to_document(records["real-152"])
    assert records["real-152"]["start_date"] == "September"
    assert doc["offerings"][0]["start_date"] is None
    assert doc["offerings"][0]["mode"] == "presential"  # from "on-campus"


def test_a_description_goes_under_the_language_it_is_written_in(
    documents: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    _, doc = documents["real-199"]
    assert set(doc["title"]) == {"nl"} and set(doc["description"]) == {"en"}
    assert set(documents["real-005"][1]["description"]) == {"nl"}


def test_incentive_eligibility_only_where_the_source_says_so(
    documents: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    eligible = {
        code
        for code, (_, d) in documents.items()
        if any(o["incentive_eligible"] for o in d["offerings"])
    }
    assert eligible == {"real-120"}
    assert all(
        o["incentive_eligible"] in (True, None)
        for _, d in documents.values()
        for o in d["offerings"]
    )


def test_the_mapping_is_stable(documents: dict[str, tuple[str, dict[str, Any]]]) -> None:
    again = {doc["code"]: content_hash(doc) for _, doc in load_demo_documents()}
    assert again == {code: content_hash(doc) for code, (_, doc) in documents.items()}
    assert len(set(again.values())) == 200
