"""Date expressions as the documents write them ('first half of 2024', 'on Tuesday', 'by 2019'), resolved to dates.

The curator records the words and, for a relative expression, the source whose publication date it is resolved
against; the validator recomputes the dates from them, as it recomputes derived figures. The forms understood are
few and explicit, each with its convention:

- a year ('2014', 'in 2023', 'throughout 2023'), a half or a quarter of a year ('first half of 2024'), a date as
  DD-MM-YYYY;
- 'by YEAR' (no later than: the end is the year's last day, the start is not stated); a leading 'by' governs the last
  year of a coordination ('by 2017 in Iraq and 2019' is by 2019); 'since YEAR' (the start only);
- relative to the anchor's date: a weekday ('on Tuesday': the last such day on or before it), a month ('in March':
  the last such month on or before it, or for a planned event the next on or after it), a span of months ('from
  October to February': the last such span ending on or before it), 'this year', 'last year' or 'the previous year',
  and 'early' or 'late' a year (its first or second half);
- an empty expression with an anchor: as of the anchor's date (a present-tense stock in a dated report), which only
  an inferred basis may use.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
BOUNDING = ("by", "since", "until", "before", "after")  # words that make a date a bound, not a period

_MONTH = "(" + "|".join(MONTHS) + ")"
_DAY = "(" + "|".join(WEEKDAYS) + ")"
_YEAR = "([0-9]{4})"
YEAR = "[0-9]{4}"  # an expression with a year is absolute; without one, relative


class DateError(ValueError):
    """The expression cannot be resolved: not a form this module knows, or its anchor has no usable date."""


@dataclass(frozen=True)
class Dates:
    start: dt.date | None
    end: dt.date | None
    precision: str


def _year(y: int) -> Dates:
    return Dates(dt.date(y, 1, 1), dt.date(y, 12, 31), "year")


def _months(y: int, first: int, count: int, precision: str) -> Dates:
    last_month = first + count - 1
    return Dates(dt.date(y, first, 1), dt.date(y, last_month, calendar.monthrange(y, last_month)[1]), precision)


def _month_on_or_before(month: int, anchor: dt.date) -> tuple[int, int]:
    return (anchor.year, month) if month <= anchor.month else (anchor.year - 1, month)


def _need(anchor: tuple[dt.date | None, dt.date | None] | None, day: bool = False) -> dt.date:
    start, end = anchor or (None, None)
    if end is None:
        raise DateError("a relative expression needs an anchor source with a stated publication date")
    if day and start != end:
        raise DateError("a weekday needs an anchor dated to the day")
    return end


def is_relative(expression: str | None) -> bool:
    """Whether the expression needs an anchor date (a weekday, a month without a year, 'last year', ...)."""
    if not expression:
        return True
    return re.search(YEAR, expression) is None


def resolve(
    expression: str | None, anchor: tuple[dt.date | None, dt.date | None] | None = None, future: bool = False
) -> Dates:
    """The dates an expression states, given the anchor source's publication dates (start, end) for relative forms.

    `future`: the subject lies ahead of the anchor (a planned event), so a bare month is the next such month."""
    if not expression:
        date = _need(anchor, day=True)
        return Dates(date, date, "day")
    e = " ".join(expression.lower().split())
    if m := re.fullmatch(rf"(?:(?:in|during|throughout|for) )?(?:the )?(first|second) half of {_YEAR}", e):
        return _months(int(m[2]), 1 + 6 * (ORDINALS[m[1]] - 1), 6, "half_year")
    if m := re.fullmatch(rf"(?:(?:in|during|for) )?(?:the )?(first|second|third|fourth) quarter of {_YEAR}", e):
        return _months(int(m[2]), 1 + 3 * (ORDINALS[m[1]] - 1), 3, "quarter")
    if m := re.fullmatch(rf"by\b.*\b{_YEAR}", e):
        return Dates(None, dt.date(int(m[1]), 12, 31), "year")
    if m := re.fullmatch(rf"since {_YEAR}", e):
        return Dates(dt.date(int(m[1]), 1, 1), None, "year")
    if m := re.fullmatch(rf"(?:(?:in|during|throughout) )?{_YEAR}", e):
        return _year(int(m[1]))
    if m := re.fullmatch(r"(?:[a-z]+: )?([0-9]{2})-([0-9]{2})-([0-9]{4})(?: [0-9]{2}:[0-9]{2}(?: [a-z]+)?)?", e):
        try:
            date = dt.date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError as err:
            raise DateError(f"{expression!r} is not a calendar date") from err
        return Dates(date, date, "day")
    if m := re.fullmatch(rf"(?:on )?{_DAY}", e):
        date = _need(anchor, day=True)
        shift = (WEEKDAYS[m[1]] - date.weekday()) % 7 if future else -((date.weekday() - WEEKDAYS[m[1]]) % 7)
        day = date + dt.timedelta(days=shift)
        return Dates(day, day, "day")
    if m := re.fullmatch(rf"(?:in )?{_MONTH}", e):
        date, month = _need(anchor), MONTHS[m[1]]
        year = (date.year if month >= date.month else date.year + 1) if future else _month_on_or_before(month, date)[0]
        return _months(year, month, 1, "month")
    if m := re.fullmatch(rf"from {_MONTH} to {_MONTH}", e):
        date = _need(anchor)
        end_year, end_month = _month_on_or_before(MONTHS[m[2]], date)
        first = MONTHS[m[1]]
        start_year = end_year if first <= end_month else end_year - 1
        last = dt.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
        return Dates(dt.date(start_year, first, 1), last, "month")
    if m := re.fullmatch(r"(?:(early|late) )?(this year|last year|the previous year)", e):
        year = _need(anchor).year - (0 if m[2] == "this year" else 1)
        if m[1] is None:
            return _year(year)
        return _months(year, 1 if m[1] == "early" else 7, 6, "half_year")
    raise DateError(f"{expression!r} is not a date expression the validator can resolve")


_COORDINATED = re.compile(r"(?:[0-9]{4}(?: in [A-Z][\w-]*(?: [A-Z][\w-]*)*)?(?:, and |, or |, | and | or ))$")


def bounded_before(text: str, position: int) -> str | None:
    """The bounding word ('by', 'since', ...) that governs the date at `position` in `text`, if any: directly before
    it, or before the dates it is coordinated with ('by 2017 in Iraq and 2019': 2019 is bounded too). A period cut
    from such words as '2019' drops what makes it a bound."""
    head = text[:position]
    while m := _COORDINATED.search(head):
        head = head[: m.start()]
    m = re.search(r"\b(" + "|".join(BOUNDING) + r")\s+$", head, flags=re.IGNORECASE)
    return m[1].lower() if m else None
