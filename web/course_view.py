"""What the search and course pages show of a course: its sessions as they stand today, the
facts a professional decides on, and a search hit's highlighted snippet.

When a session is past, under way or upcoming, and which one is the next start, is
``catalogue.offerings``' decision (the search hits use the same one, so a result card and
the course page agree); this module only turns it into rows: a status word, and an "Enrol"
link only where enrolling is still possible.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Literal

import msgspec
from markupsafe import Markup, escape

from catalogue.offerings import When, next_offering, when
from catalogue.structs import CourseOut, OfferingOut

__all__ = ["CourseFacts", "SessionRow", "course_facts", "lang_attr", "marked", "matched_terms",
           "sessions", "snippet_lang"]

Incentive = Literal["yes", "no", "mixed"] | None


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    offering: OfferingOut
    when: When
    status: str | None  # a ``fmt.word("status", ...)`` value: stored, or derived from today
    enrol_url: str | None  # only while one can still enrol
    deadline_passed: bool


class CourseFacts(msgspec.Struct, frozen=True, kw_only=True):
    """The course page's "at a glance": the next session's practicalities."""

    next: OfferingOut | None
    price_eur: float | None
    deadline: date | None
    deadline_passed: bool
    incentive: Incentive


def _row(course: CourseOut, o: OfferingOut, today: date) -> SessionRow:
    moment = when(o, today)
    passed = o.enrolment_deadline is not None and o.enrolment_deadline < today
    if o.status == "cancelled":
        status: str | None = "cancelled"
    elif moment == "past":
        status = "past"  # whatever it said while it ran: never "open"
    elif passed and o.status in ("open", "planned", None):
        status = "closed"
    elif moment == "running" and o.status in ("open", "planned", None):
        # under way: joining is only possible while an announced deadline has not passed
        status = "open" if o.enrolment_deadline is not None and not passed else "running"
    else:
        status = o.status
    can_enrol = status in ("open", "planned") or (status is None and moment == "upcoming")
    url = (o.enrolment_url or course.url) if can_enrol else None
    return SessionRow(offering=o, when=moment, status=status, enrol_url=url,
                      deadline_passed=passed)


def sessions(course: CourseOut, today: date) -> tuple[list[SessionRow], list[SessionRow]]:
    """(current, earlier): sessions under way or to come, by start (undated last); and past
    ones, the most recent first."""
    rows = [_row(course, o, today) for o in course.offerings]
    current = sorted((r for r in rows if r.when != "past"),
                     key=lambda r: (r.offering.start_date is None, r.offering.start_date))
    earlier = sorted((r for r in rows if r.when == "past"),
                     key=lambda r: r.offering.end_date or r.offering.start_date or date.min,
                     reverse=True)
    return current, earlier


def course_facts(course: CourseOut, today: date) -> CourseFacts:
    """The next session's price, deadline and incentives; incentives across the sessions to
    come when they differ ("mixed"), unknown (None) when no session says."""
    upcoming = next_offering(course.offerings, today)
    live = [o for o in course.offerings if o.status != "cancelled" and when(o, today) != "past"]
    said = {o.incentive_eligible for o in live if o.incentive_eligible is not None}
    incentive: Incentive = None
    if len(said) > 1:
        incentive = "mixed"
    elif said:
        incentive = "yes" if said.pop() else "no"
    deadline = upcoming.enrolment_deadline if upcoming else None
    return CourseFacts(next=upcoming, price_eur=upcoming.price_eur if upcoming else None,
                       deadline=deadline, deadline_passed=deadline is not None and deadline < today,
                       incentive=incentive)


def lang_attr(value: dict[str, str] | str | None, page_lang: str) -> Markup:
    """`` lang="en"`` for an element whose text (a language map, as the page's ``tx`` reads
    it) is not in the page's language, so a screen reader pronounces it right; else nothing."""
    if not isinstance(value, dict) or not value or value.get(page_lang):
        return Markup("")
    used = next((code for code in ("nl", "en") if value.get(code)), next(iter(value)))
    return Markup(' lang="{}"').format(used)


def snippet_lang(highlighted: str | None, description: dict[str, str] | None,
                 page_lang: str) -> Markup:
    """``lang_attr`` for a search snippet: the description language it was cut from."""
    if not highlighted or not description:
        return Markup("")
    plain = html.unescape(_MARK.sub("", highlighted)).strip("…")
    used = next((code for code, text in description.items() if plain in text), page_lang)
    return Markup("") if used == page_lang else Markup(' lang="{}"').format(used)


_MARK = re.compile(r"(<mark>|</mark>)")


def marked(highlighted: str | None) -> Markup:
    """A search highlight (HTML-escaped text with ``<mark>`` spans) rendered safely: every
    piece is unescaped and escaped again, so only our own ``<mark>`` elements are markup,
    whatever the highlight holds."""
    if not highlighted:
        return Markup("")
    out, inside = [], False
    for piece in _MARK.split(highlighted):
        if piece in ("<mark>", "</mark>"):
            if (piece == "<mark>") != inside:
                out.append(Markup(piece))
                inside = not inside
            continue
        out.append(escape(html.unescape(piece)))
    if inside:
        out.append(Markup("</mark>"))
    return Markup("").join(out)


def matched_terms(*highlighted: str | None) -> list[str]:
    """The distinct words the highlights mark, in order of appearance (case-insensitive)."""
    seen: dict[str, str] = {}
    for text in highlighted:
        for word in re.findall(r"<mark>(.*?)</mark>", text or "", re.DOTALL):
            word = html.unescape(word).strip()
            if word and word.casefold() not in seen:
                seen[word.casefold()] = word
    return list(seen.values())
