"""Reading a date a visitor typed into a search filter, in either page language.

A browser with a date picker sends ISO 8601 (``2026-03-31``) whatever its locale shows; a
browser without one, or a person editing the URL, sends what they typed: ``31-03-2026``,
``31/3/2026`` or ``31 maart 2026`` / ``31 March 2026``. Both page languages write the day
first (nl_BE ``d/MM/y``, en_GB ``dd/MM/y``), so a numeric date is always day, month, year.
Babel's ``parse_date`` is not used: it reads no month names and quietly reorders fields.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from babel import Locale

from web.locale import LOCALES

__all__ = ["parse_date_input"]

_NUMERIC = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})")
_NAMED = re.compile(r"(\d{1,2})\.?\s+([^\W\d_]+)\.?,?\s+(\d{4})")


@cache
def _months() -> dict[str, int]:
    """Month names and abbreviations of both page languages, folded: a Dutch page accepts
    "31 March 2026" too."""
    names: dict[str, int] = {}
    for tag in LOCALES.values():
        months = Locale.parse(tag).months["format"]
        for width in ("wide", "abbreviated"):
            for number, name in months[width].items():
                names[name.casefold().rstrip(".")] = number
    return names


def parse_date_input(value: str) -> date:
    """The date in ``value``; ``ValueError`` when it holds none."""
    text = value.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    if found := _NUMERIC.fullmatch(text):
        day, month, year = (int(g) for g in found.groups())
        return date(year, month, day)
    if found := _NAMED.fullmatch(text):
        month_number = _months().get(found.group(2).casefold())
        if month_number is not None:
            return date(int(found.group(3)), month_number, int(found.group(1)))
    raise ValueError(f"not a date: {value!r}")
