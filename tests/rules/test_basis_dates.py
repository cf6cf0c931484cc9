"""Rules of the dates' basis beyond their declared examples (tests/rules/test_declarations.py runs those): the whole
validator on the real package corrupted as a curator might, failing at the cell."""

from __future__ import annotations

from pathlib import Path

from conftest import edit, only


def _hits(pkg: Path, rule: str) -> set[tuple[str, str, str]]:
    return {(f.resource, f.key, f.column) for f in only(pkg, rule)}


def test_rejects_a_relative_date_moved_by_a_day(pkg: Path) -> None:
    edit(pkg, "events", "E013", date_start="2024-07-16", date_end="2024-07-16")
    assert ("events", "E013", "date_start") in _hits(pkg, "basis.dates_stated")


def test_rejects_a_changed_publication_date_of_a_source(pkg: Path) -> None:
    edit(pkg, "sources", "doc-devdiscourse", published_start="2024-07-18", published_end="2024-07-18")
    assert ("sources", "doc-devdiscourse", "published_start") in _hits(pkg, "basis.dates_stated")


def test_rejects_a_stated_relative_date_resolved_against_another_source(pkg: Path) -> None:
    edit(pkg, "events", "E013", date_anchor_id="centcom-statement")  # same date, but not the stating document's
    assert ("events", "E013", "date_anchor_id") in _hits(pkg, "basis.dates_stated")


def test_rejects_by_a_year_coded_as_the_whole_year(pkg: Path) -> None:
    edit(pkg, "events", "E004", date_start="2019-01-01", date_expression="2019")
    assert ("events", "E004", "date_expression") in _hits(pkg, "basis.dates_stated")


def test_rejects_dates_without_the_words_that_state_them(pkg: Path) -> None:
    edit(pkg, "statistics", "S022", period_expression="")
    assert ("statistics", "S022", "period_expression") in _hits(pkg, "basis.dates_stated")


def test_rejects_an_expression_no_quote_holds(pkg: Path) -> None:
    edit(pkg, "statistics", "S022", period_expression="in 2015", period_start="2015-01-01", period_end="2015-12-31")
    assert ("statistics", "S022", "period_expression") in _hits(pkg, "basis.dates_stated")
