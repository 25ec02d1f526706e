"""When an offering is past, under way or still to come, and which one is a course's next start.

One definition for everything that tells a professional when a course runs: the search
hits' ``next_offering`` (``catalogue.search.hits``), the index's ``next_start`` that the
start-date sort and filters read (``catalogue.search.snapshot``), and the course page. So a
result card and its course page never disagree about whether a course has an upcoming start.

- *past*: its end date, or its start date when it has no end date, is before ``today``;
- *under way* ("running"): started before ``today``, ends on or after it;
- *upcoming*: starts on or after ``today``, or has no start date and is not past;
- the *next offering*: the earliest upcoming offering with a start date that is not
  cancelled; failing that, the first undated upcoming one that is not cancelled (a session
  announced without a date: the course says "no start date announced" either way).

Pure functions over ``OfferingOut``; ``today`` is an argument, never the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from catalogue.structs import OfferingOut

__all__ = ["When", "is_past", "next_offering", "when"]

When = Literal["upcoming", "running", "past"]


def is_past(offering: OfferingOut, today: date) -> bool:
    last = offering.end_date or offering.start_date
    return last is not None and last < today


def when(offering: OfferingOut, today: date) -> When:
    if is_past(offering, today):
        return "past"
    if offering.start_date is not None and offering.start_date < today:
        return "running"
    return "upcoming"


def next_offering(offerings: Iterable[OfferingOut], today: date) -> OfferingOut | None:
    live = [o for o in offerings if o.status != "cancelled" and when(o, today) == "upcoming"]
    dated = [o for o in live if o.start_date is not None]
    if dated:
        return min(dated, key=lambda o: o.start_date or today)
    return next(iter(live), None)
