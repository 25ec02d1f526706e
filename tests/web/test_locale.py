"""Dates, money, numbers and enum values as each page language writes them."""

import datetime

import pytest

from web.locale import WORDS, Formatter


@pytest.mark.parametrize(("lang", "date", "money", "number"), [
    ("nl", "3 maart 2026", "€\u00a0450,00", "7,5"),  # a no-break space, as CLDR writes it
    ("en", "3 March 2026", "€450.00", "7.5"),
])
def test_the_locale_writes_dates_money_and_numbers(lang, date, money, number):
    fmt = Formatter(lang)
    assert fmt.date("2026-03-03") == date
    assert fmt.money(450) == money
    assert fmt.number(7.5) == number
    assert fmt.number(12.0) == "12"


def test_a_timestamp_keeps_its_time_unless_only_the_day_is_asked():
    fmt = Formatter("nl")
    assert fmt.date("2026-03-03T10:05:00Z") == "3 maart 2026, 10:05"
    assert fmt.date("2026-03-03T10:05:00Z", form="day") == "3 maart 2026"
    # a date asked for as a day is that day (a date column, e.g. a credential's valid_until)
    assert fmt.date(datetime.date(2025, 1, 10), form="day") == "10 januari 2025"


def test_every_enum_value_has_a_word_in_both_languages_and_unknown_ones_stay_readable():
    for kind, values in WORDS.items():
        for value, (nl, en) in values.items():
            assert Formatter("nl").word(kind, value) == nl and nl
            assert Formatter("en").word(kind, value) == en and en
    assert Formatter("en").word("mode", "presential") == "on campus"
    assert Formatter("en").word("mode", "field_trip") == "field trip"
    assert Formatter("nl").language("en") == "Engels"
    assert Formatter("en").language("nl") == "Dutch"


def test_unreadable_values_are_shown_as_given_and_none_as_nothing():
    fmt = Formatter("en")
    assert fmt.date("soon") == "soon"
    assert fmt.date(None) == fmt.money(None) == fmt.number(None) == fmt.word("mode", None) == ""
