"""One rule for "past" and "next start" (#19): the search hits' ``next_offering`` (on the
pre-sorted summary a hit is built from) is ``catalogue.offerings.next_offering`` for any
course and any day, so a result card and its course page never disagree."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.offerings import is_past, next_offering, when
from catalogue.search.hits import _next_offering, _summarise
from catalogue.structs import OfferingOut

TODAY = date(2026, 12, 7)


def _o(**fields: Any) -> OfferingOut:
    return msgspec.convert(fields, OfferingOut, strict=False)


def test_past_running_and_upcoming() -> None:
    assert when(_o(start_date="2026-12-01", end_date="2026-12-06"), TODAY) == "past"
    assert when(_o(start_date="2026-12-06"), TODAY) == "past"  # no end: its start counts
    assert when(_o(end_date="2026-12-06"), TODAY) == "past"  # no start, ended
    assert when(_o(start_date="2026-12-01", end_date="2026-12-07"), TODAY) == "running"
    assert when(_o(start_date="2026-12-07"), TODAY) == "upcoming"
    assert when(_o(), TODAY) == "upcoming"  # announced without dates
    assert not is_past(_o(status="open"), TODAY)


def test_the_next_offering_is_the_first_start_still_to_come() -> None:
    offerings = [_o(code="old", start_date="2026-01-01", status="open"),
                 _o(code="undated"), _o(code="off", start_date="2027-01-01", status="cancelled"),
                 _o(code="late", start_date="2027-03-01"), _o(code="soon", start_date="2027-02-01")]
    assert next_offering(offerings, TODAY).code == "soon"  # type: ignore[union-attr]
    assert next_offering(offerings[:3], TODAY).code == "undated"  # type: ignore[union-attr]
    assert next_offering([_o(end_date="2026-01-01"), offerings[0]], TODAY) is None


@st.composite
def _offering(draw: Any) -> dict[str, Any]:
    """An offering as validation lets it in: an end date is never before its start date."""
    found: dict[str, Any] = {}
    start = draw(st.none() | st.integers(-30, 30))
    end = draw(st.none() | st.integers(start if start is not None else -30, 40))
    for key, n in (("start_date", start), ("end_date", end)):
        if n is not None:
            found[key] = (TODAY + timedelta(days=n)).isoformat()
    if status := draw(st.none() | st.sampled_from(["planned", "open", "full", "cancelled"])):
        found["status"] = status
    return found


@settings(max_examples=300, deadline=None)
@given(offerings=st.lists(_offering(), max_size=6), offset=st.integers(-40, 40))
def test_search_hits_agree_with_the_course_page(offerings: list[dict[str, Any]],
                                                offset: int) -> None:
    document = msgspec.json.encode({"code": "C", "type": "module", "title": {"nl": "C"},
                                    "offerings": offerings}).decode()
    summary = _summarise("ucll", document, "hash")
    day = TODAY + timedelta(days=offset)
    expected = next_offering([_o(**o) for o in offerings], day)
    assert _next_offering(summary, day.isoformat()) == expected
