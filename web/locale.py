"""Dates, money, numbers and the catalogue's enum values in the page's language.

Babel (CLDR) does the formatting: "3 maart 2026" and "€ 450,00" in Dutch (Belgian
conventions, the partners' audience), "3 March 2026" and "€450.00" in English. The enum
words are ours: the catalogue's and the EU micro-credential elements' vocabularies
(``schemas/course.schema.json``, ``schemas/microcredential.schema.json``), a word each in
both languages; language codes are named by CLDR.

Templates reach this through ``fmt`` (a ``Formatter`` bound to the page's language):
``{{ fmt.date(o.start_date) }}``, ``{{ fmt.money(o.price_eur) }}``, ``{{ fmt.number(x) }}``,
``{{ fmt.word("mode", o.mode) }}``, ``{{ fmt.language("en") }}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

__all__ = ["LOCALES", "WORDS", "Formatter"]

LOCALES = {"nl": "nl_BE", "en": "en_GB"}

# kind -> value -> (nl, en)
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "type": {
        "postgraduate": ("postgraduaat", "postgraduate programme"),
        "short_course": ("korte opleiding", "short course"),
        "microcredential": ("microcredential", "microcredential"),
        "module": ("module", "module"),
        "other": ("andere opleiding", "other course"),
    },
    "mode": {
        "presential": ("op de campus", "on campus"),
        "online": ("online", "online"),
        "blended": ("gemengd (campus en online)", "blended (campus and online)"),
        "hybrid": ("hybride (campus of online)", "hybrid (campus or online)"),
        "work_based": ("op de werkplek", "work-based"),
        "project_based": ("in een project", "project-based"),
        "volunteering": ("vrijwilligerswerk", "volunteering"),
    },
    "status": {
        "planned": ("gepland", "planned"),
        "open": ("inschrijvingen open", "open for enrolment"),
        "full": ("volzet", "full"),
        "cancelled": ("geannuleerd", "cancelled"),
        "past": ("voorbij", "past"),
        "running": ("loopt al", "under way"),
        "closed": ("inschrijvingen afgesloten", "enrolment closed"),
    },
    "assessment": {
        "testing": ("examen of test", "exam or test"),
        "skill-application": ("toepassing van een vaardigheid", "application of a skill"),
        "portfolio": ("portfolio", "portfolio"),
        "project": ("project", "project"),
        "recognition-of-prior-learning": ("erkenning van eerder verworven competenties",
                                          "recognition of prior learning"),
        "other": ("andere beoordeling", "other assessment"),
    },
    "supervision": {
        "unsupervised": ("zonder toezicht", "unsupervised"),
        "supervised-online": ("onder toezicht, online", "supervised online"),
        "supervised-onsite": ("onder toezicht, ter plaatse", "supervised on site"),
    },
    "achievement": {  # OB 3.0 achievementType of our credentials
        "MicroCredential": ("microcredential", "microcredential"),
        "Certificate": ("getuigschrift", "certificate"),
    },
    "stackability": {
        "standalone": ("op zichzelf staand", "standalone"),
        "stackable": ("stapelbaar tot een groter geheel", "stackable into a larger award"),
    },
}


def _date(value: Any) -> dt.date | dt.datetime | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if isinstance(value, str) and value:
        try:
            return (dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value
                    else dt.date.fromisoformat(value))
        except ValueError:
            return None
    return None


class Formatter:
    """The page language's way of writing dates, money, numbers and enum words."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LOCALES else "nl"
        self.locale = Locale.parse(LOCALES[self.lang])
        self._index = 0 if self.lang == "nl" else 1

    def date(self, value: Any, form: str = "long") -> str:
        """``2026-03-03`` -> "3 maart 2026" / "3 March 2026"; a timestamp with its time
        (``form="day"``: without); anything unreadable as given."""
        parsed = _date(value)
        if parsed is None:
            return "" if value is None else str(value)
        if isinstance(parsed, dt.datetime):
            if form == "day":  # the day only, as for a date
                return format_date(parsed.date(), "long", locale=self.locale)
            return format_datetime(parsed, "d MMMM y, HH:mm", locale=self.locale)
        # "day" on a date is its long form ("day" is no CLDR pattern: babel would misread it)
        return format_date(parsed, "long" if form == "day" else form, locale=self.locale)

    def money(self, amount: float | int | None, currency: str = "EUR") -> str:
        if amount is None:
            return ""
        return format_currency(amount, currency, locale=self.locale)

    def number(self, value: float | int | None) -> str:
        """7.5 -> "7,5" / "7.5"; whole numbers without decimals."""
        if value is None:
            return ""
        return format_decimal(value, format="#,##0.##", locale=self.locale)

    def word(self, kind: str, value: str | None) -> str:
        """An enum value as a word; an unknown value as given (never a blank)."""
        if not value:
            return ""
        words = WORDS.get(kind, {}).get(value)
        return words[self._index] if words else value.replace("_", " ")

    def language(self, code: str | None) -> str:
        """``en`` -> "Engels" / "English"."""
        if not code:
            return ""
        return self.locale.languages.get(code, code)
