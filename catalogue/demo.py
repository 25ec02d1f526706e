"""The demo catalogue: real 2024-2025 programmes of five partners, mapped to course documents.

Pure mapping, no database: ``academy demo load`` publishes the result through the same
service as any partner. The rules, and why (see also ``data/SOURCES.md``):

- ``id`` becomes ``code``; the institution's name becomes its slug.
- ``level`` becomes ``type``: ``postgraduate`` and ``microcredential`` as such, the one
  ``certificate programme`` (a statutory certificate, not a postgraduate) as ``other``.
  ``microcredential`` is true exactly for the records the partner listed as one.
- ``title`` and ``description`` go under the record's ``language``; a description
  written in the other language (two records) goes under the language it is in.
- ``faculty`` (the organising faculty or study area) becomes a keyword: the contract has
  no organisational-unit field, and its words are what a searcher types.
- ``source_url`` becomes ``url``; ``ects`` and ``price_eur`` become numbers.
- Each city becomes an offering (``Kortrijk; Leuven`` is two; ``Mechelen (Campus
  Kruidtuin)`` is city Mechelen, campus Kruidtuin); a record without a city still gets
  one offering. An offering carries the record's mode, language and price. Its dates
  stay null: the records' ``start_date`` is prose ("September") and never a date.
- ``incentive_eligible`` is true only where the description says the programme qualifies
  for KMO-portefeuille or paid educational leave; otherwise it is unknown (null).
- Everything else missing stays null: nothing is guessed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

__all__ = ["DEMO_PATH", "INSTITUTION_SLUGS", "load_demo_documents", "record_to_document"]

DEMO_PATH = Path(__file__).resolve().parent / "data" / "real-catalogue-2024.jsonl"

INSTITUTION_SLUGS = {
    "KU Leuven": "kuleuven",
    "LUCA School of Arts": "luca",
    "Odisee": "odisee",
    "Thomas More": "thomasmore",
    "UCLL": "ucll",
    "Vives": "vives",
}
_TYPES = {
    "postgraduate": "postgraduate",
    "microcredential": "microcredential",
    "certificate programme": "other",
}
_MODES = {"on-campus": "presential", "online": "online", "blended": "blended"}
_CAMPUS = re.compile(r"^(?P<city>[^()]+?)\s*\((?:Campus\s+)?(?P<campus>[^()]+)\)$")
_INCENTIVES = re.compile(r"KMO-portefeuille|educatief verlof|opleidingsverlof", re.IGNORECASE)
_DUTCH = {"de", "het", "een", "en", "van", "voor", "met", "op", "in", "is", "dat", "die", "te"}
_ENGLISH = {"the", "a", "an", "and", "of", "for", "with", "on", "in", "is", "that", "to"}


def load_demo_documents(path: Path = DEMO_PATH) -> list[tuple[str, dict[str, Any]]]:
    """(institution slug, course document) for every record of the JSON Lines file."""
    with path.open(encoding="utf-8") as lines:
        return [record_to_document(json.loads(line)) for line in lines if line.strip()]


STACK_PATH = Path(__file__).parent / "data" / "demo-microcredentials.json"


def stack_documents(path: Path = STACK_PATH) -> list[tuple[str, dict[str, Any]]]:
    """The six microcredentials of three partners that ``schemas/examples/pathway.json``
    stacks (invented for the demo: the real catalogue lists no such units), so that the
    README's pathway tour works on the demo catalogue."""
    found = json.loads(path.read_text(encoding="utf-8"))
    return [(slug, doc) for slug, docs in found.items() for doc in docs]


def record_to_document(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Map one Education4Climate-style record; see the module docstring for the rules."""
    code, language, mode = record["id"], record["language"], _MODES.get(record["mode"] or "")
    doc: dict[str, Any] = {
        "code": code,
        "type": _TYPES[record["level"]],
        "title": {language: _clean(record["title"])},
        "languages": [language],
        "mode": mode,
        "microcredential": record["level"] == "microcredential",
        "url": record["source_url"],
    }
    if description := record.get("description"):
        doc["description"] = {_language_of(description, default=language): _clean(description)}
    if ects := record.get("ects"):
        doc["ects"] = _number(ects)
    if faculty := record.get("faculty"):
        doc["keywords"] = [_clean(faculty)]
    incentive = True if description and _INCENTIVES.search(description) else None
    price = _number(record["price_eur"]) if record.get("price_eur") is not None else None
    places: list[tuple[str | None, str | None]] = [
        _place(p) for p in (record.get("city") or "").split(";") if p.strip()
    ]
    doc["offerings"] = [
        {
            "code": f"{code}-{_slug(city)}" if city else code,
            "start_date": None,
            "end_date": None,
            "mode": mode,
            "campus": campus,
            "city": city,
            "price_eur": price,
            "incentive_eligible": incentive,
            "language": language,
        }
        for city, campus in places or [(None, None)]
    ]
    return INSTITUTION_SLUGS[record["institution"]], doc


def _place(text: str) -> tuple[str, str | None]:
    text = _clean(text)
    if match := _CAMPUS.match(text):
        return match["city"], match["campus"]
    return text, None


def _clean(text: str) -> str:
    """Collapse the source's doubled and non-breaking spaces."""
    return " ".join(text.split())


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def _slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")


def _language_of(text: str, *, default: str) -> str:
    """Dutch or English by counting function words; the record's language on a tie."""
    words = re.findall(r"[a-z]+", text.lower())
    dutch = sum(w in _DUTCH for w in words)
    english = sum(w in _ENGLISH for w in words)
    if dutch == english:
        return default
    return "nl" if dutch > english else "en"
