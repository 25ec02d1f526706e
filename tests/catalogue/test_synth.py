"""The synthetic catalogue generator of the benchmarks: deterministic, realistic, valid."""

from __future__ import annotations

import importlib.util
import json
import statistics
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from catalogue.validation import validate_course

TODAY = date(2025, 9, 1)


@pytest.fixture(scope="module")
def synth() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "synth.py"
    spec = importlib.util.spec_from_file_location("bench_synth", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample(synth: ModuleType) -> list[tuple[str, dict[str, Any]]]:
    return list(synth.generate_courses(3000, seed=7, today=TODAY))


def test_the_same_seed_gives_the_same_courses(synth: ModuleType) -> None:
    first = list(synth.generate_courses(50, seed=1, today=TODAY))
    assert first == list(synth.generate_courses(50, seed=1, today=TODAY))
    assert first != list(synth.generate_courses(50, seed=2, today=TODAY))


def test_generated_courses_validate(sample: list[tuple[str, dict[str, Any]]]) -> None:
    for _, doc in sample[:300]:
        assert validate_course(doc, code_from_url=None, fast=False) == [], doc["code"]
    # The benchmark relies on valid documents taking the fast path.
    for _, doc in sample:
        assert validate_course(doc, code_from_url=None) == [], doc["code"]


def test_codes_are_unique(sample: list[tuple[str, dict[str, Any]]]) -> None:
    assert len({doc["code"] for _, doc in sample}) == len(sample)


def test_all_partners_domains_and_both_languages_appear(
    synth: ModuleType,
    sample: list[tuple[str, dict[str, Any]]],
) -> None:
    assert {slug for slug, _ in sample} == set(synth.INSTITUTIONS)
    assert Counter(doc["type"] for _, doc in sample).keys() == {
        "postgraduate",
        "microcredential",
        "short_course",
        "module",
        "other",
    }
    titles = Counter(lang for _, doc in sample for lang in doc["title"])
    assert titles["nl"] > titles["en"] > len(sample) * 0.2
    isced = {code[:2] for _, doc in sample for code in doc["isced_codes"] or ()}
    assert {"01", "02", "04", "06", "07", "09"} <= isced


def test_offerings_average_two_and_a_half_within_eighteen_months(
    sample: list[tuple[str, dict[str, Any]]],
) -> None:
    counts = [len(doc["offerings"]) for _, doc in sample]
    assert set(counts) == {0, 1, 2, 3, 4, 5}
    assert 2.3 <= statistics.mean(counts) <= 2.7
    starts = [date.fromisoformat(o["start_date"]) for _, d in sample for o in d["offerings"]]
    assert min(starts) > TODAY and max(starts) <= TODAY + timedelta(days=551)
    assert max(starts) - min(starts) > timedelta(days=500)


def test_values_are_plausible_and_some_are_unknown(
    sample: list[tuple[str, dict[str, Any]]],
) -> None:
    docs = [doc for _, doc in sample]
    offerings = [o for d in docs for o in d["offerings"]]
    pg_ects = [d["ects"] for d in docs if d["type"] == "postgraduate" and d["ects"] is not None]
    assert 20 <= min(pg_ects) and max(pg_ects) <= 60
    prices = [o["price_eur"] for o in offerings if o["price_eur"] is not None]
    assert min(prices) == 0 and 3000 < max(prices) < 8000
    for field in ("ects", "eqf_level", "description", "url"):
        nulls = sum(d[field] is None for d in docs) / len(docs)
        assert 0.02 < nulls < 0.7, field
    assert 0.05 < sum(o["price_eur"] is None for o in offerings) / len(offerings) < 0.3
    cities = Counter(o["city"] for o in offerings)
    assert {
        "Leuven",
        "Brussel",
        "Gent",
        "Antwerpen",
        "Mechelen",
        "Kortrijk",
        "Brugge",
        "Hasselt",
        "Aalst",
        "Geel",
        "Diepenbeek",
        "Turnhout",
    } <= cities.keys()


def test_the_command_line_writes_ndjson(synth: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "courses.ndjson"
    assert synth.main(["--n", "25", "--seed", "3", "--today", "2025-09-01", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 25
    expected = list(synth.generate_courses(25, seed=3, today=TODAY))
    assert [(x["institution"], x["course"]) for x in lines] == expected
