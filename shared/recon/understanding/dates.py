"""ETA words: "tomorrow", "fri", "next week", "12/10", "dec 10", "in 2 days", Spanish weekdays."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS: dict[str, int] = {
    "monday": 0, "mon": 0, "lunes": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "martes": 1,
    "wednesday": 2, "wed": 2, "weds": 2, "miercoles": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "jueves": 3,
    "friday": 4, "fri": 4, "viernes": 4,
    "saturday": 5, "sat": 5, "sabado": 5,
    "sunday": 6, "sun": 6, "domingo": 6,
}  # fmt: skip

# Abbreviations that are also words or names: a date only after a word that introduces one.
_CUED_ONLY = frozenset({"mon", "wed", "sat", "sun"})
_CUES = frozenset(
    {
        "eta",
        "by",
        "on",
        "til",
        "till",
        "until",
        "next",
        "this",
        "thru",
        "before",
        "after",
        "el",
        "para",
        "for",
        "due",
        "arriving",
        "llega",
        "llegan",
    }
)

RELATIVE_DAYS: dict[str, int] = {
    "today": 0, "hoy": 0, "eod": 0,
    "tomorrow": 1, "tmrw": 1, "tmr": 1, "tmw": 1, "tomm": 1, "2morrow": 1, "2moro": 1,
    "tomorow": 1, "tommorow": 1, "tommorrow": 1, "manana": 1, "tmrrw": 1,
}  # fmt: skip

MONTHS: dict[str, int] = {
    "jan": 1, "january": 1, "enero": 1, "feb": 2, "february": 2, "febrero": 2,
    "mar": 3, "march": 3, "marzo": 3, "apr": 4, "april": 4, "abril": 4, "may": 5, "mayo": 5,
    "jun": 6, "june": 6, "junio": 6, "jul": 7, "july": 7, "julio": 7,
    "aug": 8, "august": 8, "agosto": 8, "sep": 9, "sept": 9, "september": 9,
    "septiembre": 9, "oct": 10, "october": 10, "octubre": 10, "nov": 11, "november": 11,
    "noviembre": 11, "dec": 12, "december": 12, "diciembre": 12,
}  # fmt: skip

_COUNT_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "couple": 2,
    "few": 3, "un": 1, "dos": 2, "tres": 3,
}  # fmt: skip

_NUMERIC_DATE_RE = re.compile(r"^(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2}|\d{4}))?$")
_ORDINAL_RE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)$")
_DAY_RE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$")


@dataclass(frozen=True, slots=True)
class DateSpan:
    start: int  # token index
    end: int  # exclusive
    value: date


def find_dates(
    lows: list[str], today: date, *, skip: frozenset[int] = frozenset()
) -> list[DateSpan]:
    """Every date expression in the folded words `lows`, as spans of token indices."""
    spans: list[DateSpan] = []
    position = 0
    while position < len(lows):
        if position in skip:
            position += 1
            continue
        found = _date_at(lows, position, today)
        if found is None:
            position += 1
            continue
        length, value = found
        spans.append(DateSpan(position, position + length, value))
        position += length
    return spans


def _date_at(lows: list[str], position: int, today: date) -> tuple[int, date] | None:
    word = lows[position]
    following = lows[position + 1] if position + 1 < len(lows) else ""
    after_next = lows[position + 2] if position + 2 < len(lows) else ""
    previous = lows[position - 1] if position > 0 else ""

    if (word, following, after_next) == ("day", "after", "tomorrow"):
        return 3, today + timedelta(days=2)
    if (word, following) == ("pasado", "manana"):
        return 2, today + timedelta(days=2)
    if word in RELATIVE_DAYS:
        return 1, today + timedelta(days=RELATIVE_DAYS[word])
    if word in ("next", "this") and following == "week":
        if word == "next":
            return 2, _next_week_day(today, 0)
        return 2, _upcoming(today, 4, allow_today=True)
    if lows[position : position + 3] == ["end", "of", "week"]:
        return 3, _upcoming(today, 4, allow_today=True)
    if lows[position : position + 4] == ["end", "of", "the", "week"]:
        return 4, _upcoming(today, 4, allow_today=True)
    if word == "eow":
        return 1, _upcoming(today, 4, allow_today=True)
    if word == "next" and following in WEEKDAYS:
        return 2, _next_week_day(today, WEEKDAYS[following])
    if word == "this" and following in WEEKDAYS:
        return 2, _upcoming(today, WEEKDAYS[following], allow_today=True)
    if word in WEEKDAYS and (word not in _CUED_ONLY or previous in _CUES):
        return 1, _upcoming(today, WEEKDAYS[word], allow_today=False)
    duration = _duration_at(lows, position)
    if duration is not None:
        length, days = duration
        return length, today + timedelta(days=days)
    numeric = _NUMERIC_DATE_RE.match(word)
    if numeric and ("/" in word or previous in _CUES):
        value = _month_day(today, int(numeric.group(1)), int(numeric.group(2)), numeric.group(3))
        if value is not None:
            return 1, value
    if word in MONTHS:
        day_match = _DAY_RE.match(following)
        if day_match:
            value = _month_day(today, MONTHS[word], int(day_match.group(1)), None)
            if value is not None:
                return 2, value
    ordinal = _ORDINAL_RE.match(word)
    if ordinal and following in MONTHS:
        value = _month_day(today, MONTHS[following], int(ordinal.group(1)), None)
        if value is not None:
            return 2, value
    if ordinal and previous in ("the", "el", "by", "on", "eta"):
        return 1, _day_of_month(today, int(ordinal.group(1))) or today
    return None


def _duration_at(lows: list[str], position: int) -> tuple[int, int] | None:
    """Durations: "2 days", "in a week", "a couple days" -> (tokens used, days)."""
    start = position
    if lows[position] == "in":
        position += 1
    if lows[position : position + 1] == ["a"] and lows[position + 1 : position + 2] in (
        ["couple"],
        ["few"],
    ):
        position += 1
    if position >= len(lows):
        return None
    count_word = lows[position]
    count = int(count_word) if count_word.isdigit() and len(count_word) <= 2 else None
    if count is None:
        count = _COUNT_WORDS.get(count_word)
    if count is None:
        return None
    position += 1
    if position < len(lows) and lows[position] == "of":
        position += 1
    if position >= len(lows):
        return None
    unit = lows[position]
    if unit in ("day", "days", "dias", "dia"):
        return position + 1 - start, count
    if unit in ("week", "weeks", "wk", "wks", "semana", "semanas"):
        return position + 1 - start, count * 7
    return None


def _upcoming(today: date, weekday: int, *, allow_today: bool) -> date:
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and not allow_today:
        ahead = 7
    return today + timedelta(days=ahead)


def _next_week_day(today: date, weekday: int) -> date:
    """That weekday in the calendar week after this one (weeks start on Monday)."""
    next_monday = today + timedelta(days=7 - today.weekday())
    return next_monday + timedelta(days=weekday)


def _month_day(today: date, month: int, day: int, year_text: str | None) -> date | None:
    if year_text is None:
        year = today.year
    else:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    # "1/5" typed in December is next January; a date a little in the past is a late ETA.
    if year_text is None and value < today - timedelta(days=60):
        value = value.replace(year=year + 1)
    return value


def _day_of_month(today: date, day: int) -> date | None:
    try:
        value = today.replace(day=day)
    except ValueError:
        return None
    if value < today:
        month = today.month % 12 + 1
        year = today.year + (1 if month == 1 else 0)
        try:
            value = date(year, month, day)
        except ValueError:
            return None
    return value
