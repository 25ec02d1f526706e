"""Dates in the search filters, written and read in the page's language.

The filters are text fields, not ``<input type="date">``: a browser's date picker shows the
format of the browser's own locale, not the page's (Chromium on an English system shows a
Dutch page ``01/06/2027`` for 6 January), so the page writes the date itself, in its own
language (``06-01-2027`` in Dutch, ``06/01/2027`` in English), with a hint beside it.

A visitor types ``31-03-2026``, ``31/3/2026``, ``31.03.2026``, ``31 maart 2026`` or
``31 March 2026``; links and other systems send ISO 8601 (``2026-03-31``). Both page
languages write the day first (nl_BE ``d/MM/y``, en_GB ``dd/MM/y``), so a numeric date is
always day, month, year. Babel's ``parse_date`` is not used: it reads no month names and
quietly reorders fields it does not expect.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from babel import Locale

from web.locale import LOCALES

__all__ = ["date_value", "parse_date_input"]

SEPARATOR = {"nl": "-", "en": "/"}

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


def date_value(value: date | None, lang: str) -> str:
    """A filter's date as the page writes it: ``06-01-2027`` / ``06/01/2027``."""
    if value is None:
        return ""
    sep = SEPARATOR.get(lang, "-")
    return f"{value.day:02d}{sep}{value.month:02d}{sep}{value.year:04d}"


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
