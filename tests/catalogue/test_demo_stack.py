"""The demo carries the units of the example pathway, so the README's pathway tour works."""

from __future__ import annotations

import json
from pathlib import Path

from catalogue.demo import stack_documents
from catalogue.service import prepare_many
from credentials.rules import referenced_courses

EXAMPLE = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "pathway.json"


def test_the_demo_stack_is_the_example_pathways_units_and_valid() -> None:
    pathway = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    pairs = stack_documents()
    assert {f"{slug}/{doc['code']}" for slug, doc in pairs} == set(referenced_courses(pathway["rules"]))
    ready, invalid = prepare_many([doc for _, doc in pairs])
    assert not invalid and len(ready) == len(pairs)
    assert sum(doc["ects"] for _, doc in pairs) >= pathway["award"]["ects"]
