"""Date expressions resolve to the dates a reader would give them, and what cannot be resolved says why."""

from __future__ import annotations

import datetime as dt

import pytest

from isis_iraq_syria.dates import DateError, Dates, bounded_before, is_relative, resolve

WEDNESDAY = (dt.date(2024, 7, 17), dt.date(2024, 7, 17))
D = dt.date


@pytest.mark.parametrize(
    ("expression", "anchor", "future", "expected"),
    [
        ("first half of 2024", None, False, Dates(D(2024, 1, 1), D(2024, 6, 30), "half_year")),
        ("the fourth quarter of 2023", None, False, Dates(D(2023, 10, 1), D(2023, 12, 31), "quarter")),
        ("throughout 2023", None, False, Dates(D(2023, 1, 1), D(2023, 12, 31), "year")),
        ("by 2017 in Iraq and 2019", None, False, Dates(None, D(2019, 12, 31), "year")),
        ("since 2017", None, False, Dates(D(2017, 1, 1), None, "year")),
        ("17-07-2024", None, False, Dates(D(2024, 7, 17), D(2024, 7, 17), "day")),
        ("On Tuesday", WEDNESDAY, False, Dates(D(2024, 7, 16), D(2024, 7, 16), "day")),
        ("Wednesday", WEDNESDAY, False, Dates(D(2024, 7, 17), D(2024, 7, 17), "day")),
        ("in March", WEDNESDAY, False, Dates(D(2024, 3, 1), D(2024, 3, 31), "month")),
        ("in September", WEDNESDAY, False, Dates(D(2023, 9, 1), D(2023, 9, 30), "month")),
        ("in September", WEDNESDAY, True, Dates(D(2024, 9, 1), D(2024, 9, 30), "month")),
        ("From October to February", WEDNESDAY, False, Dates(D(2023, 10, 1), D(2024, 2, 29), "month")),
        ("late last year", WEDNESDAY, False, Dates(D(2023, 7, 1), D(2023, 12, 31), "half_year")),
        ("this year", WEDNESDAY, False, Dates(D(2024, 1, 1), D(2024, 12, 31), "year")),
        ("", WEDNESDAY, False, Dates(D(2024, 7, 17), D(2024, 7, 17), "day")),
    ],
)
def test_resolves_expressions_against_their_anchor(expression, anchor, future, expected) -> None:
    assert resolve(expression, anchor, future) == expected


@pytest.mark.parametrize(
    ("expression", "anchor"),
    [
        ("on Tuesday", None),  # relative, no anchor
        ("on Tuesday", (D(2024, 3, 1), D(2024, 3, 31))),  # a weekday needs a day
        ("the same month", WEDNESDAY),  # a form the validator does not know
        ("31-02-2024", None),  # not a calendar date
    ],
)
def test_refuses_what_it_cannot_resolve(expression, anchor) -> None:
    with pytest.raises(DateError):
        resolve(expression, anchor)


def test_relative_expressions_are_those_without_a_year() -> None:
    assert is_relative("on Tuesday") and is_relative("late last year")
    assert not is_relative("first half of 2024") and not is_relative("17-07-2024")


def test_a_bound_carries_over_a_coordination() -> None:
    text = "helped dismantle IS's territorial control by 2017 in Iraq and 2019 in Syria"
    assert bounded_before(text, text.index("2019")) == "by"
    assert bounded_before("defeated ISIS territorially in 2017", len("defeated ISIS territorially in ")) is None
