"""Why a credential the learner holds does not count for a unit (``credentials.unit_reasons``):
the rules of ``credentials.rules``, each named, on the example pathway (min_grade 12,
max_age_years 5, partners KU Leuven, Thomas More, UCLL). Pure: no database."""

from __future__ import annotations

from datetime import date

import pytest

from credentials.progress import by_course, compile_document
from credentials.rules import Held
from credentials.unit_reasons import reason_for
from tests.credentials.support import example

TODAY = date(2026, 12, 7)
UDL = "ucll/MC-UDL"
PATHWAY = compile_document(example("pathway.json"), "kuleuven", 1)


def held(issuer: str = "ucll", **changes: object) -> tuple[str, Held]:
    fields: dict[str, object] = {"id": "c1", "course": UDL, "ects": 4.0, "grade": 15.0,
                                 "issued_on": date(2026, 6, 30)}
    return issuer, Held(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(("credential", "reason"), [
    (held(status="revoked"), ("revoked", {})),
    (held(status="suspended"), ("suspended", {})),
    (held(valid_until=date(2025, 1, 10)), ("expired", {"date": date(2025, 1, 10)})),
    (held(grade=11.5), ("grade", {"minimum": 12})),
    (held(grade=None), ("grade", {"minimum": 12})),
    (held(issued_on=date(2021, 12, 6)), ("age", {"years": 5})),
    (held(issuer="vives"), ("issuer", {})),
])
def test_each_rule_that_keeps_a_held_credential_out_is_named(credential, reason) -> None:  # type: ignore[no-untyped-def]
    assert reason_for(UDL, by_course([credential]), PATHWAY, TODAY) == reason


def test_nothing_to_explain_when_one_counts_or_none_is_held() -> None:
    assert reason_for(UDL, by_course([held(status="revoked", id="c0"), held()]), PATHWAY,
                      TODAY) is None
    assert reason_for(UDL, by_course([]), PATHWAY, TODAY) is None
    assert reason_for(UDL, by_course([held(issued_on=date(2027, 1, 1))]), PATHWAY, TODAY) is None


def test_of_several_the_newest_credential_is_the_one_explained() -> None:
    found = by_course([held(status="revoked", id="old", issued_on=date(2025, 1, 1)),
                       held(grade=10.0, id="new", issued_on=date(2026, 1, 1))])
    assert reason_for(UDL, found, PATHWAY, TODAY) == ("grade", {"minimum": 12})
